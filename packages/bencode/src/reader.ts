/**
 * The pull reader (BEP 3): the caller asks for one token at a time (a dictionary or list
 * starting or ending, an integer, a byte string with its byte span) and decides what to keep,
 * so a format with a big, regular part (a torrent's file list, a KRPC message's few keys) is
 * read without building a `Map` or an array for it. Every token is checked exactly as `decode`
 * checks it (the same lexer, the same key rules, the same errors at the same offsets), so an
 * input the reader reads to its end is one `decode` accepts, and the other way round.
 */
import { decodeAt } from './decode.js';
import { CHAR_0, CHAR_9, CHAR_D, CHAR_E, CHAR_I, CHAR_L, Lexer } from './lexer.js';
import type { BencodeValue, Span } from './types.js';
import { compareBytes, encodeUtf8, readUtf8Lossy } from './utf8.js';

/** What `BencodeReader.next` read. */
export type BencodeToken =
  'dictionary-start' | 'dictionary-end' | 'list-start' | 'list-end' | 'integer' | 'string';

export interface BencodeReaderOptions {
  /** As `decode`'s: refuse unsorted keys, leading zeros and `-0`. Default `false`. */
  strict?: boolean;
  /** Deepest nesting of lists and dictionaries accepted. Default 256. */
  maxDepth?: number;
  /** Longest integer accepted, in digits. Default 64. */
  maxIntegerDigits?: number;
  /**
   * Allow bytes after the value, as `decodePrefix` does; `position` then says where the value
   * ended. Default `false`: the token that completes the value throws `trailing-bytes` when
   * anything follows it.
   */
  prefix?: boolean;
  /** Offset in the input where the value begins. Default 0. Error offsets count from 0. */
  start?: number;
}

interface Frame {
  dictionary: boolean;
  /** In a dictionary: the next token is a key (or the end). */
  expectKey: boolean;
  /** Offset of the `d` or `l`. */
  start: number;
  /** Bytes of the previous key, for the order and duplicate checks. */
  previousStart: number;
  previousEnd: number;
  /** Every key so far, once the keys were out of order (lenient mode only). */
  keys: Set<string> | undefined;
}

/**
 * Reads one bencoded value token by token, building nothing.
 *
 * ```ts
 * const reader = new BencodeReader(bytes);
 * reader.next(); // 'dictionary-start'
 * while (reader.next() === 'string') {   // a key; 'dictionary-end' ends the loop
 *   if (reader.stringIs('info')) info = reader.skipValue(); // the span of the value
 *   else reader.skipValue();
 * }
 * reader.next(); // undefined: the value is complete (and nothing follows it)
 * ```
 *
 * After each token, `start`/`end` give its byte span: a string's header and data (its data
 * alone in `dataStart`/`dataEnd`), an integer from `i` to `e`, one byte for a container's
 * start, and for a container's end the span of the whole container. Views (`bytes()`) are
 * subarrays of the input: they see later writes to it.
 *
 * @throws BencodeDecodeError from `next` (and the helpers that call it) on malformed input,
 *   with the same `code` and `offset` that `decode` reports.
 */
export class BencodeReader extends Lexer {
  readonly #prefix: boolean;
  readonly #frames: Frame[] = [];
  #depth = 0;
  #done = false;
  #token: BencodeToken | undefined;
  #start = 0;
  #end = 0;
  #dataStart = 0;
  #integer: number | bigint = 0;
  #isKey = false;

  constructor(bytes: Uint8Array, options: BencodeReaderOptions = {}) {
    super(bytes, options, options.start ?? 0);
    this.#prefix = options.prefix ?? false;
    if (!Number.isInteger(this.cursor) || this.cursor < 0 || this.cursor > this.length) {
      throw new RangeError(`start ${this.cursor} is outside the input`);
    }
  }

  /** The last token read; `undefined` before the first. */
  get token(): BencodeToken | undefined {
    return this.#token;
  }

  /** Start of the last token's span (of the whole container for an end token). */
  get start(): number {
    return this.#start;
  }

  /** End (exclusive) of the last token's span. */
  get end(): number {
    return this.#end;
  }

  /** Where the last string's data begins. */
  get dataStart(): number {
    return this.#dataStart;
  }

  /** Where the last string's data ends (exclusive). */
  get dataEnd(): number {
    return this.#end;
  }

  /** The last integer read: a `number` within ±(2^53 − 1), a `bigint` beyond. */
  get integer(): number | bigint {
    return this.#integer;
  }

  /** Whether the last string read is a dictionary key (rather than a value). */
  get isKey(): boolean {
    return this.#isKey;
  }

  /** How many dictionaries and lists are open after the last token. */
  get depth(): number {
    return this.#depth;
  }

  /** Where the next token begins (after the last value: where that value ended). */
  get position(): number {
    return this.cursor;
  }

  /** Whether the whole value has been read. */
  get done(): boolean {
    return this.#done;
  }

