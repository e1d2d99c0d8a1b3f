/**
 * Typed errors of the HTTP tracker client. A tracker that refuses (`failure-reason`) is kept
 * apart from one that breaks the protocol (`malformed-response`, `too-large`) and from the
 * network failing under us (`network`, `timeout`), so the engine can decide what to retry.
 */

const marker = Symbol.for('@bt/tracker-http.error');

/** Why an announce or scrape failed. */
export type HttpTrackerErrorCode =
  /** The tracker answered with a bencoded `failure reason` (BEP 3); `failureReason` holds its words. */
  | 'failure-reason'
  /** The tracker answered with an HTTP status other than 200 and no bencoded failure. */
  | 'http-status'
  /** No complete answer within the overall timeout. */
  | 'timeout'
  /** The caller's `AbortSignal` fired. */
  | 'aborted'
  /** The body is not bencode, or not the dictionary BEP 3 / BEP 48 describe. */
  | 'malformed-response'
  /** The body (or its gzip expansion) is larger than the response size limit. */
  | 'too-large'
  /** More redirects than allowed, or a redirect loop. */
  | 'too-many-redirects'
  /** BEP 48: the announce URL's last path segment does not start with `announce`. */
  | 'scrape-unsupported'
  /** The URL is not an http(s) URL, or a redirect points somewhere unusable. */
  | 'invalid-url'
  /** The connection failed: refused, reset, DNS, TLS. */
  | 'network';

export interface HttpTrackerErrorOptions {
  cause?: unknown;
  /** The URL that was requested last (after redirects). */
  url?: string;
  /** The HTTP status, for `http-status`. */
  status?: number;
  /** The tracker's own words, for `failure-reason`. */
  failureReason?: string;
  /** BEP 31 `retry in` minutes sent with a failure, where the tracker sent it. */
  retryIn?: number;
}

export class HttpTrackerError extends Error {
  override name = 'HttpTrackerError';
  readonly code: HttpTrackerErrorCode;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly failureReason: string | undefined;
  readonly retryIn: number | undefined;
  readonly [marker] = true;

  constructor(code: HttpTrackerErrorCode, message: string, options: HttpTrackerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.url = options.url;
    this.status = options.status;
    this.failureReason = options.failureReason;
    this.retryIn = options.retryIn;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is HttpTrackerError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
