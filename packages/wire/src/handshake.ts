/**
 * The BEP 3 handshake: `\x13BitTorrent protocol`, 8 reserved bytes, the 20-byte info-hash and the
 * 20-byte peer id, 68 bytes in all. Reserved bits announce BEP 10 (byte 5, 0x10), BEP 6 (byte 7,
 * 0x04) and BEP 5 (byte 7, 0x01).
 */
import { WireProtocolError } from './errors.js';
import type { HandshakeExtensions, HandshakeMessage } from './messages.js';

export const HANDSHAKE_LENGTH = 68;
export const PROTOCOL_NAME = 'BitTorrent protocol';
const PROTOCOL_BYTES = Uint8Array.from(PROTOCOL_NAME, (char) => char.charCodeAt(0));

export interface HandshakeInit {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  /** The extensions to announce. Default: none. */
  extensions?: Partial<HandshakeExtensions>;
  /** Reserved bytes to start from (other bits are kept; the named ones are set from `extensions`). */
  reserved?: Uint8Array;
}

/** The reserved bytes announcing `extensions`. */
export function encodeReserved(
  extensions: Partial<HandshakeExtensions>,
  base?: Uint8Array,
): Uint8Array {
  const reserved = new Uint8Array(8);
  if (base) reserved.set(base.subarray(0, 8));
  if (extensions.extended) reserved[5]! |= 0x10;
  if (extensions.fast) reserved[7]! |= 0x04;
  if (extensions.dht) reserved[7]! |= 0x01;
  return reserved;
}

/** The extensions announced by `reserved`. */
export function decodeReserved(reserved: Uint8Array): HandshakeExtensions {
  return {
    extended: (reserved[5]! & 0x10) !== 0,
    fast: (reserved[7]! & 0x04) !== 0,
    dht: (reserved[7]! & 0x01) !== 0,
  };
}

/** Encodes the 68-byte handshake. */
export function encodeHandshake(init: HandshakeInit): Uint8Array {
  if (init.infoHash.length !== 20)
    throw new RangeError(`infoHash must be 20 bytes, got ${init.infoHash.length}`);
  if (init.peerId.length !== 20)
    throw new RangeError(`peerId must be 20 bytes, got ${init.peerId.length}`);
  const bytes = new Uint8Array(HANDSHAKE_LENGTH);
  bytes[0] = 19;
  bytes.set(PROTOCOL_BYTES, 1);
  bytes.set(encodeReserved(init.extensions ?? {}, init.reserved), 20);
  bytes.set(init.infoHash, 28);
  bytes.set(init.peerId, 48);
  return bytes;
}

/**
 * Decodes a complete 68-byte handshake. The fields are views of `bytes`.
 * @throws WireProtocolError `invalid-handshake`
 */
export function decodeHandshake(bytes: Uint8Array): HandshakeMessage {
  if (bytes.length !== HANDSHAKE_LENGTH) {
    throw new WireProtocolError(
      'invalid-handshake',
      `a handshake is ${HANDSHAKE_LENGTH} bytes, got ${bytes.length}`,
    );
  }
  checkProtocolPrefix(bytes, 20);
  const reserved = bytes.subarray(20, 28);
  return {
    type: 'handshake',
    reserved,
    infoHash: bytes.subarray(28, 48),
    peerId: bytes.subarray(48, 68),
    extensions: decodeReserved(reserved),
  };
}

/**
 * Checks the first `available` bytes (at most 20) of a handshake against the protocol string, so a
 * peer speaking something else is dropped on its first bytes.
 * @throws WireProtocolError `invalid-handshake`
 */
export function checkProtocolPrefix(bytes: Uint8Array, available: number): void {
  const end = Math.min(available, 20);
  if (end > 0 && bytes[0] !== 19) {
    throw new WireProtocolError(
      'invalid-handshake',
      `not a BitTorrent handshake (first byte ${bytes[0]}, expected 19)`,
      {
        offset: 0,
      },
    );
  }
  for (let i = 1; i < end; i++) {
    if (bytes[i] !== PROTOCOL_BYTES[i - 1]) {
      throw new WireProtocolError(
        'invalid-handshake',
        'not a BitTorrent handshake (protocol string differs)',
        {
          offset: i,
        },
      );
    }
  }
}
