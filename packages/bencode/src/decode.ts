/**
 * The tree decoder (BEP 3). One pass over the input, no intermediate copies: byte strings come
 * out as views of the input unless `copy` is set, integers are parsed in place, and nothing is
 * allocated for a string before its declared length is checked against the input. Tokens are
 * read by the shared lexer (`lexer.ts`), the same one the pull reader uses.
 */
import { CHAR_0, CHAR_9, CHAR_D, CHAR_E, CHAR_I, CHAR_L, Lexer } from './lexer.js';
import type { BencodeDictionary, BencodeList, BencodeValue } from './types.js';
import { compareBytes, readUtf8 } from './utf8.js';

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

/**
 * Decodes exactly one bencoded value spanning the whole input.
 * @throws BencodeDecodeError with the byte offset of the first problem.
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): BencodeValue {
  const decoder = new Decoder(bytes, options, 0);
  const value = decoder.value();
  decoder.checkEnd();
  return value;
}

/**
 * Decodes the value at the start of the input and says where it ended, for formats that put
 * other bytes after a bencoded value (BEP 9's metadata `data` message does).
 */
export function decodePrefix(bytes: Uint8Array, options?: DecodeOptions): DecodePrefixResult {
  const decoder = new Decoder(bytes, options, 0);
  const value = decoder.value();
  return { value, end: decoder.end };
}

/**
 * Decodes the value starting at `start` of `bytes`, error offsets counted from the start of
 * `bytes`. For the pull reader's `readValue`.
 * @internal
 */
export function decodeAt(
  bytes: Uint8Array,
  start: number,
  options: DecodeOptions,
): DecodePrefixResult {
  const decoder = new Decoder(bytes, options, start);
  const value = decoder.value();
  return { value, end: decoder.end };
}

interface Frame {
  list: BencodeList | undefined;
  dictionary: BencodeDictionary | undefined;
  key: string | Uint8Array | undefined;
  previousStart: number;
  previousEnd: number;
  unsorted: boolean;
}

class Decoder extends Lexer {
  private readonly copy: boolean;

  constructor(bytes: Uint8Array, options: DecodeOptions = {}, start: number) {
    super(bytes, options, start);
    this.copy = options.copy ?? false;
  }

  get end(): number {
    return this.cursor;
  }

  checkEnd(): void {
    if (this.cursor !== this.length) {
      throw this.error(
        'trailing-bytes',
        this.cursor,
        `unexpected data after the end of the value (${this.length - this.cursor} more bytes)`,
      );
    }
  }

  /** Decodes one value. Iterative, so nesting depth costs heap, never call stack. */
  value(): BencodeValue {
    const bytes = this.input;
    const length = this.length;
    const frames = this.frames;
    let depth = 0;
    for (;;) {
      let value: BencodeValue;
      if (depth > 0) {
        const frame = frames[depth - 1]!;
        if (this.cursor >= length) {
          throw this.error(
            'unexpected-end',
            this.cursor,
            frame.dictionary
              ? "input ended inside a dictionary (missing 'e')"
              : "input ended inside a list (missing 'e')",
          );
        }
        const byte = bytes[this.cursor]!;
        // An 'e' closes a list, or a dictionary between entries; after a key it is an error.
        if (byte === CHAR_E && (frame.list !== undefined || frame.key === undefined)) {
          this.cursor++;
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
      if (this.cursor >= length) {
        throw this.error('unexpected-end', this.cursor, 'input ended where a value was expected');
      }
      const byte = bytes[this.cursor]!;
      if (byte >= CHAR_0 && byte <= CHAR_9) {
        value = this.byteString();
      } else if (byte === CHAR_I) {
        value = this.readInteger();
      } else if (byte === CHAR_L || byte === CHAR_D) {
        if (depth >= this.maxDepth) throw this.depthExceeded(this.cursor);
        this.cursor++;
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
        throw this.notAValue(this.cursor);
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
    const bytes = this.input;
    if (byte < CHAR_0 || byte > CHAR_9) throw this.keyNotString(this.cursor);
    const keyOffset = this.cursor;
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
    const bytes = this.input;
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

  private checkNotDuplicate(
    dictionary: BencodeDictionary,
    start: number,
    end: number,
    offset: number,
  ): void {
    const text = readUtf8(this.input, start, end);
    if (text !== undefined) {
      if (dictionary.has(text)) {
        throw this.error('duplicate-key', offset, 'the same dictionary key appears twice');
      }
      return;
    }
    for (const key of dictionary.keys()) {
      if (
        typeof key !== 'string' &&
        compareBytes(key, 0, key.length, this.input, start, end) === 0
      ) {
        throw this.error('duplicate-key', offset, 'the same dictionary key appears twice');
      }
    }
  }

  private byteString(): Uint8Array {
    const end = this.stringBounds();
    return this.view(end - this.lastStringLength, end);
  }

  private view(start: number, end: number): Uint8Array {
    if (this.copy) return this.input.slice(start, end);
    const bytes = this.input;
    return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
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
