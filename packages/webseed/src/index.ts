/**
 * @bt/webseed: web seeds, the HTTP servers a torrent names as sources (BEP 19 `url-list`,
 * BEP 17 `httpseeds`). Pure: the URLs of a web seed's files and pieces, the plan of HTTP
 * requests that fetch a run of the torrent's bytes (long ranges spanning pieces, BEP 47 padding
 * never asked for), and the verdict on each answer (status, `Content-Range`, lengths,
 * `Retry-After` and BEP 17's 503 wait) with typed `WebSeedError`s. The HTTP client for Node is
 * `HttpRangeClient` in `@bt/webseed/node`.
 */
export { WebSeedError } from './errors.js';
export type { WebSeedErrorCode, WebSeedErrorOptions } from './errors.js';
export { planRun } from './plan.js';
export type { WebSeedSegment, WebSeedTorrent } from './plan.js';
export { isRedirect, judgeResponse, parseContentRange, parseRetryAfter } from './response.js';
export type { ResponseHead, ResponseVerdict } from './response.js';
export { fileUrl, httpSeedUrl, isWebSeedUrl, percentEncodeBytes, webSeedsOf } from './urls.js';
export type { WebSeed, WebSeedKind } from './urls.js';
