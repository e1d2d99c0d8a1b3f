/**
 * The BEP 15 packets, encoded and decoded without sockets: connect, announce, scrape and
 * error, announce responses with IPv4 (6-byte) or IPv6 (18-byte) peers, and the BEP 41
 * option list (URL data) after an announce request. All integers are big-endian.
 *
 * Which peer size an announce response uses is not in the packet: BEP 15 says it follows the
 * address family the request travelled over, so decoding takes the family as an argument.
 */
import {
  type AddressFamily,
  type AnnounceEvent,
  COMPACT_IPV4_LENGTH,
  COMPACT_IPV6_LENGTH,
  decodeCompactPeer,
  encodeCompactPeer,
  type PeerAddress,
} from '@bt/primitives';
import { UdpTrackerError } from './errors.js';

/** BEP 15's magic constant 0x41727101980, first 8 bytes of every connect request. */
export const PROTOCOL_ID = 0x41727101980n;

export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_SCRAPE = 2;
export const ACTION_ERROR = 3;

export const CONNECT_REQUEST_LENGTH = 16;
export const CONNECT_RESPONSE_LENGTH = 16;
/** An announce request without BEP 41 options. */
export const ANNOUNCE_REQUEST_LENGTH = 98;
export const ANNOUNCE_RESPONSE_HEADER_LENGTH = 20;
/** Info-hashes per scrape request: BEP 15 says about 74 fit a safe datagram. */
export const MAX_SCRAPE_INFO_HASHES = 74;

/** BEP 41 option types. */
const OPTION_END = 0;
const OPTION_NOP = 1;
const OPTION_URL_DATA = 2;

const EVENT_CODES: Record<AnnounceEvent, number> = {
  none: 0,
  completed: 1,
  started: 2,
  stopped: 3,
};
const EVENTS: readonly AnnounceEvent[] = ['none', 'completed', 'started', 'stopped'];

export interface ConnectRequestPacket {
  action: 'connect';
  transactionId: number;
}

export interface ConnectResponsePacket {
  action: 'connect';
  transactionId: number;
  /** 8 opaque bytes. */
  connectionId: Uint8Array;
}

export interface AnnounceRequestPacket {
  action: 'announce';
  connectionId: Uint8Array;
  transactionId: number;
  infoHash: Uint8Array;
  peerId: Uint8Array;
  downloaded: number;
  left: number;
  uploaded: number;
  event: AnnounceEvent;
  /** IPv4 address as 4 bytes, or all zeros for "the sender's address". */
  ip: Uint8Array;
  key: number;
  /** -1 for the tracker's default. */
  numwant: number;
  port: number;
  /** BEP 41: the tracker URL's path and query, when sent. */
  urlData?: string;
}

export interface AnnounceResponsePacket {
  action: 'announce';
  transactionId: number;
  interval: number;
  leechers: number;
  seeders: number;
  peers: PeerAddress[];
}

export interface ScrapeRequestPacket {
  action: 'scrape';
  connectionId: Uint8Array;
  transactionId: number;
  infoHashes: Uint8Array[];
}

export interface ScrapeEntry {
  seeders: number;
  completed: number;
  leechers: number;
}

export interface ScrapeResponsePacket {
  action: 'scrape';
  transactionId: number;
  entries: ScrapeEntry[];
}

export interface ErrorResponsePacket {
  action: 'error';
  transactionId: number;
  message: string;
}

export type UdpTrackerRequest = ConnectRequestPacket | AnnounceRequestPacket | ScrapeRequestPacket;
export type UdpTrackerResponse =
  ConnectResponsePacket | AnnounceResponsePacket | ScrapeResponsePacket | ErrorResponsePacket;

/** A peer to list, with its compact bytes when the caller already has them (the registry does). */
export type EncodablePeer = PeerAddress & { readonly compact?: Uint8Array };

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function invalid(message: string): never {
  throw new UdpTrackerError('invalid-request', message);
}

