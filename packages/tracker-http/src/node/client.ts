/**
 * `HttpTrackerClient`: announce and scrape over HTTP(S) (BEP 3, 7, 23, 48) with the pure
 * codecs and the `http-get` shell. One client serves any number of trackers; it keeps its own
 * keep-alive agents (released by `close`) and remembers each tracker's `tracker id`.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AnnounceRequest, AnnounceResult, ScrapeResult } from '@bt/primitives';
import {
  buildAnnounceUrl,
  decodeTrackerBody,
  parseAnnounceResponse,
  throwOnFailure,
} from '../announce-codec.js';
import { HttpTrackerError } from '../errors.js';
import { httpGet, type HttpGetResponse } from './http-get.js';
import { announceToScrapeUrl, buildScrapeUrl, parseScrapeResponse } from '../scrape-codec.js';

export interface HttpTrackerClientOptions {
  /** Milliseconds for a whole announce or scrape, redirects included. Default 30 000. */
  timeout?: number;
  /** Largest response accepted, after gzip expansion. Default 4 MiB. */
  maxResponseBytes?: number;
  /** Redirects followed before `too-many-redirects`. Default 5. */
  maxRedirects?: number;
  /** The `User-Agent` header. Default `bt/0.1`. */
  userAgent?: string;
  /** Accept any TLS certificate (for a self-signed private tracker). Default `false`. */
  insecure?: boolean;
}

export interface HttpAnnounceOptions {
  signal?: AbortSignal;
  /** Overrides the `tracker id` this client remembers for the URL. */
  trackerId?: string;
  /** Overrides the client's timeout for this call, in milliseconds. */
  timeout?: number;
}

export interface HttpScrapeOptions {
  signal?: AbortSignal;
  timeout?: number;
}

const MAX_REMEMBERED_TRACKER_IDS = 1024;

export class HttpTrackerClient {
  readonly #timeout: number;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;
  readonly #headers: Record<string, string>;
  readonly #httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  readonly #httpsAgent: HttpsAgent;
  readonly #trackerIds = new Map<string, string>();
  #closed = false;

  constructor(options: HttpTrackerClientOptions = {}) {
    this.#timeout = options.timeout ?? 30_000;
    this.#maxBytes = options.maxResponseBytes ?? 4 * 1024 * 1024;
    this.#maxRedirects = options.maxRedirects ?? 5;
    this.#headers = { 'user-agent': options.userAgent ?? 'bt/0.1' };
    this.#httpsAgent = new HttpsAgent({
      keepAlive: true,
      maxSockets: 16,
      rejectUnauthorized: !options.insecure,
    });
  }

  /**
   * Announces to `url` (an `http:` or `https:` announce URL, any passkey query kept).
   * @throws HttpTrackerError: `failure-reason` (the tracker refused; `failureReason` holds
   * its words), `http-status`, `timeout`, `aborted`, `malformed-response`, `too-large`,
   * `too-many-redirects`, `invalid-url`, `network`.
   */
  async announce(
    url: string,
    request: AnnounceRequest,
    options: HttpAnnounceOptions = {},
  ): Promise<AnnounceResult> {
    const trackerId = options.trackerId ?? this.#trackerIds.get(url);
    const requestUrl = buildAnnounceUrl(url, request, trackerId === undefined ? {} : { trackerId });
    const response = await this.#get(requestUrl, options.signal, options.timeout);
    const result = withUrl(response.url, () => parseAnnounceResponse(checkStatus(response)));
    if (result.trackerId !== undefined) this.#rememberTrackerId(url, result.trackerId);
    return result;
  }

  /**
   * Scrapes several torrents in one request at the BEP 48 scrape URL of `announceUrl`.
   * @throws HttpTrackerError as `announce`, and `scrape-unsupported`.
   */
  async scrape(
    announceUrl: string,
    infoHashes: readonly Uint8Array[],
    options: HttpScrapeOptions = {},
  ): Promise<ScrapeResult> {
    return this.scrapeAt(announceToScrapeUrl(announceUrl), infoHashes, options);
  }

  /** Scrapes at a scrape URL given as is. */
  async scrapeAt(
    scrapeUrl: string,
    infoHashes: readonly Uint8Array[],
    options: HttpScrapeOptions = {},
  ): Promise<ScrapeResult> {
    const response = await this.#get(
      buildScrapeUrl(scrapeUrl, infoHashes),
      options.signal,
      options.timeout,
    );
    return withUrl(response.url, () => parseScrapeResponse(checkStatus(response)));
  }

  /** Releases the keep-alive connections. Later calls fail with `aborted`. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
    await Promise.resolve();
  }

  #rememberTrackerId(url: string, trackerId: string): void {
    this.#trackerIds.delete(url);
    this.#trackerIds.set(url, trackerId);
    if (this.#trackerIds.size > MAX_REMEMBERED_TRACKER_IDS) {
      const oldest = this.#trackerIds.keys().next().value;
      if (oldest !== undefined) this.#trackerIds.delete(oldest);
    }
  }

  async #get(
    url: string,
    signal: AbortSignal | undefined,
    timeout: number | undefined,
  ): Promise<HttpGetResponse> {
    if (this.#closed) throw new HttpTrackerError('aborted', 'the client is closed', { url });
    return httpGet(url, {
      signal,
      timeout: timeout ?? this.#timeout,
      maxBytes: this.#maxBytes,
      maxRedirects: this.#maxRedirects,
      headers: this.#headers,
      httpAgent: this.#httpAgent,
      httpsAgent: this.#httpsAgent,
    });
  }
}

/**
 * A non-200 answer is an `http-status` error, unless its body is a bencoded `failure reason`
 * (several trackers send their refusals with 400 or 403).
 */
function checkStatus(response: HttpGetResponse): Uint8Array {
  if (response.status === 200) return response.body;
  let dictionary;
  try {
    dictionary = decodeTrackerBody(response.body);
  } catch {
    dictionary = undefined;
  }
  if (dictionary) throwOnFailure(dictionary);
  throw new HttpTrackerError('http-status', `the tracker answered HTTP ${response.status}`, {
    status: response.status,
    url: response.url,
  });
}

function withUrl<T>(url: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (HttpTrackerError.isInstance(error) && error.url === undefined) {
      throw new HttpTrackerError(error.code, error.message, {
        url,
        cause: error.cause,
        ...(error.status === undefined ? {} : { status: error.status }),
        ...(error.failureReason === undefined ? {} : { failureReason: error.failureReason }),
        ...(error.retryIn === undefined ? {} : { retryIn: error.retryIn }),
      });
    }
    throw error;
  }
}
