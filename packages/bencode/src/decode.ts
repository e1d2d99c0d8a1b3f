/**
 * The decoder (BEP 3). One pass over the input, no intermediate copies: byte strings come out
 * as views of the input unless `copy` is set, integers are parsed in place, and nothing is
 * allocated for a string before its declared length is checked against the input.
 */
import { BencodeDecodeError, type BencodeDecodeErrorCode } from './errors.js';
import type { BencodeDictionary, BencodeList, BencodeValue, Span } from './types.js';
import { compareBytes, encodeUtf8, readUtf8 } from './utf8.js';

export interface DecodeOptions {
  /**
   * Reject everything that is not canonical bencode: unsorted keys, leading zeros, `-0`.
   * Default `false`: the unsorted keys and padded numbers some real encoders write are accepted.
   * Duplicate keys, malformed numbers and trailing bytes are rejected in both modes.
   */
  strict?: boolean;
  /** Deepest nesting of lists and dictionaries accepted. Default 256. */
  maxDepth?: number;
  /**
   * Return byte strings as fresh copies instead of views of the input. Views (the default)
   * cost no copy but keep the whole input alive and see later writes to it.
   */
  copy?: boolean;
  /** Longest integer accepted, in digits. Default 64 (a 64-bit integer needs 20). */
  maxIntegerDigits?: number;
}

export interface DecodePrefixResult {
  value: BencodeValue;
  /** Offset just past the value: where the bytes that follow it begin. */
  end: number;
}

const CHAR_I = 0x69;
const CHAR_L = 0x6c;
const CHAR_D = 0x64;
const CHAR_E = 0x65;
const CHAR_COLON = 0x3a;
const CHAR_MINUS = 0x2d;
const CHAR_0 = 0x30;
const CHAR_9 = 0x39;

/**
 * Decodes exactly one bencoded value spanning the whole input.
 * @throws BencodeDecodeError with the byte offset of the first problem.
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): BencodeValue {
  const decoder = new Decoder(bytes, options);
  const value = decoder.value();
  if (decoder.position !== bytes.length) {
    throw new BencodeDecodeError(
      'trailing-bytes',
      decoder.position,
      `unexpected data after the end of the value (${bytes.length - decoder.position} more bytes)`,
    );
  }
  return value;
}

/**
 * Decodes the value at the start of the input and says where it ended, for formats that put
 * other bytes after a bencoded value (BEP 9's metadata `data` message does).
 */
export function decodePrefix(bytes: Uint8Array, options?: DecodeOptions): DecodePrefixResult {
  const decoder = new Decoder(bytes, options);
  const value = decoder.value();
  return { value, end: decoder.position };
}

/**
 * Finds the exact bytes of the value at `path` (dictionary keys and list indices from the
 * root) without decoding or re-encoding anything: `locate(torrent, ['info'])` is the span an
 * info-hash is computed over. `undefined` when the path does not exist.
 * @throws BencodeDecodeError when the input is malformed on the way to the value.
 */
export function locate(
  bytes: Uint8Array,
  path: readonly (string | Uint8Array | number)[],
  options?: Omit<DecodeOptions, 'copy'>,
): Span | undefined {
  const decoder = new Decoder(bytes, options);
  return decoder.locate(path);
}

interface Frame {
  list: BencodeList | undefined;
  dictionary: BencodeDictionary | undefined;
  key: string | Uint8Array | undefined;
  previousStart: number;
  previousEnd: number;
  unsorted: boolean;
}

class Decoder {
  position = 0;
  private readonly bytes: Uint8Array;
  private readonly length: number;
  private readonly strict: boolean;
  private readonly maxDepth: number;
  private readonly copy: boolean;
  private readonly maxIntegerDigits: number;

