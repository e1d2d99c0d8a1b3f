/**
 * The encoder (BEP 3). Always canonical: dictionary keys sorted as raw bytes, integers in
 * shortest form. Writes straight into one growing buffer; no per-value temporary arrays.
 */
import { BencodeEncodeError, type BencodeEncodeErrorCode } from './errors.js';
import type { EncodableValue } from './types.js';
import { compareBytes, encodeUtf8, writeUtf8 } from './utf8.js';

const MAX_DEPTH = 1000;
const CHAR_I = 0x69;
const CHAR_L = 0x6c;
const CHAR_D = 0x64;
const CHAR_E = 0x65;
const CHAR_COLON = 0x3a;

/**
 * Encodes a value as canonical bencode.
 * @throws BencodeEncodeError for values with no bencode form (non-integer numbers, symbols,
 * functions, `null` outside a dictionary, duplicate keys, nesting deeper than 1000).
 */
export function encode(value: EncodableValue): Uint8Array {
  return encodeMeasured(value).bytes;
}

/**
 * Internal (tests): `encode` plus how often the output buffer had to grow, which is never when
 * the size measured up front is exact, as it must be.
 */
export function encodeMeasured(value: EncodableValue): { bytes: Uint8Array; regrowths: number } {
  // Measuring first lets the output be allocated once, at its exact size.
  const encoder = new Encoder(measure(value, 0));
  try {
    encoder.write(value, 0);
  } catch (error) {
    if (error instanceof EncodeFailure) {
      throw new BencodeEncodeError(error.code, error.path.reverse(), error.message);
    }
    throw error;
  }
  return { bytes: encoder.result(), regrowths: encoder.regrowths };
}

/** Internal: gathers the path on the way up, so the hot path keeps no path stack. */
class EncodeFailure extends Error {
  readonly path: (string | number)[] = [];
  constructor(
    readonly code: BencodeEncodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface KeyEntry {
  bytes: Uint8Array;
  name: string | Uint8Array;
}

class Encoder {
  private buffer: Uint8Array;
  private position = 0;
  regrowths = 0;

  constructor(size: number) {
    this.buffer = new Uint8Array(size);
  }

  result(): Uint8Array {
    return this.position === this.buffer.length ? this.buffer : this.buffer.slice(0, this.position);
  }

  private reserve(size: number): void {
    const needed = this.position + size;
    if (needed <= this.buffer.length) return;
    this.regrowths++;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.position));
    this.buffer = next;
  }