  /** A view of the last string's bytes (no copy). */
  bytes(): Uint8Array {
    return this.input.subarray(this.#dataStart, this.#end);
  }

  /** The last string as UTF-8 text (invalid sequences become U+FFFD). */
  text(): string {
    return readUtf8Lossy(this.bytes());
  }

  /** Whether the last string's bytes are the UTF-8 encoding of `text` (no allocation for ASCII). */
  stringIs(text: string): boolean {
    const bytes = this.input;
    const start = this.#dataStart;
    const length = this.#end - start;
    let ascii = true;
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      const wanted = encodeUtf8(text);
      return compareBytes(bytes, start, this.#end, wanted, 0, wanted.length) === 0;
    }
    if (length !== text.length) return false;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  /**
   * Whether the next token closes the innermost open dictionary or list (without reading it).
   * Never throws.
   */
  atContainerEnd(): boolean {
    const depth = this.#depth;
    if (depth === 0 || this.input[this.cursor] !== CHAR_E) return false;
    const frame = this.#frames[depth - 1]!;
    return !frame.dictionary || frame.expectKey;
  }

  /**
   * Reads the next token. `undefined` once the value is complete.
   * @throws BencodeDecodeError on malformed input.
   */
  next(): BencodeToken | undefined {
    if (this.#done) return undefined;
    const bytes = this.input;
    const position = this.cursor;
    const depth = this.#depth;
    if (depth > 0) {
      const frame = this.#frames[depth - 1]!;
      if (position >= this.length) {
        throw this.error(
          'unexpected-end',
          position,
          frame.dictionary
            ? "input ended inside a dictionary (missing 'e')"
            : "input ended inside a list (missing 'e')",
        );
      }
      const byte = bytes[position]!;
      if (byte === CHAR_E && (!frame.dictionary || frame.expectKey)) {
        this.cursor = position + 1;
        this.#depth = depth - 1;
        this.#start = frame.start;
        this.#end = position + 1;
        this.#isKey = false;
        const token = frame.dictionary ? 'dictionary-end' : 'list-end';
        this.#token = token;
        this.#valueDone();
        return token;
      }
      if (frame.expectKey) {
        if (byte < CHAR_0 || byte > CHAR_9) throw this.keyNotString(position);
        const end = this.stringBounds();
        const dataStart = end - this.lastStringLength;
        this.#checkKey(frame, position, dataStart, end);
        frame.expectKey = false;
        this.#start = position;
        this.#end = end;
        this.#dataStart = dataStart;
        this.#isKey = true;
        this.#token = 'string';
        return 'string';
      }
    }
    if (position >= this.length) {
      throw this.error('unexpected-end', position, 'input ended where a value was expected');
    }
    const byte = bytes[position]!;
    let token: BencodeToken;
    if (byte >= CHAR_0 && byte <= CHAR_9) {
      const end = this.stringBounds();
      this.#dataStart = end - this.lastStringLength;
      token = 'string';
    } else if (byte === CHAR_I) {
      this.#integer = this.readInteger();
      token = 'integer';
    } else if (byte === CHAR_L || byte === CHAR_D) {
      if (depth >= this.maxDepth) throw this.depthExceeded(position);
      this.#open(byte === CHAR_D, position);
      this.#start = position;
      this.#end = position + 1;
      this.#isKey = false;
      token = byte === CHAR_D ? 'dictionary-start' : 'list-start';
      this.#token = token;
      return token;
    } else {
      throw this.notAValue(position);
    }
    this.#start = position;
    this.#end = this.cursor;
    this.#isKey = false;
    this.#token = token;
    this.#valueDone();
    return token;
  }

  /**
   * Reads the next value whole (a key, when a dictionary expects one), checking it as `next`
   * does and building nothing; returns its span.
   * @throws BencodeDecodeError on malformed input; `Error` when no value comes next.
   */
  skipValue(): Span {
    const token = this.next();
    if (token === undefined || token === 'dictionary-end' || token === 'list-end') {
      throw new Error('skipValue: no value here (the container or the input ended)');
    }
    const start = this.#start;
    if (token === 'dictionary-start' || token === 'list-start') {
      const depth = this.#depth - 1;
      while (this.#depth > depth) this.next();
    }
    return { start, end: this.#end };
  }

  /**
   * Reads the next value (a key, when a dictionary expects one) and builds it as `decode`
   * would. `copy` as `decode`'s option.
   * @throws BencodeDecodeError on malformed input; `Error` when no value comes next.
   */
  readValue(options: { copy?: boolean } = {}): BencodeValue {
    const byte = this.input[this.cursor];
    const frame = this.#depth > 0 ? this.#frames[this.#depth - 1]! : undefined;
    if (!this.#done && (byte === CHAR_D || byte === CHAR_L) && !frame?.expectKey) {
      const start = this.cursor;
      const { value, end } = decodeAt(this.input, start, {
        strict: this.strict,
        maxDepth: this.maxDepth - this.#depth,
        maxIntegerDigits: this.maxIntegerDigits,
        copy: options.copy ?? false,
      });
      this.cursor = end;
      this.#start = start;
      this.#end = end;
      this.#isKey = false;
      this.#token = byte === CHAR_D ? 'dictionary-end' : 'list-end';
      this.#valueDone();
      return value;
    }
    const token = this.next();
    if (token === 'string') return options.copy ? this.bytes().slice() : this.bytes();
    if (token === 'integer') return this.#integer;
    throw new Error('readValue: no value here (the container or the input ended)');
  }

  #open(dictionary: boolean, position: number): void {
    this.cursor = position + 1;
    let frame = this.#frames[this.#depth];
    if (frame === undefined) {
      frame = {
        dictionary,
        expectKey: dictionary,
        start: position,
        previousStart: -1,
        previousEnd: -1,
        keys: undefined,
      };
      this.#frames.push(frame);
    } else {
      frame.dictionary = dictionary;
      frame.expectKey = dictionary;
      frame.start = position;
      frame.previousStart = -1;
      frame.previousEnd = -1;
      frame.keys = undefined;
    }
    this.#depth++;
  }

  /** After a complete value: a dictionary now expects a key; the top level is done. */
  #valueDone(): void {
    const depth = this.#depth;
    if (depth > 0) {
      const frame = this.#frames[depth - 1]!;
      if (frame.dictionary) frame.expectKey = true;
      return;
    }
    this.#done = true;
    if (!this.#prefix && this.cursor !== this.length) {
      throw this.error(
        'trailing-bytes',
        this.cursor,
        `unexpected data after the end of the value (${this.length - this.cursor} more bytes)`,
      );
    }
  }

  /** Key order (strict) and uniqueness, as `decode` enforces them. */
  #checkKey(frame: Frame, offset: number, start: number, end: number): void {
    if (frame.previousStart >= 0) {
      const bytes = this.input;
      const order = compareBytes(bytes, frame.previousStart, frame.previousEnd, bytes, start, end);
      if (order === 0) {
        throw this.error('duplicate-key', offset, 'the same dictionary key appears twice');
      }
      if (order > 0) {
        if (this.strict) {
          throw this.error(
            'unsorted-keys',
            offset,
            'dictionary keys are not in sorted order (strict mode)',
          );
        }
        frame.keys ??= this.#keysBefore(frame.start, offset);
      }
      // Once keys are out of order, the previous key alone cannot rule out a duplicate.
      if (frame.keys !== undefined) {
        const id = binaryString(bytes, start, end);
        if (frame.keys.has(id)) {
          throw this.error('duplicate-key', offset, 'the same dictionary key appears twice');
        }
        frame.keys.add(id);
      }
    }
    frame.previousStart = start;
    frame.previousEnd = end;
  }

  /**
   * The keys of the dictionary at `start` that come before `offset`. That part was read and
   * checked already, so it is walked without checks: linear, whatever the nesting.
   */
  #keysBefore(start: number, offset: number): Set<string> {
    const keys = new Set<string>();
    const bytes = this.input;
    const saved = this.cursor;
    this.cursor = start + 1;
    while (this.cursor < offset) {
      const end = this.stringBounds();
      keys.add(binaryString(bytes, end - this.lastStringLength, end));
      let depth = 0;
      do {
        const byte = bytes[this.cursor]!;
        if (byte === CHAR_E) {
          this.cursor++;
          depth--;
        } else if (byte === CHAR_L || byte === CHAR_D) {
          this.cursor++;
          depth++;
        } else if (byte === CHAR_I) {
          this.readInteger();
        } else {
          this.stringBounds();
        }
      } while (depth > 0);
    }
    this.cursor = saved;
    return keys;
  }
}

/**
 * Finds the exact bytes of the value at `path` (dictionary keys and list indices from the
 * root) without decoding or re-encoding anything: `locate(torrent, ['info'])` is the span an
 * info-hash is computed over. `undefined` when the path does not exist. Everything read on the
 * way is checked as `decode` checks it.
 * @throws BencodeDecodeError when the input is malformed on the way to the value.
 */
export function locate(
  bytes: Uint8Array,
  path: readonly (string | Uint8Array | number)[],
  options: Omit<BencodeReaderOptions, 'prefix' | 'start'> = {},
): Span | undefined {
  const reader = new BencodeReader(bytes, { ...options, prefix: true });
  for (const step of path) {
    if (typeof step === 'number') {
      if (reader.next() !== 'list-start') return undefined;
      for (let index = 0; index < step; index++) {
        if (reader.atContainerEnd()) return undefined;
        reader.skipValue();
      }
      if (reader.atContainerEnd()) return undefined;
    } else {
      if (reader.next() !== 'dictionary-start') return undefined;
      const wanted = typeof step === 'string' ? encodeUtf8(step) : step;
      for (;;) {
        if (reader.next() === 'dictionary-end') return undefined;
        if (compareBytes(bytes, reader.dataStart, reader.dataEnd, wanted, 0, wanted.length) === 0) {
          break;
        }
        reader.skipValue();
      }
    }
  }
  return reader.skipValue();
}

function binaryString(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}