  constructor(bytes: Uint8Array, options: DecodeOptions = {}) {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError('decode expects a Uint8Array (a Buffer is one)');
    }
    this.bytes = bytes;
    this.length = bytes.length;
    this.strict = options.strict ?? false;
    this.maxDepth = options.maxDepth ?? 256;
    this.copy = options.copy ?? false;
    this.maxIntegerDigits = options.maxIntegerDigits ?? 64;
  }

  /** Decodes one value. Iterative, so nesting depth costs heap, never call stack. */
  value(): BencodeValue {
    const bytes = this.bytes;
    const length = this.length;
    const frames = this.frames;
    let depth = 0;
    for (;;) {
      let value: BencodeValue;
      if (depth > 0) {
        const frame = frames[depth - 1]!;
        if (this.position >= length) {
          throw this.error(
            'unexpected-end',
            this.position,
            frame.dictionary
              ? "input ended inside a dictionary (missing 'e')"
              : "input ended inside a list (missing 'e')",
          );
        }
        const byte = bytes[this.position]!;
        if (byte === CHAR_E) {
          this.position++;
          depth--;
          value = frame.dictionary ?? frame.list!;
          frame.dictionary = undefined;
          frame.list = undefined;
          if (depth === 0) return value;
          this.attach(frames[depth - 1]!, value);
          continue;
        }
        if (frame.dictionary && frame.key === undefined) {
          this.key(frame, byte);
          continue;
        }
      }
      if (this.position >= length) {
        throw this.error('unexpected-end', this.position, 'input ended where a value was expected');
      }
      const byte = bytes[this.position]!;
      if (byte >= CHAR_0 && byte <= CHAR_9) {
        value = this.byteString();
      } else if (byte === CHAR_I) {
        value = this.integer();
      } else if (byte === CHAR_L || byte === CHAR_D) {
        if (depth >= this.maxDepth) {
          throw this.error(
            'depth-exceeded',
            this.position,
            `nesting deeper than ${this.maxDepth} levels`,
          );
        }
        this.position++;
        let frame = frames[depth];
        if (frame === undefined) {
          frame = {
            list: undefined,
            dictionary: undefined,
            key: undefined,
            previousStart: -1,
            previousEnd: -1,
            unsorted: false,
          };
          frames.push(frame);
        }
        if (byte === CHAR_L) frame.list = [];
        else {
          frame.dictionary = new Map();
          frame.key = undefined;
          frame.previousStart = -1;
          frame.previousEnd = -1;
          frame.unsorted = false;
        }
        depth++;
        continue;
      } else {
        throw this.error(
          'unexpected-byte',
          this.position,
          `${describeByte(byte)} cannot start a value (expected a digit, 'i', 'l' or 'd')`,
        );
      }
      if (depth === 0) return value;
      this.attach(frames[depth - 1]!, value);
    }
  }

  private readonly frames: Frame[] = [];

  private attach(frame: Frame, value: BencodeValue): void {
    if (frame.dictionary) {
      frame.dictionary.set(frame.key!, value);
      frame.key = undefined;
    } else {
      frame.list!.push(value);
    }
  }

  /** Reads a dictionary key into `frame`, enforcing order (strict) and uniqueness. */
  private key(frame: Frame, byte: number): void {
    const bytes = this.bytes;
    if (byte < CHAR_0 || byte > CHAR_9) {
      throw this.error(
        'key-not-string',
        this.position,
        `dictionary keys must be byte strings, found ${describeByte(byte)}`,
      );
    }
    const keyOffset = this.position;
    const keyEnd = this.stringBounds();
    const keyStart = keyEnd - this.lastStringLength;
    if (frame.previousStart >= 0) {
      const order = compareBytes(
        bytes,
        frame.previousStart,
        frame.previousEnd,
        bytes,
        keyStart,
        keyEnd,
      );
      if (order === 0) {
        throw this.error('duplicate-key', keyOffset, 'the same dictionary key appears twice');
      }
      if (order > 0) {
        if (this.strict) {
          throw this.error(
            'unsorted-keys',
            keyOffset,
            'dictionary keys are not in sorted order (strict mode)',
          );
        }
        frame.unsorted = true;
      }
      // Once keys are out of order, the previous key alone cannot rule out a duplicate.
      if (frame.unsorted) this.checkNotDuplicate(frame.dictionary!, keyStart, keyEnd, keyOffset);
    }
    frame.previousStart = keyStart;
    frame.previousEnd = keyEnd;
    frame.key = this.keyText(keyStart, keyEnd);
  }

  /**
   * Key text. The keys of BitTorrent's formats come from a fixed table, and in large inputs
   * repeated keys from a per-decode cache, so most keys allocate nothing.
   */
  private keyText(start: number, end: number): string | Uint8Array {
    const bytes = this.bytes;
    const length = end - start;
    if (length > 32) return readUtf8(bytes, start, end) ?? this.view(start, end);
    const hash = hashKey(bytes, start, end);
    const known = KNOWN_KEYS.get(hash);
    if (known !== undefined && sameAscii(known, bytes, start, end)) return known;
    let cache = this.keyCache;
    if (cache !== undefined) {
      const cached = cache.get(hash);
      if (
        cached !== undefined &&
        compareBytes(bytes, cached.start, cached.end, bytes, start, end) === 0
      ) {
        return cached.key;
      }
    }
    const key = readUtf8(bytes, start, end);
    if (key === undefined) return this.view(start, end);
    if (cache === undefined && this.length >= 4096) cache = this.keyCache = new Map();
    if (cache !== undefined && cache.size < 1024) cache.set(hash, { start, end, key });
    return key;
  }

  private keyCache: Map<number, { start: number; end: number; key: string }> | undefined;

  locate(path: readonly (string | Uint8Array | number)[]): Span | undefined {
    const bytes = this.bytes;
    let depth = 0;
    for (const step of path) {
      if (this.position >= this.length) {
        throw this.error('unexpected-end', this.position, 'input ended where a value was expected');
      }
      const kind = bytes[this.position];
      depth++;
      if (typeof step === 'number') {
        if (kind !== CHAR_L) return undefined;
        this.position++;
        for (let index = 0; ; index++) {
          if (this.position >= this.length) {
            throw this.error(
              'unexpected-end',
              this.position,
              "input ended inside a list (missing 'e')",
            );
          }
          if (bytes[this.position] === CHAR_E) return undefined;
          if (index === step) break;
          this.skip(depth);
        }
      } else {
        if (kind !== CHAR_D) return undefined;
        const wanted = typeof step === 'string' ? encodeUtf8(step) : step;
        this.position++;
        for (;;) {
          if (this.position >= this.length) {
            throw this.error(
              'unexpected-end',
              this.position,
              "input ended inside a dictionary (missing 'e')",
            );
          }
          const byte = bytes[this.position]!;
          if (byte === CHAR_E) return undefined;
          if (byte < CHAR_0 || byte > CHAR_9) {
            throw this.error(
              'key-not-string',
              this.position,
              `dictionary keys must be byte strings, found ${describeByte(byte)}`,
            );
          }
          const keyEnd = this.stringBounds();
          const keyStart = keyEnd - this.lastStringLength;
          if (compareBytes(bytes, keyStart, keyEnd, wanted, 0, wanted.length) === 0) break;
          this.skip(depth);
        }
      }
    }
    const start = this.position;
    this.skip(depth);
    return { start, end: this.position };
  }

  /** Moves past one value, checking it as `value` does, building nothing. Iterative. */
  private skip(baseDepth: number): void {
    const bytes = this.bytes;
    const kinds: number[] = [];
    let expectKey = false;
    for (;;) {
      if (kinds.length > 0) {
        if (this.position >= this.length) {
          throw this.error(
            'unexpected-end',
            this.position,
            "input ended inside a list or dictionary (missing 'e')",
          );
        }
        const byte = bytes[this.position]!;
        if (byte === CHAR_E) {
          this.position++;
          kinds.pop();
          if (kinds.length === 0) return;
          expectKey = kinds[kinds.length - 1] === CHAR_D;
          continue;
        }
        if (expectKey) {
          if (byte < CHAR_0 || byte > CHAR_9) {
            throw this.error(
              'key-not-string',
              this.position,
              `dictionary keys must be byte strings, found ${describeByte(byte)}`,
            );
          }
          this.stringBounds();
          expectKey = false;
          continue;
        }
      }
      if (this.position >= this.length) {
        throw this.error('unexpected-end', this.position, 'input ended where a value was expected');
      }
      const byte = bytes[this.position]!;
      if (byte >= CHAR_0 && byte <= CHAR_9) {
        this.stringBounds();
      } else if (byte === CHAR_I) {
        this.integer();
      } else if (byte === CHAR_L || byte === CHAR_D) {
        if (baseDepth + kinds.length >= this.maxDepth) {
          throw this.error(
            'depth-exceeded',
            this.position,
            `nesting deeper than ${this.maxDepth} levels`,
          );
        }
        this.position++;
        kinds.push(byte);
        expectKey = byte === CHAR_D;
        continue;
      } else {
        throw this.error(
          'unexpected-byte',
          this.position,
          `${describeByte(byte)} cannot start a value (expected a digit, 'i', 'l' or 'd')`,
        );
      }
      if (kinds.length === 0) return;
      expectKey = kinds[kinds.length - 1] === CHAR_D;
    }
  }

  private checkNotDuplicate(
    dictionary: BencodeDictionary,
    start: number,
    end: number,
    offset: number,
  ): void {
    const text = readUtf8(this.bytes, start, end);
    if (text !== undefined) {
      if (dictionary.has(text)) {
        throw this.error('duplicate-key', offset, 'the same dictionary key appears twice');
      }
      return;
    }
    for (const key of dictionary.keys()) {
      if (
        typeof key !== 'string' &&
        compareBytes(key, 0, key.length, this.bytes, start, end) === 0
      ) {
        throw this.error('duplicate-key', offset, 'the same dictionary key appears twice');
      }
    }
  }

  private lastStringLength = 0;

  /** Reads a string header, checks the bounds, moves past the string; returns its end. */
  private stringBounds(): number {
    const bytes = this.bytes;
    const start = this.position;
    let position = start;
    let length = 0;
    while (position < this.length) {
      const byte = bytes[position]!;
      if (byte < CHAR_0 || byte > CHAR_9) break;
      length = length * 10 + (byte - CHAR_0);
      position++;
      if (position - start > 15) {
        throw this.error(
          'string-out-of-bounds',
          start,
          'declared string length is longer than the input',
        );
      }
    }
    if (position >= this.length) {
      throw this.error(
        'unexpected-end',
        position,
        "input ended inside a string length (missing ':')",
      );
    }
    if (bytes[position] !== CHAR_COLON) {
      throw this.error(
        'invalid-length',
        position,
        `${describeByte(bytes[position]!)} in a string length (expected a digit or ':')`,
      );
    }
    if (this.strict && bytes[start] === CHAR_0 && position - start > 1) {
      throw this.error(
        'non-canonical-length',
        start,
        'string length has a leading zero (strict mode)',
      );
    }
    const dataStart = position + 1;
    if (length > this.length - dataStart) {
      throw this.error(
        'string-out-of-bounds',
        start,
        `declared string length ${length} runs past the end of the input (${this.length - dataStart} bytes left)`,
      );
    }
    this.lastStringLength = length;
    this.position = dataStart + length;
    return this.position;
  }

  private byteString(): Uint8Array {
    const end = this.stringBounds();
    return this.view(end - this.lastStringLength, end);
  }

  private view(start: number, end: number): Uint8Array {
    if (this.copy) return this.bytes.slice(start, end);
    const bytes = this.bytes;
    return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
  }

  private integer(): number | bigint {
    const bytes = this.bytes;
    const start = this.position;
    let position = start + 1;
    let negative = false;
    if (position < this.length && bytes[position] === CHAR_MINUS) {
      negative = true;
      position++;
    }
    const digitsStart = position;
    let value = 0;
    while (position < this.length) {
      const byte = bytes[position]!;
      if (byte < CHAR_0 || byte > CHAR_9) break;
      value = value * 10 + (byte - CHAR_0);
      position++;
    }
    if (position >= this.length) {
      throw this.error('unexpected-end', position, "input ended inside an integer (missing 'e')");
    }
    const digits = position - digitsStart;
    if (bytes[position] !== CHAR_E) {
      throw this.error(
        'invalid-integer',
        position,
        `${describeByte(bytes[position]!)} inside an integer (expected a digit or 'e')`,
      );
    }
    if (digits === 0) {
      throw this.error('invalid-integer', start, 'integer has no digits');
    }
    if (digits > this.maxIntegerDigits) {
      throw this.error(
        'integer-too-long',
        digitsStart,
        `integer has ${digits} digits; at most ${this.maxIntegerDigits} are accepted`,
      );
    }
    if (this.strict) {
      if (bytes[digitsStart] === CHAR_0 && digits > 1) {
        throw this.error(
          'non-canonical-integer',
          digitsStart,
          'integer has a leading zero (strict mode)',
        );
      }
      if (negative && value === 0) {
        throw this.error(
          'non-canonical-integer',
          start,
          'negative zero is not canonical (strict mode)',
        );
      }
    }
    this.position = position + 1;
    if (digits <= 15) return negative ? -value : value;
    let text = '';
    for (let i = digitsStart; i < position; i++) text += String.fromCharCode(bytes[i]!);
    const big = negative ? -BigInt(text) : BigInt(text);
    if (big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)) {
      return Number(big);
    }
    return big;
  }

  private error(code: BencodeDecodeErrorCode, offset: number, message: string): BencodeDecodeError {
    return new BencodeDecodeError(code, offset, message);
  }
}

