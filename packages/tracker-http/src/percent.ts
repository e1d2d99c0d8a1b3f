/**
 * Percent-encoding of raw bytes for tracker query strings (BEP 3: `info_hash` and `peer_id`
 * are 20 arbitrary bytes, escaped byte by byte, never read as text), and the reverse for the
 * server, which must get the exact bytes back whatever the client chose to escape.
 */

const HEX = '0123456789ABCDEF';

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  );
}

/** RFC 3986 percent-encoding of every byte outside the unreserved set. */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    text += isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return text;
}

/** Percent-encoding of text: its UTF-8 bytes, escaped as above. */
export function percentEncodeText(text: string): string {
  return percentEncodeBytes(new TextEncoder().encode(text));
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * Decodes one percent-encoded query component to its bytes; `+` is a space (form encoding,
 * which some clients use). `undefined` when a `%` is not followed by two hex digits.
 * The input is a URL's raw text, so every character is below U+0080 in a well-formed request;
 * other characters are taken as their UTF-8 bytes.
 */
export function percentDecodeBytes(text: string): Uint8Array | undefined {
  return decodeEscapes(text, false);
}

/**
 * One pass over `text`; escapes only shrink, so the output fits in `text.length` bytes. A
 * character beyond ASCII restarts the pass over the text's UTF-8 bytes, read as a binary string
 * (one character per byte), where every character is taken as the byte it stands for.
 */
function decodeEscapes(text: string, binary: boolean): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25) {
      const high = hexValue(text.charCodeAt(i + 1));
      const low = hexValue(text.charCodeAt(i + 2));
      if (high < 0 || low < 0) return undefined;
      out[length++] = (high << 4) | low;
      i += 2;
    } else if (code === 0x2b) {
      out[length++] = 0x20;
    } else if (code < 0x80 || binary) {
      out[length++] = code;
    } else {
      let bytes = '';
      for (const byte of new TextEncoder().encode(text)) bytes += String.fromCharCode(byte);
      return decodeEscapes(bytes, true);
    }
  }
  return out.subarray(0, length);
}

/**
 * Splits a raw query string (without `?`) into names and their percent-decoded byte values,
 * keeping repeated names (scrape sends `info_hash` several times). Names are decoded as text.
 * `undefined` when any component has a broken escape.
 */
export function parseQuery(query: string): Map<string, Uint8Array[]> | undefined {
  const params = new Map<string, Uint8Array[]>();
  if (query === '') return params;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const rawName = equals < 0 ? part : part.slice(0, equals);
    const rawValue = equals < 0 ? '' : part.slice(equals + 1);
    let name = rawName;
    if (/[%+]/.test(rawName)) {
      const nameBytes = percentDecodeBytes(rawName);
      if (nameBytes === undefined) return undefined;
      name = new TextDecoder().decode(nameBytes);
    }
    const value = percentDecodeBytes(rawValue);
    if (value === undefined) return undefined;
    const list = params.get(name);
    if (list) list.push(value);
    else params.set(name, [value]);
  }
  return params;
}
