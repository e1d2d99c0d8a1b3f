/**
 * Info-hashes and peer ids (BEP 3, BEP 20). Both are 20 raw bytes; hex is only for display.
 * Random bytes come from Web Crypto's `getRandomValues`, present in Node 20 and browsers.
 */
import { fromBase32, fromHex, toHex } from './bytes.js';
import { PrimitivesError } from './errors.js';

export const INFO_HASH_LENGTH = 20;
export const PEER_ID_LENGTH = 20;

/** A v1 info-hash: the SHA-1 of a torrent's bencoded `info` dictionary. */
export type InfoHash = Uint8Array;
export type PeerId = Uint8Array;

/** Reads an info-hash written as 40 hex digits or 32 base32 characters (magnet form). */
export function parseInfoHash(text: string): InfoHash {
  if (text.length === 40 && /^[0-9a-fA-F]+$/.test(text)) return fromHex(text);
  if (text.length === 32 && /^[A-Za-z2-7]+$/.test(text)) return fromBase32(text);
  throw new PrimitivesError(
    'invalid-info-hash',
    `an info-hash is 40 hex digits or 32 base32 characters, got ${JSON.stringify(text.slice(0, 80))}`,
  );
}

export function assertInfoHash(bytes: Uint8Array): InfoHash {
  if (!(bytes instanceof Uint8Array) || bytes.length !== INFO_HASH_LENGTH) {
    throw new PrimitivesError('invalid-info-hash', 'an info-hash is exactly 20 bytes');
  }
  return bytes;
}

export function infoHashToHex(infoHash: InfoHash): string {
  return toHex(infoHash);
}

/** The client prefix bt writes into peer ids, Azureus style (BEP 20): `-BT0001-`. */
export const DEFAULT_PEER_ID_PREFIX = '-BT0001-';

/**
 * A fresh peer id: the client prefix followed by random bytes. The prefix must be ASCII and
 * shorter than 20 bytes.
 */
export function generatePeerId(prefix: string = DEFAULT_PEER_ID_PREFIX): PeerId {
  if (!/^[\x20-\x7e]{0,19}$/.test(prefix)) {
    throw new PrimitivesError(
      'invalid-peer-id',
      'a peer id prefix is at most 19 printable ASCII characters',
    );
  }
  const id = new Uint8Array(PEER_ID_LENGTH);
  globalThis.crypto.getRandomValues(id);
  for (let i = 0; i < prefix.length; i++) id[i] = prefix.charCodeAt(i);
  return id;
}

/** Random bytes for keys and transaction ids. */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/**
 * Names the client behind a peer id where it follows the Azureus (`-qB4650-`) convention,
 * for display only.
 */
export function describePeerId(peerId: PeerId): string {
  if (peerId.length === PEER_ID_LENGTH && peerId[0] === 0x2d && peerId[7] === 0x2d) {
    let text = '';
    for (let i = 1; i < 7; i++) {
      const byte = peerId[i]!;
      if (byte < 0x20 || byte > 0x7e) return toHex(peerId);
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return toHex(peerId);
}
