/** Byte helpers: hex and base32 (RFC 4648) codecs, equality. Hex is for display, never identity. */
import { PrimitivesError } from './errors.js';

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    text += HEX[byte >> 4]! + HEX[byte & 15]!;
  }
  return text;
}

export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new PrimitivesError(
      'invalid-hex',
      `not a hex string: ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function toBase32(bytes: Uint8Array): string {
  let text = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += BASE32[(buffer >> (bits - 5)) & 31]!;
      bits -= 5;
    }
  }
  if (bits > 0) text += BASE32[(buffer << (5 - bits)) & 31]!;
  return text;
}

/** Decodes unpadded base32 (case-insensitive), as magnet links carry info-hashes. */
export function fromBase32(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '').toUpperCase();
  const bytes = new Uint8Array(Math.floor((clean.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of clean) {
    const value = BASE32.indexOf(char);
    if (value < 0) {
      throw new PrimitivesError(
        'invalid-base32',
        `not a base32 string: ${JSON.stringify(text.slice(0, 80))}`,
      );
    }
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes[index++] = (buffer >> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return bytes;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
