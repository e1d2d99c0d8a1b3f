/**
 * @bt/tracker-http: the HTTP(S) BitTorrent tracker protocol, client and server.
 *
 * - `HttpTrackerClient`: announce (BEP 3, compact peers BEP 23, IPv6 `peers6` BEP 7) and scrape
 *   (BEP 48) over `node:http`/`node:https`, with bounded redirects, gzip, an overall timeout,
 *   `AbortSignal` cancellation and a response size limit; typed `HttpTrackerError`s.
 * - `HttpTrackerServer`: a tracker endpoint over a `TrackerRegistry` (share one with the UDP
 *   server of `@bt/tracker-udp`), with `MemorySwarmRegistry` as a bounded default.
 * - The pure codecs both use: query strings with raw-byte percent-encoding, and the bencoded
 *   answers, with no sockets, for use anywhere.
 */
export {
  appendQuery,
  buildAnnounceUrl,
  DEFAULT_ANNOUNCE_INTERVAL,
  parseAnnounceResponse,
} from './announce-codec.js';
export type { AnnounceUrlOptions } from './announce-codec.js';
export { HttpTrackerClient } from './client.js';
export type { HttpAnnounceOptions, HttpScrapeOptions, HttpTrackerClientOptions } from './client.js';
export { HttpTrackerError } from './errors.js';
export type { HttpTrackerErrorCode, HttpTrackerErrorOptions } from './errors.js';
export {
  parseQuery,
  percentDecodeBytes,
  percentEncodeBytes,
  percentEncodeText,
} from './percent.js';
export { announceToScrapeUrl, buildScrapeUrl, parseScrapeResponse } from './scrape-codec.js';
export {
  encodeAnnounceResponse,
  encodeFailure,
  encodeScrapeResponse,
  parseAnnounceQuery,
  parseScrapeQuery,
  TrackerRequestError,
} from './server-codec.js';
export type { AnnounceAnswer, AnnounceQuery, TrackerRequestErrorCode } from './server-codec.js';
export { HttpTrackerServer } from './server.js';
export type {
  HttpTrackerListenOptions,
  HttpTrackerServerOptions,
  HttpTrackerServerStats,
} from './server.js';
export { MemorySwarmRegistry } from './swarm-registry.js';
export type {
  MemorySwarmRegistryOptions,
  SwarmAnnounce,
  SwarmAnnounceResult,
  TrackerRegistry,
} from './swarm-registry.js';
