/**
 * @bt/tracker-http: the HTTP(S) BitTorrent tracker protocol (BEP 3, 7, 23, 48). This entry is
 * pure (no sockets, any runtime): the codecs of both sides, query strings with raw-byte
 * percent-encoding and the bencoded answers, and the typed errors.
 *
 * The client, over `node:http`/`node:https`, is in `@bt/tracker-http/node`:
 * `HttpTrackerClient`. The server is in `@bt/tracker-server/node`, over these codecs.
 */
export {
  appendQuery,
  buildAnnounceUrl,
  DEFAULT_ANNOUNCE_INTERVAL,
  parseAnnounceResponse,
} from './announce-codec.js';
export type { AnnounceUrlOptions } from './announce-codec.js';
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
