/**
 * The pure server side of the HTTP tracker protocol: announce and scrape query strings read
 * byte-exactly into typed requests (BEP 3), and the bencoded answers written back: compact
 * (BEP 23) or dictionary-model peers, BEP 7 `peers6`, scrape `files` (BEP 48), and
 * `failure reason` for anything a client got wrong.
 */
import { encode } from '@bt/bencode';
import type { AnnounceEvent, ScrapeFile, TrackerPeer } from '@bt/primitives';
import { encodeCompactPeer, writeIPv4 } from '@bt/primitives';
import { parseQuery } from './percent.js';

/** Why the server refused a request; the message is sent to the client as `failure reason`. */
export type TrackerRequestErrorCode =
  | 'malformed-query'
  | 'missing-parameter'
  | 'invalid-parameter'
  | 'not-allowed'
  | 'unknown-path'
  | 'too-many-info-hashes';

const marker = Symbol.for('@bt/tracker-http.request-error');

/** A client sent a request the tracker cannot serve. Its message becomes the `failure reason`. */
export class TrackerRequestError extends Error {
  override name = 'TrackerRequestError';
  readonly code: TrackerRequestErrorCode;
  readonly [marker] = true;

  constructor(code: TrackerRequestErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  static isInstance(error: unknown): error is TrackerRequestError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/** An announce as a client sent it. */
export interface AnnounceQuery {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event: AnnounceEvent;
  /** `undefined` when the client did not say. */
  numwant: number | undefined;
  /** BEP 23: compact unless the client sent `compact=0`. */
  compact: boolean;
  /** `no_peer_id=1`: leave `peer id` out of dictionary-model peers. */
  noPeerId: boolean;
  /** The `ip` parameter, when sent; servers use it only when configured to trust it. */
  ip: string | undefined;
  key: number | undefined;
}

const LATIN1 = new TextDecoder('latin1');

function single(params: Map<string, Uint8Array[]>, name: string): Uint8Array | undefined {
  const values = params.get(name);
  return values === undefined ? undefined : values[values.length - 1];
}

function required(params: Map<string, Uint8Array[]>, name: string): Uint8Array {
  const value = single(params, name);
  if (value === undefined) throw new TrackerRequestError('missing-parameter', `missing ${name}`);
  return value;
}

function twentyBytes(value: Uint8Array, name: string): Uint8Array {
  if (value.length !== 20) {
    throw new TrackerRequestError(
      'invalid-parameter',
      `${name} must be 20 bytes, got ${value.length}`,
    );
  }
  return value;
}

/** A decimal count (BEP 3 sends them as text); some clients send a negative `left` when unsure. */
function integer(value: Uint8Array, name: string, min: number, max: number): number {
  if (value.length === 0 || value.length > 20)
    throw new TrackerRequestError('invalid-parameter', `invalid ${name}`);
  let start = 0;
  let negative = false;
  if (value[0] === 0x2d) {
    negative = true;
    start = 1;
    if (value.length === 1) throw new TrackerRequestError('invalid-parameter', `invalid ${name}`);
  }
  let number = 0;
  for (let i = start; i < value.length; i++) {
    const digit = value[i]! - 0x30;
    if (digit < 0 || digit > 9)
      throw new TrackerRequestError('invalid-parameter', `invalid ${name}`);
    number = number * 10 + digit;
  }
  if (negative) number = -number;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new TrackerRequestError('invalid-parameter', `${name} out of range`);
  }
  return number;
}

function wanted(numwant: number): number | undefined {
  return numwant < 0 ? undefined : numwant;
}

function text(value: Uint8Array): string {
  return LATIN1.decode(value);
}

function readEvent(value: Uint8Array | undefined): AnnounceEvent {
  if (value === undefined || value.length === 0) return 'none';
  switch (text(value)) {
    case 'started':
      return 'started';
    case 'completed':
      return 'completed';
    case 'stopped':
      return 'stopped';
    case 'empty':
    case 'paused': // BEP 21 partial seeds announce `paused`; they stay in the swarm.
      return 'none';
    default:
      throw new TrackerRequestError('invalid-parameter', 'invalid event');
  }
}

function queryParams(query: string): Map<string, Uint8Array[]> {
  const params = parseQuery(query);
  if (params === undefined)
    throw new TrackerRequestError('malformed-query', 'malformed query string');
  return params;
}

/**
 * Reads an announce query string (the part after `?`).
 * @throws TrackerRequestError for a missing or invalid parameter.
 */
export function parseAnnounceQuery(query: string): AnnounceQuery {
  const params = queryParams(query);
  const left = integer(required(params, 'left'), 'left', -(2 ** 53 - 1), 2 ** 53 - 1);
  const numwant = single(params, 'numwant');
  const ip = single(params, 'ip');
  const key = single(params, 'key');
  const compact = single(params, 'compact');
  const noPeerId = single(params, 'no_peer_id');
  let keyNumber: number | undefined;
  if (key !== undefined && key.length > 0) {
    const parsed = /^[0-9a-fA-F]{1,8}$/.test(text(key))
      ? Number.parseInt(text(key), 16)
      : Number.NaN;
    keyNumber = Number.isNaN(parsed) ? undefined : parsed;
  }
  return {
    infoHash: twentyBytes(required(params, 'info_hash'), 'info_hash'),
    peerId: twentyBytes(required(params, 'peer_id'), 'peer_id'),
    port: integer(required(params, 'port'), 'port', 0, 65535),
    // Counters are statistics only: a buggy client's negative value reads as 0 rather than failing it.
    uploaded: Math.max(
      0,
      integer(required(params, 'uploaded'), 'uploaded', -(2 ** 53 - 1), 2 ** 53 - 1),
    ),
    downloaded: Math.max(
      0,
      integer(required(params, 'downloaded'), 'downloaded', -(2 ** 53 - 1), 2 ** 53 - 1),
    ),
    // A negative `left` (sent by clients that do not know the size yet) counts as leeching.
    left: left < 0 ? 1 : left,
    event: readEvent(single(params, 'event')),
    // `numwant=-1` (the UDP convention, sent over HTTP by some clients) means "the default".
    numwant:
      numwant === undefined || numwant.length === 0
        ? undefined
        : wanted(integer(numwant, 'numwant', -(2 ** 31), 2 ** 31)),
    compact: compact === undefined || !(compact.length === 1 && compact[0] === 0x30),
    noPeerId: noPeerId !== undefined && noPeerId.length === 1 && noPeerId[0] === 0x31,
    ip: ip === undefined || ip.length === 0 || ip.length > 64 ? undefined : text(ip),
    key: keyNumber,
  };
}

/**
 * Reads a scrape query string: every `info_hash` parameter, each exactly 20 bytes.
 * @throws TrackerRequestError when one is not 20 bytes or there are more than `maxInfoHashes`.
 */
export function parseScrapeQuery(query: string, maxInfoHashes = 256): Uint8Array[] {
  const hashes = queryParams(query).get('info_hash') ?? [];
  if (hashes.length > maxInfoHashes) {
    throw new TrackerRequestError(
      'too-many-info-hashes',
      `at most ${maxInfoHashes} info_hash per scrape`,
    );
  }
  return hashes.map((hash) => twentyBytes(hash, 'info_hash'));
}

export interface AnnounceAnswer {
  interval: number;
  minInterval?: number;
  complete: number;
  incomplete: number;
  peers: readonly TrackerPeer[];
  /** BEP 23 compact form (`peers` / `peers6` byte strings); else the dictionary model. */
  compact: boolean;
  /** Leave `peer id` out of dictionary-model peers. */
  noPeerId?: boolean;
  warning?: string;
}

const ASCII = new TextEncoder();

/** Peers of one family as one compact string; peers whose host is not an IP literal are left out. */
function compactOf(peers: readonly TrackerPeer[], family: 4 | 6): Uint8Array {
  const size = family === 4 ? 6 : 18;
  const out = new Uint8Array(peers.length * size);
  let length = 0;
  for (const peer of peers) {
    if (peer.family !== family) continue;
    // An IPv4 literal is written straight from its text: no allocation per peer.
    if (family === 4 && writeIPv4(peer.host, out, length)) {
      out[length + 4] = peer.port >> 8;
      out[length + 5] = peer.port & 0xff;
      length += size;
      continue;
    }
    const stored = (peer as { compact?: Uint8Array }).compact;
    if (stored !== undefined && stored.length === size) {
      out.set(stored, length);
    } else if (family === 4) {
      continue;
    } else {
      try {
        out.set(encodeCompactPeer(peer), length);
      } catch {
        continue;
      }
    }
    length += size;
  }
  return out.subarray(0, length);
}

function concat(parts: readonly (string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((part) => (typeof part === 'string' ? ASCII.encode(part) : part));
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** The bencoded announce answer (keys in canonical order). */
export function encodeAnnounceResponse(answer: AnnounceAnswer): Uint8Array {
  if (!answer.compact) {
    return encode({
      complete: answer.complete,
      incomplete: answer.incomplete,
      interval: answer.interval,
      ...(answer.minInterval === undefined ? {} : { 'min interval': answer.minInterval }),
      peers: answer.peers.map((peer) => ({
        ip: peer.host,
        port: peer.port,
        ...(answer.noPeerId || peer.peerId === undefined ? {} : { 'peer id': peer.peerId }),
      })),
      ...(answer.warning === undefined ? {} : { 'warning message': answer.warning }),
    });
  }
  // The hot path: written by hand, one allocation for the peers and one for the whole answer.
  const peers4 = compactOf(answer.peers, 4);
  const peers6 = answer.peers.some((peer) => peer.family === 6)
    ? compactOf(answer.peers, 6)
    : undefined;
  const parts: (string | Uint8Array)[] = [
    `d8:completei${answer.complete}e10:incompletei${answer.incomplete}e8:intervali${answer.interval}e`,
  ];
  if (answer.minInterval !== undefined) parts.push(`12:min intervali${answer.minInterval}e`);
  parts.push(`5:peers${peers4.length}:`, peers4);
  if (peers6 !== undefined) parts.push(`6:peers6${peers6.length}:`, peers6);
  if (answer.warning !== undefined) {
    const warning = ASCII.encode(answer.warning);
    parts.push(`15:warning message${warning.length}:`, warning);
  }
  parts.push('e');
  return concat(parts);
}

/** The bencoded scrape answer (BEP 48 `files`). */
export function encodeScrapeResponse(files: readonly ScrapeFile[]): Uint8Array {
  const entries = new Map<
    Uint8Array,
    { complete: number; downloaded: number; incomplete: number }
  >();
  for (const file of files) {
    entries.set(file.infoHash, {
      complete: file.complete,
      downloaded: file.downloaded,
      incomplete: file.incomplete,
    });
  }
  return encode({ files: entries });
}

/** A bencoded `failure reason` (BEP 3). */
export function encodeFailure(reason: string): Uint8Array {
  return encode({ 'failure reason': reason });
}