function checkU32(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    invalid(`${name} must be a 32-bit unsigned integer`);
  return value;
}

function checkLength(bytes: Uint8Array, length: number, name: string): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length)
    invalid(`${name} must be ${length} bytes`);
  return bytes;
}

function setU64(data: DataView, offset: number, value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    invalid(`${name} must be a non-negative safe integer`);
  data.setUint32(offset, Math.floor(value / 0x1_0000_0000));
  data.setUint32(offset + 4, value >>> 0);
}

/** A 64-bit field as a number (exact below 2^53, the nearest double above). */
function getU64(data: DataView, offset: number): number {
  return data.getUint32(offset) * 0x1_0000_0000 + data.getUint32(offset + 4);
}

export function encodeConnectRequest(packet: Omit<ConnectRequestPacket, 'action'>): Uint8Array {
  const bytes = new Uint8Array(CONNECT_REQUEST_LENGTH);
  const data = view(bytes);
  data.setBigUint64(0, PROTOCOL_ID);
  data.setUint32(8, ACTION_CONNECT);
  data.setUint32(12, checkU32(packet.transactionId, 'transactionId'));
  return bytes;
}

export function encodeConnectResponse(packet: Omit<ConnectResponsePacket, 'action'>): Uint8Array {
  const bytes = new Uint8Array(CONNECT_RESPONSE_LENGTH);
  const data = view(bytes);
  data.setUint32(0, ACTION_CONNECT);
  data.setUint32(4, checkU32(packet.transactionId, 'transactionId'));
  bytes.set(checkLength(packet.connectionId, 8, 'connectionId'), 8);
  return bytes;
}

