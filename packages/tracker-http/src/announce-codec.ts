/**
 * The pure client side of an HTTP announce (BEP 3, BEP 23 compact peers, BEP 7 `peers6`):
 * the request URL from an `AnnounceRequest`, and the `AnnounceResult` from the response body.
 * No sockets: the Node shell in `client.ts` moves the bytes.
 */
import {
  type BencodeDictionary,
  type BencodeValue,
  decode,
  getBytes,
  getInteger,
  isBytes,
  isDictionary,
  toText,
} from '@bt/bencode';
import {
  type AnnounceRequest,
  type AnnounceResult,
  decodeCompactPeers,
  formatIPv6,
  isIPv4,
  parseIPv6,
  PrimitivesError,
  type TrackerPeer,
} from '@bt/primitives';
import { HttpTrackerError } from './errors.js';
import { percentEncodeBytes, percentEncodeText } from './percent.js';

export interface AnnounceUrlOptions {
  /** The `tracker id` an earlier response of this tracker carried (BEP 3). */
  trackerId?: string;
  /** Ask for compact peers (BEP 23). Default `true`; trackers may answer in either form anyway. */
  compact?: boolean;
}

/** Appends `params` to `url`, after its own query if it has one (private trackers put a passkey there). */
export function appendQuery(url: string, params: string): string {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  if (params === '') return base;
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${params}`;
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
}

/**
 * The full announce URL (BEP 3): `info_hash` and `peer_id` escaped byte by byte, the counters,
 * `compact=1`, and `event`, `numwant`, `key` (8 hex digits), `trackerid`, `ip` where given.
 */
export function buildAnnounceUrl(
  url: string,
  request: AnnounceRequest,
  options: AnnounceUrlOptions = {},
): string {
  if (request.infoHash.length !== 20) throw new RangeError('infoHash must be 20 bytes');
  if (request.peerId.length !== 20) throw new RangeError('peerId must be 20 bytes');
  if (!Number.isInteger(request.port) || request.port < 0 || request.port > 65535) {
    throw new RangeError(`port must be 0-65535, got ${request.port}`);
  }
  assertCount('uploaded', request.uploaded);
  assertCount('downloaded', request.downloaded);
  assertCount('left', request.left);
  const parts = [
    `info_hash=${percentEncodeBytes(request.infoHash)}`,
    `peer_id=${percentEncodeBytes(request.peerId)}`,
    `port=${request.port}`,
    `uploaded=${request.uploaded}`,
    `downloaded=${request.downloaded}`,
    `left=${request.left}`,
  ];
  if (options.compact !== false) parts.push('compact=1');
  if (request.event !== undefined && request.event !== 'none') parts.push(`event=${request.event}`);
  if (request.numwant !== undefined) {
    assertCount('numwant', request.numwant);
    parts.push(`numwant=${request.numwant}`);
  }
  if (request.key !== undefined) {
    parts.push(`key=${(request.key >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
  }
  if (options.trackerId !== undefined)
    parts.push(`trackerid=${percentEncodeText(options.trackerId)}`);
  if (request.ip !== undefined) parts.push(`ip=${percentEncodeText(request.ip)}`);
  return appendQuery(url, parts.join('&'));
}

/** Decodes a tracker body to its top-level dictionary, or throws `malformed-response`. */
export function decodeTrackerBody(body: Uint8Array): BencodeDictionary {
  let value: BencodeValue;
  try {
    value = decode(body);
  } catch (error) {
    throw new HttpTrackerError(
      'malformed-response',
      `the tracker's answer is not bencode: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!isDictionary(value)) {
    throw new HttpTrackerError(
      'malformed-response',
      "the tracker's answer is not a bencoded dictionary",
    );
  }
  return value;
}

/** Throws `failure-reason` when the dictionary carries one (BEP 3), with BEP 31 `retry in`. */
export function throwOnFailure(dictionary: BencodeDictionary): void {
  const failure = getBytes(dictionary, 'failure reason');
  if (failure === undefined) return;
  const reason = toText(failure);
  const retryIn = integerField(dictionary, 'retry in');
  throw new HttpTrackerError('failure-reason', `the tracker refused: ${reason}`, {
    failureReason: reason,
    ...(retryIn === undefined ? {} : { retryIn }),
  });
}

function malformed(message: string, cause?: unknown): HttpTrackerError {
  return new HttpTrackerError('malformed-response', message, cause === undefined ? {} : { cause });
}

/** An integer field as a non-negative safe number; `undefined` when absent; malformed otherwise. */
function integerField(dictionary: BencodeDictionary, key: string): number | undefined {
  if (!dictionary.has(key)) return undefined;
  const value = getInteger(dictionary, key);
  if (value === undefined) throw malformed(`'${key}' is not an integer`);
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0)
    throw malformed(`'${key}' is out of range: ${String(value)}`);
  return number;
}

function compactPeers(bytes: Uint8Array, family: 4 | 6, key: string): TrackerPeer[] {
  try {
    return decodeCompactPeers(bytes, family);
  } catch (error) {
    if (PrimitivesError.isInstance(error)) throw malformed(`'${key}': ${error.message}`, error);
    throw error;
  }
}

/** One peer of the dictionary model: `ip` (IPv4, IPv6 or a host name), `port`, `peer id`. */
function dictionaryPeer(value: BencodeValue): TrackerPeer {
  if (!isDictionary(value)) throw malformed("an entry of 'peers' is not a dictionary");
  const ipBytes = getBytes(value, 'ip');
  const port = getInteger(value, 'port');
  if (ipBytes === undefined) throw malformed("a peer has no 'ip'");
  if (port === undefined || Number(port) < 0 || Number(port) > 65535)
    throw malformed("a peer has no valid 'port'");
  const ip = toText(ipBytes);
  let peer: TrackerPeer;
  if (isIPv4(ip)) peer = { host: ip, port: Number(port), family: 4 };
  else if (ip.includes(':')) {
    try {
      peer = { host: formatIPv6(parseIPv6(ip)), port: Number(port), family: 6 };
    } catch (error) {
      throw malformed(`a peer's ip is not an address: ${JSON.stringify(ip.slice(0, 64))}`, error);
    }
  } else if (/^[A-Za-z0-9.-]{1,253}$/.test(ip)) peer = { host: ip, port: Number(port), family: 4 };
  else throw malformed(`a peer's ip is not an address: ${JSON.stringify(ip.slice(0, 64))}`);
  const peerId = getBytes(value, 'peer id');
  if (peerId !== undefined && peerId.length === 20) peer.peerId = peerId.slice();
  return peer;
}

/** Seconds a tracker asks for when it names no interval: the common 30 minutes. */
export const DEFAULT_ANNOUNCE_INTERVAL = 1800;

/**
 * Reads an announce response body: `failure reason` throws a typed error carrying the
 * tracker's words; otherwise interval, min interval, counts, tracker id, warning, and peers in
 * both the compact (BEP 23) and the dictionary model, plus BEP 7 `peers6`.
 * @throws HttpTrackerError `failure-reason` or `malformed-response`.
 */
export function parseAnnounceResponse(body: Uint8Array): AnnounceResult {
  const dictionary = decodeTrackerBody(body);
  throwOnFailure(dictionary);
  const result: AnnounceResult = {
    interval: integerField(dictionary, 'interval') ?? DEFAULT_ANNOUNCE_INTERVAL,
    peers: [],
  };
  const minInterval = integerField(dictionary, 'min interval');
  if (minInterval !== undefined) result.minInterval = minInterval;
  const complete = integerField(dictionary, 'complete');
  if (complete !== undefined) result.complete = complete;
  const incomplete = integerField(dictionary, 'incomplete');
  if (incomplete !== undefined) result.incomplete = incomplete;
  const warning = getBytes(dictionary, 'warning message');
  if (warning !== undefined) result.warning = toText(warning);
  const trackerId = getBytes(dictionary, 'tracker id');
  if (trackerId !== undefined) result.trackerId = toText(trackerId);

  const peers = dictionary.get('peers');
  if (isBytes(peers)) result.peers.push(...compactPeers(peers, 4, 'peers'));
  else if (Array.isArray(peers))
    for (const entry of peers) result.peers.push(dictionaryPeer(entry));
  else if (peers !== undefined) throw malformed("'peers' is neither a byte string nor a list");

  const peers6 = dictionary.get('peers6');
  if (isBytes(peers6)) result.peers.push(...compactPeers(peers6, 6, 'peers6'));
  else if (Array.isArray(peers6))
    for (const entry of peers6) result.peers.push(dictionaryPeer(entry));
  else if (peers6 !== undefined) throw malformed("'peers6' is neither a byte string nor a list");
  return result;
}
