/**
 * Byte strings to text for names, paths and comments. Torrents should be UTF-8; old ones
 * written in a legacy code page say so in `encoding`, and are read with it when their bytes
 * are not valid UTF-8. Anything still undecodable is read lossily (U+FFFD), never rejected.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lossy = new TextDecoder('utf-8', { ignoreBOM: true });

/** Reads a byte string as text: UTF-8, else the torrent's declared `encoding`, else lossy UTF-8. */
export function readText(bytes: Uint8Array, encoding?: string): string {
  const length = bytes.length;
  if (length <= 128) {
    // ASCII, which most names are: one flat string, no decoder call.
    let i = 0;
    while (i < length && bytes[i]! < 0x80) i++;
    if (i === length) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return readLegacy(bytes, encoding);
  }
}

function readLegacy(bytes: Uint8Array, encoding: string | undefined): string {
  if (encoding && !/^utf-?8$/i.test(encoding)) {
    try {
      return new TextDecoder(encoding, { fatal: true }).decode(bytes);
    } catch {
      // unknown label or not that encoding either
    }
  }
  return utf8Lossy.decode(bytes);
}