/** BEP 41: URL data split into options of at most 255 bytes each. */
function encodeUrlData(urlData: string): Uint8Array {
  const text = textEncoder.encode(urlData);
  const chunks = Math.ceil(text.length / 255);
  const bytes = new Uint8Array(text.length + chunks * 2);
  let at = 0;
  for (let start = 0; start < text.length; start += 255) {
    const chunk = text.subarray(start, start + 255);
    bytes[at++] = OPTION_URL_DATA;
    bytes[at++] = chunk.length;
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

export function encodeAnnounceRequest(packet: Omit<AnnounceRequestPacket, 'action'>): Uint8Array {
  const options = packet.urlData ? encodeUrlData(packet.urlData) : undefined;
  const bytes = new Uint8Array(ANNOUNCE_REQUEST_LENGTH + (options?.length ?? 0));
  const data = view(bytes);
  bytes.set(checkLength(packet.connectionId, 8, 'connectionId'), 0);
  data.setUint32(8, ACTION_ANNOUNCE);
  data.setUint32(12, checkU32(packet.transactionId, 'transactionId'));
  bytes.set(checkLength(packet.infoHash, 20, 'infoHash'), 16);
  bytes.set(checkLength(packet.peerId, 20, 'peerId'), 36);
  setU64(data, 56, packet.downloaded, 'downloaded');
  setU64(data, 64, packet.left, 'left');
  setU64(data, 72, packet.uploaded, 'uploaded');
  const event = EVENT_CODES[packet.event];
  if (event === undefined) invalid(`unknown event ${String(packet.event)}`);
  data.setUint32(80, event);
  bytes.set(checkLength(packet.ip, 4, 'ip'), 84);
  data.setUint32(88, checkU32(packet.key, 'key'));
  if (!Number.isInteger(packet.numwant) || packet.numwant < -1 || packet.numwant > 0x7fffffff) {
    invalid('numwant must be -1 or a non-negative 32-bit integer');
  }
  data.setInt32(92, packet.numwant);
  if (!Number.isInteger(packet.port) || packet.port < 0 || packet.port > 65535)
    invalid('port must be 0-65535');
  data.setUint16(96, packet.port);
  if (options) bytes.set(options, ANNOUNCE_REQUEST_LENGTH);
  return bytes;
}

/**
 * An announce reply. `peers` are objects (only those of `family` are listed: BEP 15 answers in
 * the request's family) or already-compact bytes of that family (6 or 18 per peer). With
 * `target`, the reply is written into it when it fits and a view of it is returned (a server
 * reuses one buffer for every reply); otherwise a new array is returned.
 */
export function encodeAnnounceResponse(
  packet: Omit<AnnounceResponsePacket, 'action' | 'peers'> & {
    peers: readonly EncodablePeer[] | Uint8Array;
  },
  family: AddressFamily,
  target?: Uint8Array,
): Uint8Array {
  const size = family === 4 ? COMPACT_IPV4_LENGTH : COMPACT_IPV6_LENGTH;
  const peers = packet.peers;
  let length: number;
  if (peers instanceof Uint8Array) {
    if (peers.length % size !== 0)
      invalid(`compact IPv${family} peers come in ${size}-byte entries`);
    length = ANNOUNCE_RESPONSE_HEADER_LENGTH + peers.length;
  } else {
    let count = 0;
    for (const peer of peers) if (peer.family === family) count++;
    length = ANNOUNCE_RESPONSE_HEADER_LENGTH + count * size;
  }
  const bytes =
    target && target.length >= length ? target.subarray(0, length) : new Uint8Array(length);
  const data = view(bytes);
  data.setUint32(0, ACTION_ANNOUNCE);
  data.setUint32(4, checkU32(packet.transactionId, 'transactionId'));
  data.setUint32(8, checkU32(packet.interval, 'interval'));
  data.setUint32(12, checkU32(packet.leechers, 'leechers'));
  data.setUint32(16, checkU32(packet.seeders, 'seeders'));
  if (peers instanceof Uint8Array) {
    // Already in place when the caller had them written into `target` past the header.
    const inPlace =
      peers.buffer === bytes.buffer &&
      peers.byteOffset === bytes.byteOffset + ANNOUNCE_RESPONSE_HEADER_LENGTH;
    if (!inPlace) bytes.set(peers, ANNOUNCE_RESPONSE_HEADER_LENGTH);
    return bytes;
  }
  let at = ANNOUNCE_RESPONSE_HEADER_LENGTH;
  for (const peer of peers) {
    if (peer.family !== family) continue;
    const compact = peer.compact?.length === size ? peer.compact : encodeCompactPeer(peer);
    bytes.set(compact, at);
    at += size;
  }
  return bytes;
}

export function encodeScrapeRequest(packet: Omit<ScrapeRequestPacket, 'action'>): Uint8Array {
  const count = packet.infoHashes.length;
  if (count === 0 || count > MAX_SCRAPE_INFO_HASHES)
    invalid(`a scrape carries 1-${MAX_SCRAPE_INFO_HASHES} info-hashes`);
  const bytes = new Uint8Array(16 + count * 20);
  const data = view(bytes);
  bytes.set(checkLength(packet.connectionId, 8, 'connectionId'), 0);
  data.setUint32(8, ACTION_SCRAPE);
  data.setUint32(12, checkU32(packet.transactionId, 'transactionId'));
  packet.infoHashes.forEach((infoHash, index) =>
    bytes.set(checkLength(infoHash, 20, 'infoHash'), 16 + index * 20),
  );
  return bytes;
}

export function encodeScrapeResponse(packet: Omit<ScrapeResponsePacket, 'action'>): Uint8Array {
  const bytes = new Uint8Array(8 + packet.entries.length * 12);
  const data = view(bytes);
  data.setUint32(0, ACTION_SCRAPE);
  data.setUint32(4, checkU32(packet.transactionId, 'transactionId'));
  packet.entries.forEach((entry, index) => {
    data.setUint32(8 + index * 12, checkU32(entry.seeders, 'seeders'));
    data.setUint32(12 + index * 12, checkU32(entry.completed, 'completed'));
    data.setUint32(16 + index * 12, checkU32(entry.leechers, 'leechers'));
  });
  return bytes;
}

export function encodeErrorResponse(packet: Omit<ErrorResponsePacket, 'action'>): Uint8Array {
  const message = textEncoder.encode(packet.message);
  const bytes = new Uint8Array(8 + message.length);
  const data = view(bytes);
  data.setUint32(0, ACTION_ERROR);
  data.setUint32(4, checkU32(packet.transactionId, 'transactionId'));
  bytes.set(message, 8);
  return bytes;
}

function malformedResponse(message: string, offset: number): never {
  throw new UdpTrackerError('malformed-response', message, { offset });
}

function malformedRequest(message: string, offset: number): never {
  throw new UdpTrackerError('malformed-request', message, { offset });
}

/**
 * The action and transaction id every reply starts with, or undefined for a datagram shorter
 * than 8 bytes. Lets a client match a reply to its request before decoding the rest.
 */
export function peekHeader(
  bytes: Uint8Array,
): { action: number; transactionId: number } | undefined {
  if (bytes.length < 8) return undefined;
  const data = view(bytes);
  return { action: data.getUint32(0), transactionId: data.getUint32(4) };
}

/**
 * Decodes a tracker's reply. `family` is the address family the request travelled over
 * (it picks the 6- or 18-byte peer size). Nothing returned refers to `bytes`. Throws `UdpTrackerError('malformed-response')` with an `offset`.
 */
export function decodeResponse(bytes: Uint8Array, family: AddressFamily = 4): UdpTrackerResponse {
  if (bytes.length < 8)
    malformedResponse(`a reply is at least 8 bytes, got ${bytes.length}`, bytes.length);
  const data = view(bytes);
  const action = data.getUint32(0);
  const transactionId = data.getUint32(4);
  switch (action) {
    case ACTION_CONNECT: {
      if (bytes.length < CONNECT_RESPONSE_LENGTH) {
        malformedResponse(`a connect reply is 16 bytes, got ${bytes.length}`, bytes.length);
      }
      return { action: 'connect', transactionId, connectionId: bytes.slice(8, 16) };
    }
    case ACTION_ANNOUNCE: {
      if (bytes.length < ANNOUNCE_RESPONSE_HEADER_LENGTH) {
        malformedResponse(
          `an announce reply is at least 20 bytes, got ${bytes.length}`,
          bytes.length,
        );
      }
      const size = family === 4 ? COMPACT_IPV4_LENGTH : COMPACT_IPV6_LENGTH;
      const peerBytes = bytes.length - ANNOUNCE_RESPONSE_HEADER_LENGTH;
      if (peerBytes % size !== 0) {
        malformedResponse(
          `announce reply peers come in ${size}-byte entries (IPv${family}); got ${peerBytes} bytes`,
          bytes.length - (peerBytes % size),
        );
      }
      const peers: PeerAddress[] = [];
      for (let at = ANNOUNCE_RESPONSE_HEADER_LENGTH; at < bytes.length; at += size) {
        peers.push(decodeCompactPeer(bytes.subarray(at, at + size)));
      }
      return {
        action: 'announce',
        transactionId,
        interval: data.getUint32(8),
        leechers: data.getUint32(12),
        seeders: data.getUint32(16),
        peers,
      };
    }
    case ACTION_SCRAPE: {
      const entryBytes = bytes.length - 8;
      if (entryBytes % 12 !== 0) {
        malformedResponse(
          `scrape reply entries are 12 bytes each; got ${entryBytes} bytes`,
          bytes.length - (entryBytes % 12),
        );
      }
      const entries: ScrapeEntry[] = [];
      for (let at = 8; at < bytes.length; at += 12) {
        entries.push({
          seeders: data.getUint32(at),
          completed: data.getUint32(at + 4),
          leechers: data.getUint32(at + 8),
        });
      }
      return { action: 'scrape', transactionId, entries };
    }
    case ACTION_ERROR: {
      // Some trackers end the message with a NUL; it is not part of the words.
      let end = bytes.length;
      while (end > 8 && bytes[end - 1] === 0) end--;
      return {
        action: 'error',
        transactionId,
        message: textDecoder.decode(bytes.subarray(8, end)),
      };
    }
    default:
      return malformedResponse(`unknown action ${action}`, 0);
  }
}

/**
 * Decodes a client's request (what a server receives). Its byte fields (`connectionId`,
 * `infoHash`, `peerId`, `ip`, `infoHashes`) are views into `bytes`, which a server owns per
 * datagram anyway; copy them to keep them past `bytes`. Throws
 * `UdpTrackerError('malformed-request')` with an `offset`. Unknown BEP 41 options are skipped;
 * a truncated option list ends the options without failing the announce.
 */
export function decodeRequest(bytes: Uint8Array): UdpTrackerRequest {
  if (bytes.length < 16)
    malformedRequest(`a request is at least 16 bytes, got ${bytes.length}`, bytes.length);
  const data = view(bytes);
  const action = data.getUint32(8);
  const transactionId = data.getUint32(12);
  switch (action) {
    case ACTION_CONNECT: {
      if (data.getBigUint64(0) !== PROTOCOL_ID)
        malformedRequest('a connect request starts with the protocol id 0x41727101980', 0);
      return { action: 'connect', transactionId };
    }
    case ACTION_ANNOUNCE: {
      if (bytes.length < ANNOUNCE_REQUEST_LENGTH) {
        malformedRequest(
          `an announce request is at least 98 bytes, got ${bytes.length}`,
          bytes.length,
        );
      }
      const eventCode = data.getUint32(80);
      const event = EVENTS[eventCode];
      if (event === undefined) malformedRequest(`unknown announce event ${eventCode}`, 80);
      const packet: AnnounceRequestPacket = {
        action: 'announce',
        connectionId: bytes.subarray(0, 8),
        transactionId,
        infoHash: bytes.subarray(16, 36),
        peerId: bytes.subarray(36, 56),
        downloaded: getU64(data, 56),
        left: getU64(data, 64),
        uploaded: getU64(data, 72),
        event,
        ip: bytes.subarray(84, 88),
        key: data.getUint32(88),
        numwant: data.getInt32(92),
        port: data.getUint16(96),
      };
      const urlData = decodeOptions(bytes, ANNOUNCE_REQUEST_LENGTH);
      if (urlData !== undefined) packet.urlData = urlData;
      return packet;
    }
    case ACTION_SCRAPE: {
      const hashBytes = bytes.length - 16;
      if (hashBytes === 0 || hashBytes % 20 !== 0) {
        malformedRequest(
          `a scrape request carries 20-byte info-hashes; got ${hashBytes} bytes`,
          16,
        );
      }
      const count = hashBytes / 20;
      if (count > MAX_SCRAPE_INFO_HASHES) {
        malformedRequest(
          `a scrape request carries at most ${MAX_SCRAPE_INFO_HASHES} info-hashes, got ${count}`,
          16,
        );
      }
      const infoHashes: Uint8Array[] = [];
      for (let at = 16; at < bytes.length; at += 20) infoHashes.push(bytes.subarray(at, at + 20));
      return { action: 'scrape', connectionId: bytes.subarray(0, 8), transactionId, infoHashes };
    }
    default:
      return malformedRequest(`unknown action ${action}`, 8);
  }
}

/** BEP 41 options after an announce; the concatenated URL data, or undefined when none. */
function decodeOptions(bytes: Uint8Array, start: number): string | undefined {
  const parts: Uint8Array[] = [];
  let at = start;
  while (at < bytes.length) {
    const type = bytes[at++]!;
    if (type === OPTION_END) break;
    if (type === OPTION_NOP) continue;
    if (at >= bytes.length) break;
    const length = bytes[at++]!;
    if (at + length > bytes.length) break;
    if (type === OPTION_URL_DATA) parts.push(bytes.subarray(at, at + length));
    at += length;
  }
  if (parts.length === 0) return undefined;
  let total = 0;
  for (const part of parts) total += part.length;
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return textDecoder.decode(joined);
}
