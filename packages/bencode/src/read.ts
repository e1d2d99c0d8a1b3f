/**
 * Helpers for reading decoded values with types: guards, and text out of byte strings.
 * Bencode has no text type; these decide how bytes become a string when a caller wants one.
 */
import type { BencodeDictionary, BencodeList, BencodeValue } from './types.js';
import { readUtf8, readUtf8Lossy } from './utf8.js';

export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

export function isInteger(value: unknown): value is number | bigint {
  return typeof value === 'number' || typeof value === 'bigint';
}

export function isList(value: unknown): value is BencodeList {
  return Array.isArray(value);
}

export function isDictionary(value: unknown): value is BencodeDictionary {
  return value instanceof Map;
}

export interface ToTextOptions {
  /** Throw a `TypeError` on invalid UTF-8 instead of writing U+FFFD. Default `false`. */
  fatal?: boolean;
}

/** Reads a byte string as UTF-8 text. */
export function toText(bytes: Uint8Array, options: ToTextOptions = {}): string {
  if (!options.fatal) return readUtf8Lossy(bytes);
  const text = readUtf8(bytes, 0, bytes.length);
  if (text === undefined) throw new TypeError('byte string is not valid UTF-8');
  return text;
}

/**
 * The text of `dictionary[key]` when it is a byte string, else `undefined` (also when
 * `dictionary` is not a dictionary, so lookups chain: `getText(getDictionary(torrent, 'info'), 'name')`).
 */
export function getText(dictionary: BencodeValue | undefined, key: string): string | undefined {
  const value = dictionary instanceof Map ? dictionary.get(key) : undefined;
  return value instanceof Uint8Array ? readUtf8Lossy(value) : undefined;
}

/** `dictionary[key]` when it is a byte string, else `undefined`. */
export function getBytes(
  dictionary: BencodeValue | undefined,
  key: string,
): Uint8Array | undefined {
  const value = dictionary instanceof Map ? dictionary.get(key) : undefined;
  return value instanceof Uint8Array ? value : undefined;
}

/** `dictionary[key]` when it is an integer, else `undefined`. */
export function getInteger(
  dictionary: BencodeDictionary,
  key: string,
): number | bigint | undefined {
  const value = dictionary instanceof Map ? dictionary.get(key) : undefined;
  return typeof value === 'number' || typeof value === 'bigint' ? value : undefined;
}

/** `dictionary[key]` when it is a list, else `undefined`. */
export function getList(
  dictionary: BencodeValue | undefined,
  key: string,
): BencodeList | undefined {
  const value = dictionary instanceof Map ? dictionary.get(key) : undefined;
  return Array.isArray(value) ? value : undefined;
}

/** `dictionary[key]` when it is a dictionary, else `undefined`. */
export function getDictionary(
  dictionary: BencodeValue | undefined,
  key: string,
): BencodeDictionary | undefined {
  const value = dictionary instanceof Map ? dictionary.get(key) : undefined;
  return value instanceof Map ? value : undefined;
}

/** Structural equality of decoded values: bytes by content, dictionaries regardless of order. */
export function equals(a: BencodeValue, b: BencodeValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object') {
    return (typeof a === 'number' || typeof a === 'bigint') &&
      (typeof b === 'number' || typeof b === 'bigint')
      ? BigInt(a) === BigInt(b)
      : false;
  }
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i]!, b[i]!)) return false;
    return true;
  }
  if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
  for (const [key, value] of a) {
    let other: BencodeValue | undefined;
    if (typeof key === 'string') other = b.get(key);
    else {
      for (const [otherKey, otherValue] of b) {
        if (otherKey instanceof Uint8Array && equals(key, otherKey)) other = otherValue;
      }
    }
    if (other === undefined || !equals(value, other)) return false;
  }
  return true;
}
