/**
 * @bt/tracker-http/node: the HTTP(S) tracker client on Node's `http`/`https` (BEP 3, 7, 23,
 * 48): announce and scrape with bounded redirects, gzip, an overall timeout, `AbortSignal`
 * cancellation and a response size limit; typed `HttpTrackerError`s. The codecs it uses are in
 * the pure main entry, `@bt/tracker-http`.
 */
export { HttpTrackerClient } from './node/client.js';
export type {
  HttpAnnounceOptions,
  HttpScrapeOptions,
  HttpTrackerClientOptions,
} from './node/client.js';
