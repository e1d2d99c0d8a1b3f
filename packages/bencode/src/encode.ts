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
  const encoder = new Encoder();
  try {
    encoder.write(value, 0);
  } catch (error) {
    if (error instanceof EncodeFailure) {
      throw new BencodeEncodeError(error.code, error.path.reverse(), error.message);
    }
    throw error;
  }
  return encoder.result();
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
  private buffer = new Uint8Array(256);
  private position = 0;

  result(): Uint8Array {
    return this.position === this.buffer.length ? this.buffer : this.buffer.slice(0, this.position);
  }

  private reserve(size: number): void {
    const needed = this.position + size;
    if (needed <= this.buffer.length) return;
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
    if (value === null) {
      throw new EncodeFailure('unencodable-value', 'null has no bencode form outside a dictionary');
    }
    if (value instanceof Uint8Array) {
      this.writeBytes(value);
      return;
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
    if (value instanceof ArrayBuffer) {
      this.writeBytes(new Uint8Array(value));
      return;
    }
    if (ArrayBuffer.isView(value)) {
      this.writeBytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
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
    this.reserve(bytes.length + 17);
    this.writeLength(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  private writeText(text: string): void {
    const byteLength = utf8Length(text);
    this.reserve(byteLength + 17);
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
    let ascii = true;
    for (const key of keys) {
      if (!isAscii(key)) {
        ascii = false;
        break;
      }
    }
    this.reserve(1);
    this.buffer[this.position++] = CHAR_D;
    if (ascii) {
      // For ASCII, UTF-16 code unit order is byte order.
      keys.sort();
      let key = '';
      try {
        for (key of keys) {
          const value = object[key];
          if (value === undefined || value === null) continue;
          this.writeText(key);
          this.write(value, depth);
        }
      } catch (error) {
        if (error instanceof EncodeFailure) error.path.push(key);
        throw error;
      }
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
    this.reserve(1);
    this.buffer[this.position++] = CHAR_D;
    this.writeEntries(entries, (name) => map.get(name), depth);
    this.reserve(1);
    this.buffer[this.position++] = CHAR_E;
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