function hashKey(bytes: Uint8Array, start: number, end: number): number {
  let hash = end - start;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 16777619);
  return hash;
}

function sameAscii(text: string, bytes: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

/** Keys of metainfo, tracker, KRPC and extension-protocol dictionaries. Read-only. */
const KNOWN_KEYS: ReadonlyMap<number, string> = (() => {
  const keys = [
    'announce',
    'announce-list',
    'comment',
    'created by',
    'creation date',
    'encoding',
    'info',
    'files',
    'length',
    'path',
    'name',
    'piece length',
    'pieces',
    'private',
    'md5sum',
    'attr',
    'source',
    'url-list',
    'httpseeds',
    'name.utf-8',
    'path.utf-8',
    'nodes',
    'nodes6',
    'values',
    'token',
    'target',
    'id',
    'info_hash',
    'implied_port',
    'port',
    'ip',
    't',
    'y',
    'q',
    'a',
    'r',
    'e',
    'v',
    'ro',
    'ping',
    'find_node',
    'get_peers',
    'announce_peer',
    'peers',
    'peers6',
    'interval',
    'min interval',
    'complete',
    'incomplete',
    'downloaded',
    'failure reason',
    'warning message',
    'tracker id',
    'peer id',
    'm',
    'p',
    'reqq',
    'yourip',
    'ipv4',
    'ipv6',
    'metadata_size',
    'msg_type',
    'piece',
    'total_size',
    'added',
    'added.f',
    'added6',
    'added6.f',
    'dropped',
    'dropped6',
    'ut_metadata',
    'ut_pex',
    'lt_donthave',
    'upload_only',
    'complete_ago',
    'file tree',
    'meta version',
    'piece layers',
    'pieces root',
  ];
  const table = new Map<number, string>();
  for (const key of keys) {
    const bytes = Uint8Array.from(key, (char) => char.charCodeAt(0));
    table.set(hashKey(bytes, 0, bytes.length), key);
  }
  return table;
})();

function describeByte(byte: number): string {
  if (byte >= 0x21 && byte <= 0x7e) return `'${String.fromCharCode(byte)}'`;
  return `byte 0x${byte.toString(16).padStart(2, '0')}`;
}
