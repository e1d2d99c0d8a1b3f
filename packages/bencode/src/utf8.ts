/** Byte-level helpers shared by the decoder and the encoder: UTF-8 and raw byte comparison. */

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lossyDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Reads `bytes[start, end)` as UTF-8; `undefined` when it is not valid UTF-8. Short ASCII
 * runs, which is what dictionary keys almost always are, skip the TextDecoder call.
 */
export function readUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start <= 24) {
    let text = '';
    for (let i = start; i < end; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) return readUtf8Slow(bytes, start, end);
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return readUtf8Slow(bytes, start, end);
}

function readUtf8Slow(bytes: Uint8Array, start: number, end: number): string | undefined {
  try {
    return fatalDecoder.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** Reads bytes as UTF-8, replacing invalid sequences with U+FFFD. */
export function readUtf8Lossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes);
}

export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Writes `text` at `offset`; the caller guarantees `3 * text.length` bytes of room. */
export function writeUtf8(text: string, target: Uint8Array, offset: number): number {
  const length = text.length;
  // ASCII fast path: most keys and many values are ASCII, and the loop beats encodeInto there.
  if (length <= 32) {
    let i = 0;
    for (; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) break;
      target[offset + i] = code;
    }
    if (i === length) return length;
  }
  return encoder.encodeInto(text, target.subarray(offset)).written;
}

/** Raw byte order, as bencode sorts dictionary keys. */
export function compareBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const length = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < length; i++) {
    const difference = a[aStart + i]! - b[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}
