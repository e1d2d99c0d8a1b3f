/**
 * The uTP packet codec (BEP 29): a 20-byte header (type and version, first extension,
 * connection id, timestamp, timestamp difference, receive window, sequence and ack numbers),
 * a linked list of extensions (1 = selective ACK; unknown ones are skipped by their length),
 * then the payload. Pure: bytes in, a typed packet out, and back.
 */
import { UtpError } from './errors.js';

/** BEP 29 packet types. */
export const PacketType = {
  /** Data; always carries a payload. */
  data: 0,
  /** The last packet of the sender's stream (its sequence number is `eof_pkt`). */
  fin: 1,
  /** An ACK without data; does not consume a sequence number. */
  state: 2,
  /** The sender has no state for this connection. */
  reset: 3,
  /** Opens a connection. */
  syn: 4,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** The protocol version this codec speaks. */
export const UTP_VERSION = 1;
/** Bytes of the fixed header. */
export const HEADER_LENGTH = 20;
/** Extension type of the selective ACK bitmask. */
export const SELECTIVE_ACK_EXTENSION = 1;

export interface UtpPacket {
  type: PacketType;
  /** On a SYN: the id the sender receives on; on everything else the receiver's receive id. */
  connectionId: number;
  /** The sender's clock when sent, microseconds modulo 2^32. */
  timestamp: number;
  /** The sender's last one-way delay sample of our packets (microseconds modulo 2^32). */
  timestampDifference: number;
  /** Bytes the sender can still receive. */
  windowSize: number;
  seq: number;
  ack: number;
  /**
   * BEP 29 selective ACK: bit `i` (least significant bit of byte 0 first) acknowledges
   * `ack + 2 + i`. A view into the datagram.
   */
  selectiveAck?: Uint8Array;
  /** A view into the datagram (the packet does not own it). */
  payload: Uint8Array;
}

/**
 * True when `bytes` can be a uTP packet: long enough, version 1, a known type. The first byte of
 * uTP is `type << 4 | 1` (0x01 to 0x41), never `d` (0x64) that opens every bencoded DHT message,
 * so one UDP socket can carry both.
 */
export function isUtpDatagram(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_LENGTH) return false;
  const first = bytes[0]!;
  return (first & 0x0f) === UTP_VERSION && first >> 4 <= PacketType.syn;
}

/** Decodes one datagram. Throws `UtpError('invalid-packet')` for anything that is not uTP. */
export function decodePacket(bytes: Uint8Array): UtpPacket {
  if (bytes.length < HEADER_LENGTH)
    throw new UtpError(
      'invalid-packet',
      `a uTP packet has at least ${HEADER_LENGTH} bytes, got ${bytes.length}`,
      {
        offset: bytes.length,
      },
    );
  const first = bytes[0]!;
  if ((first & 0x0f) !== UTP_VERSION)
    throw new UtpError('invalid-packet', `uTP version ${first & 0x0f} is not 1`, { offset: 0 });
  const type = first >> 4;
  if (type > PacketType.syn)
    throw new UtpError('invalid-packet', `uTP packet type ${type} is unknown`, { offset: 0 });
  let extension = bytes[1]!;
  let offset = HEADER_LENGTH;
  let selectiveAck: Uint8Array | undefined;
  // Each extension: the next one's type, a length, the bytes. At most 255 bytes each.
  while (extension !== 0) {
    if (offset + 2 > bytes.length)
      throw new UtpError('invalid-packet', 'a uTP extension header runs past the datagram', {
        offset,
      });
    const next = bytes[offset]!;
    const length = bytes[offset + 1]!;
    const start = offset + 2;
    if (start + length > bytes.length)
      throw new UtpError('invalid-packet', 'a uTP extension runs past the datagram', { offset });
    if (extension === SELECTIVE_ACK_EXTENSION) {
      // BEP 29 asks for multiples of 4 bytes; libtorrent sends any length, so only empty is wrong.
      if (length === 0)
        throw new UtpError('invalid-packet', 'an empty selective ACK', { offset: offset + 1 });
      selectiveAck = bytes.subarray(start, start + length);
    }
    extension = next;
    offset = start + length;
  }
  const payload = bytes.subarray(offset);
  if (type === PacketType.data && payload.length === 0)
    throw new UtpError('invalid-packet', 'an ST_DATA packet without payload', { offset });
  const packet: UtpPacket = {
    type: type as PacketType,
    connectionId: (bytes[2]! << 8) | bytes[3]!,
    timestamp: readUint32(bytes, 4),
    timestampDifference: readUint32(bytes, 8),
    windowSize: readUint32(bytes, 12),
    seq: (bytes[16]! << 8) | bytes[17]!,
    ack: (bytes[18]! << 8) | bytes[19]!,
    payload,
  };
  if (selectiveAck) packet.selectiveAck = selectiveAck;
  return packet;
}

/** The fields `writeHeader` writes. */
export interface PacketHeader {
  type: PacketType;
  connectionId: number;
  timestamp: number;
  timestampDifference: number;
  windowSize: number;
  seq: number;
  ack: number;
}

/**
 * Writes the 20-byte header at the start of `target`; `extension` is the first extension's
 * type (0 for none). Used to build packets in place and to refresh a resent one.
 */
export function writeHeader(target: Uint8Array, header: PacketHeader, extension = 0): void {
  target[0] = (header.type << 4) | UTP_VERSION;
  target[1] = extension;
  target[2] = (header.connectionId >>> 8) & 0xff;
  target[3] = header.connectionId & 0xff;
  writeUint32(target, 4, header.timestamp);
  writeUint32(target, 8, header.timestampDifference);
  writeUint32(target, 12, header.windowSize);
  target[16] = (header.seq >>> 8) & 0xff;
  target[17] = header.seq & 0xff;
  target[18] = (header.ack >>> 8) & 0xff;
  target[19] = header.ack & 0xff;
}

/** Encodes a packet into a fresh buffer (the selective ACK, if any, padded to a multiple of 4). */
export function encodePacket(packet: UtpPacket): Uint8Array {
  const sack = packet.selectiveAck;
  if (sack && (sack.length === 0 || sack.length % 4 !== 0 || sack.length > 252))
    throw new UtpError('invalid-argument', 'a selective ACK has 4 to 252 bytes, in multiples of 4');
  const extensionLength = sack ? 2 + sack.length : 0;
  const bytes = new Uint8Array(HEADER_LENGTH + extensionLength + packet.payload.length);
  writeHeader(bytes, packet, sack ? SELECTIVE_ACK_EXTENSION : 0);
  let offset = HEADER_LENGTH;
  if (sack) {
    bytes[offset] = 0;
    bytes[offset + 1] = sack.length;
    bytes.set(sack, offset + 2);
    offset += 2 + sack.length;
  }
  bytes.set(packet.payload, offset);
  return bytes;
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) |
      (bytes[offset + 1]! << 16) |
      (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>>
    0
  );
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}
