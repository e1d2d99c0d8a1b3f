/**
 * BEP 14 announces: the `BT-SEARCH * HTTP/1.1` datagram a client multicasts to say which swarms
 * it is in and on which port it listens. Encoding follows the BEP to the letter; decoding is
 * lenient, as HTTP asks (headers in any order and any case, unknown headers ignored, `\n` as well
 * as `\r\n`, upper- or lower-case hex), and bounded (a size cap, at most `MAX_DECODED_INFO_HASHES`
 * info-hashes kept).
 */
import { fromHex, INFO_HASH_LENGTH, toHex } from '@bt/primitives';
import { LpdError } from './errors.js';

/** BEP 14: the organisation-local IPv4 group. */
export const LPD_IPV4_GROUP = '239.192.152.143';
/** BEP 14: the site-local IPv6 group. */
export const LPD_IPV6_GROUP = 'ff15::efc0:988f';
/** BEP 14: the UDP port of both groups. */
export const LPD_PORT = 6771;
/** BEP 14: an announce carrying several info-hashes should stay under 1400 bytes (no fragmentation). */
export const MAX_ANNOUNCE_BYTES = 1400;
/** Info-hashes that fit one announce under `MAX_ANNOUNCE_BYTES` with a cookie of up to 64 characters. */
export const MAX_INFO_HASHES_PER_ANNOUNCE = 24;
/** The most info-hashes one received announce contributes; the rest are ignored. */
export const MAX_DECODED_INFO_HASHES = 32;
/** Received datagrams over this size are refused unread. */
export const MAX_RECEIVED_BYTES = 4096;
const MAX_COOKIE_LENGTH = 64;

export interface LpdAnnounce {
  /** The port the sender accepts peers on (its address is the datagram's source). */
  readonly port: number;
  /** The swarms it announces, 20 bytes each, without duplicates. */
  readonly infoHashes: readonly Uint8Array[];
  /** Its opaque cookie, so a client recognises its own announces looped back. */
  readonly cookie?: string;
}

export interface LpdAnnounceInit {
  /** Which group the announce goes to (the `Host` header names it). */
  family: 4 | 6;
  port: number;
  infoHashes: readonly Uint8Array[];
  /** Printable ASCII without spaces, at most 64 characters. */
  cookie?: string;
}

/**
 * The announce datagram.
 * @throws LpdError `invalid-announce` for a port out of range, an info-hash that is not 20 bytes,
 * no info-hash or more than `MAX_INFO_HASHES_PER_ANNOUNCE`, or a cookie that is not a token.
 */
export function encodeAnnounce(init: LpdAnnounceInit): Uint8Array {
  if (!Number.isInteger(init.port) || init.port < 1 || init.port > 65535)
    throw new LpdError('invalid-announce', `port ${init.port} is out of range`);
  if (init.infoHashes.length === 0 || init.infoHashes.length > MAX_INFO_HASHES_PER_ANNOUNCE)
    throw new LpdError(
      'invalid-announce',
      `an announce carries 1 to ${MAX_INFO_HASHES_PER_ANNOUNCE} info-hashes, not ${init.infoHashes.length}`,
    );
  if (
    init.cookie !== undefined &&
    (init.cookie.length === 0 ||
      init.cookie.length > MAX_COOKIE_LENGTH ||
      !/^[\x21-\x7e]+$/.test(init.cookie))
  )
    throw new LpdError('invalid-announce', 'the cookie must be 1 to 64 printable characters');
  const host =
    init.family === 4 ? `${LPD_IPV4_GROUP}:${LPD_PORT}` : `[${LPD_IPV6_GROUP}]:${LPD_PORT}`;
  let text = `BT-SEARCH * HTTP/1.1\r\nHost: ${host}\r\nPort: ${init.port}\r\n`;
  for (const infoHash of init.infoHashes) {
    if (infoHash.length !== INFO_HASH_LENGTH)
      throw new LpdError('invalid-announce', `an info-hash is ${infoHash.length} bytes, not 20`);
    text += `Infohash: ${toHex(infoHash)}\r\n`;
  }
  if (init.cookie !== undefined) text += `cookie: ${init.cookie}\r\n`;
  text += '\r\n\r\n';
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Reads an announce, leniently. Invalid info-hash values are skipped; duplicates are kept once.
 * @throws LpdError `oversized-announce` over `MAX_RECEIVED_BYTES`; `malformed-announce` when the
 * request line is not `BT-SEARCH`, the port is missing or out of range, or no info-hash is valid.
 */
export function decodeAnnounce(datagram: Uint8Array): LpdAnnounce {
  if (datagram.length > MAX_RECEIVED_BYTES)
    throw new LpdError(
      'oversized-announce',
      `an announce of ${datagram.length} bytes is over ${MAX_RECEIVED_BYTES}`,
    );
  let text = '';
  for (const byte of datagram) text += String.fromCharCode(byte);
  const lines = text.split('\n');
  const requestLine = lines[0]!.trim().split(/\s+/);
  if (requestLine[0]?.toUpperCase() !== 'BT-SEARCH' || !/^HTTP\/1\.\d$/i.test(requestLine[2] ?? ''))
    throw new LpdError('malformed-announce', 'not a BT-SEARCH request', { line: 0 });
  let port: number | undefined;
  let cookie: string | undefined;
  const infoHashes: Uint8Array[] = [];
  const seen = new Set<string>();
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '') {
      // the end of the headers; what follows is no announce's business
      if (port !== undefined || infoHashes.length > 0) break;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (name) {
      case 'port':
        if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535)
          throw new LpdError('malformed-announce', `port ${JSON.stringify(value.slice(0, 16))}`, {
            line: index,
          });
        port = Number(value);
        break;
      case 'infohash': {
        if (!/^[0-9a-f]{40}$/i.test(value)) break;
        const key = value.toLowerCase();
        if (seen.has(key) || infoHashes.length >= MAX_DECODED_INFO_HASHES) break;
        seen.add(key);
        infoHashes.push(fromHex(key));
        break;
      }
      case 'cookie':
        if (value.length > 0 && value.length <= MAX_COOKIE_LENGTH) cookie = value;
        break;
      default:
      // Host and anything newer: not needed to find the peer
    }
  }
  if (port === undefined) throw new LpdError('malformed-announce', 'no Port header');
  if (infoHashes.length === 0) throw new LpdError('malformed-announce', 'no valid Infohash header');
  return cookie === undefined ? { port, infoHashes } : { port, infoHashes, cookie };
}