  write(value: EncodableValue, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.writeText(value);
        return;
      case 'number':
        this.writeNumber(value);
        return;
      case 'bigint':
        this.writeAsciiInteger(value.toString());
        return;
      case 'boolean':
        this.writeAsciiInteger(value ? '1' : '0');
        return;
      case 'object':
        break;
      default:
        throw new EncodeFailure('unencodable-value', `a ${typeof value} has no bencode form`);
    }
    if (value instanceof Uint8Array) {
      this.writeBytes(value);
      return;
    }
    if (value === null) {
      throw new EncodeFailure('unencodable-value', 'null has no bencode form outside a dictionary');
    }
    if (depth >= MAX_DEPTH) {
      throw new EncodeFailure(
        'depth-exceeded',
        `nested deeper than ${MAX_DEPTH} levels (is the value cyclic?)`,
      );
    }
    if (Array.isArray(value)) {
      this.writeList(value as readonly EncodableValue[], depth + 1);
      return;
    }
    if (value instanceof Map) {
      this.writeMap(value as ReadonlyMap<string | Uint8Array, EncodableValue>, depth + 1);
      return;
    }
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype === Object.prototype || prototype === null) {
      this.writeObject(value as { readonly [key: string]: EncodableValue }, depth + 1);
      return;
    }
    if (value instanceof ArrayBuffer) {
      this.writeBytes(new Uint8Array(value));
      return;
    }
    if (ArrayBuffer.isView(value)) {
      this.writeBytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      return;
    }
    throw new EncodeFailure(
      'unencodable-value',
      `a ${(value as object).constructor?.name ?? 'object'} has no bencode form`,
    );
  }

  private writeNumber(value: number): void {
    if (!Number.isInteger(value)) {
      throw new EncodeFailure(
        'not-an-integer',
        `${value} is not an integer; bencode has only integers`,
      );
    }
    if (value >= 0 && value < 10) {
      this.reserve(3);
      const buffer = this.buffer;
      buffer[this.position++] = CHAR_I;
      buffer[this.position++] = 0x30 + value;
      buffer[this.position++] = CHAR_E;
      return;
    }
    // Past 2^53 String() may switch to exponent form; BigInt prints every digit.
    this.writeAsciiInteger(Number.isSafeInteger(value) ? String(value) : BigInt(value).toString());
  }

  private writeAsciiInteger(digits: string): void {
    this.reserve(digits.length + 2);
    const buffer = this.buffer;
    let position = this.position;
    buffer[position++] = CHAR_I;
    for (let i = 0; i < digits.length; i++) buffer[position++] = digits.charCodeAt(i);
    buffer[position++] = CHAR_E;
    this.position = position;
  }

  private writeLength(length: number): void {
    const buffer = this.buffer;
    if (length < 10) {
      buffer[this.position++] = 0x30 + length;
    } else if (length < 100) {
      buffer[this.position++] = 0x30 + ((length / 10) | 0);
      buffer[this.position++] = 0x30 + (length % 10);
    } else {
      const digits = String(length);
      for (let i = 0; i < digits.length; i++) buffer[this.position++] = digits.charCodeAt(i);
    }
    buffer[this.position++] = CHAR_COLON;
  }

  private writeBytes(bytes: Uint8Array): void {
    const length = bytes.length;
    this.reserve(decimalLength(length) + 1 + length);
    this.writeLength(length);
    const buffer = this.buffer;
    let position = this.position;
    if (length <= 64) {
      // A loop beats set()'s call overhead for the short strings of ids, tokens and keys.
      for (let i = 0; i < length; i++) buffer[position++] = bytes[i]!;
    } else {
      buffer.set(bytes, position);
      position += length;
    }
    this.position = position;
  }

  private writeText(text: string): void {
    const byteLength = utf8Length(text);
    this.reserve(decimalLength(byteLength) + 1 + byteLength);
    this.writeLength(byteLength);
    this.position += writeUtf8(text, this.buffer, this.position);
  }

  private writeList(list: readonly EncodableValue[], depth: number): void {
    this.reserve(1);
    this.buffer[this.position++] = CHAR_L;
    let index = 0;
    try {
      for (; index < list.length; index++) this.write(list[index]!, depth);
    } catch (error) {
      if (error instanceof EncodeFailure) error.path.push(index);
      throw error;
    }
    this.reserve(1);
    this.buffer[this.position++] = CHAR_E;
  }

  private writeObject(object: { readonly [key: string]: EncodableValue }, depth: number): void {
    const keys = Object.keys(object);
    this.reserve(1);
    this.buffer[this.position++] = CHAR_D;
    if (allAscii(keys)) {
      this.writeAsciiKeyed(keys, (key) => object[key], depth);
    } else {
      this.writeEntries(
        keys.map((key) => ({ bytes: encodeUtf8(key), name: key })),
        (name) => object[name as string],
        depth,
      );
    }
    this.reserve(1);
    this.buffer[this.position++] = CHAR_E;
  }

  private writeMap(map: ReadonlyMap<string | Uint8Array, EncodableValue>, depth: number): void {
    this.reserve(1);
    this.buffer[this.position++] = CHAR_D;
    const keys: string[] = [];
    let simple = true;
    for (const key of map.keys()) {
      if (typeof key !== 'string' || !isAscii(key)) {
        simple = false;
        break;
      }
      keys.push(key);
    }
    if (simple) {
      this.writeAsciiKeyed(keys, (key) => map.get(key), depth);
    } else {
      const entries: KeyEntry[] = [];
      for (const key of map.keys()) {
        if (typeof key === 'string') entries.push({ bytes: encodeUtf8(key), name: key });
        else if (key instanceof Uint8Array) entries.push({ bytes: key, name: key });
        else {
          throw new EncodeFailure(
            'unencodable-value',
            `a dictionary key must be a string or a Uint8Array, not a ${typeof key}`,
          );
        }
      }
      this.writeEntries(entries, (name) => map.get(name), depth);
    }
    this.reserve(1);
    this.buffer[this.position++] = CHAR_E;
  }

  /** ASCII keys: UTF-16 order is byte order, and keys are written without a UTF-8 pass. */
  private writeAsciiKeyed(
    keys: string[],
    lookup: (key: string) => EncodableValue | null | undefined,
    depth: number,
  ): void {
    if (!isSorted(keys)) keys.sort();
    let key = '';
    try {
      for (let i = 0; i < keys.length; i++) {
        key = keys[i]!;
        const value = lookup(key);
        if (value === undefined || value === null) continue;
        this.writeAsciiKey(key);
        this.write(value, depth);
      }
    } catch (error) {
      if (error instanceof EncodeFailure) error.path.push(key);
      throw error;
    }
  }

  private writeAsciiKey(key: string): void {
    const length = key.length;
    this.reserve(decimalLength(length) + 1 + length);
    this.writeLength(length);
    const buffer = this.buffer;
    let position = this.position;
    for (let i = 0; i < length; i++) buffer[position++] = key.charCodeAt(i);
    this.position = position;
  }

  private writeEntries(
    entries: KeyEntry[],
    lookup: (name: string | Uint8Array) => EncodableValue | null | undefined,
    depth: number,
  ): void {
    entries.sort((a, b) => compareBytes(a.bytes, 0, a.bytes.length, b.bytes, 0, b.bytes.length));
    let current: KeyEntry | undefined;
    try {
      for (let i = 0; i < entries.length; i++) {
        current = entries[i]!;
        const previous = i > 0 ? entries[i - 1]! : undefined;
        if (
          previous &&
          compareBytes(
            previous.bytes,
            0,
            previous.bytes.length,
            current.bytes,
            0,
            current.bytes.length,
          ) === 0
        ) {
          throw new EncodeFailure(
            'duplicate-key',
            'two keys of the dictionary have the same bytes',
          );
        }
        const value = lookup(current.name);
        if (value === undefined || value === null) continue;
        this.writeBytes(current.bytes);
        this.write(value, depth);
      }
    } catch (error) {
      if (error instanceof EncodeFailure && current) {
        error.path.push(typeof current.name === 'string' ? current.name : hex(current.name));
      }
      throw error;
    }
  }
}

/**
 * The encoded size of a value; what it cannot size (errors, cycles) it counts as 0 and the
 * writer then reports with a path.
 */
function measure(value: EncodableValue | null | undefined, depth: number): number {
  switch (typeof value) {
    case 'string': {
      const length = utf8Length(value);
      return decimalLength(length) + 1 + length;
    }
    case 'number':
      if (!Number.isInteger(value)) return 0;
      return (Number.isSafeInteger(value) ? String(value) : BigInt(value).toString()).length + 2;
    case 'bigint':
      return value.toString().length + 2;
    case 'boolean':
      return 3;
    case 'object':
      break;
    default:
      return 0;
  }
  if (value === null || depth >= MAX_DEPTH) return 0;
  if (value instanceof Uint8Array) return decimalLength(value.length) + 1 + value.length;
  if (Array.isArray(value)) {
    let size = 2;
    for (let i = 0; i < value.length; i++) size += measure(value[i] as EncodableValue, depth + 1);
    return size;
  }
  if (value instanceof Map) {
    let size = 2;
    // forEach, not for-of: no entry array per key.
    (value as ReadonlyMap<unknown, EncodableValue | null | undefined>).forEach((item, key) => {
      if (item === undefined || item === null) return;
      if (typeof key === 'string' || key instanceof Uint8Array) size += measure(key, depth + 1);
      size += measure(item, depth + 1);
    });
    return size;
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return decimalLength(value.byteLength) + 1 + value.byteLength;
  }
  let size = 2;
  const object = value as { readonly [key: string]: EncodableValue | null | undefined };
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = object[key];
    if (item === undefined || item === null) continue;
    size += measure(key, depth + 1) + measure(item, depth + 1);
  }
  return size;
}

function decimalLength(value: number): number {
  if (value < 10) return 1;
  if (value < 100) return 2;
  if (value < 1000) return 3;
  if (value < 10000) return 4;
  return String(value).length;
}

function allAscii(keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if (!isAscii(keys[i]!)) return false;
  return true;
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** UTF-8 length of a JS string, lone surrogates counted as U+FFFD as TextEncoder writes them. */
function utf8Length(text: string): number {
  const length = text.length;
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return `<0x${text}>`;
}
