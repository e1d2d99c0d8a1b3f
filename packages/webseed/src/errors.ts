/**
 * Typed errors of web seeds. `code` says what went wrong. Three kinds stay apart: the server
 * answered wrongly (`http-status`, `wrong-length`, `too-long`, `no-range-support`,
 * `bad-redirect`, `too-many-redirects`, `bad-response`), asked us to wait (`retry-later`, with
 * `retryAfterMs`), or the network failed (`connection-failed`, `stalled`); the caller stopped
 * (`aborted`, `closed`) or gave a URL we cannot use (`invalid-url`).
 */

const marker = Symbol.for('@bt/webseed.error');

export type WebSeedErrorCode =
  /** Not an absolute `http:` or `https:` URL. */
  | 'invalid-url'
  /** A status other than the one expected (a 404, a 5xx without a wait); see `status`. */
  | 'http-status'
  /** BEP 17 503 or an HTTP `Retry-After`: try again after `retryAfterMs`. */
  | 'retry-later'
  /** The server answered 200 with the whole file to a range request that does not start at 0. */
  | 'no-range-support'
  /** The body (or `Content-Length`, `Content-Range`) does not have the length asked for. */
  | 'wrong-length'
  /** More bytes arrived than were asked for. */
  | 'too-long'
  /** A redirect without a usable `Location` (missing, not http(s), a loop). */
  | 'bad-redirect'
  | 'too-many-redirects'
  /** Headers that contradict the request (a `Content-Range` for other bytes). */
  | 'bad-response'
  | 'connection-failed'
  /** No byte for the idle timeout. */
  | 'stalled'
  /** The caller's `AbortSignal` fired. */
  | 'aborted'
  /** The client was closed with the request in flight. */
  | 'closed';

export interface WebSeedErrorOptions {
  cause?: unknown;
  /** The URL the request went to (after redirects). */
  url?: string;
  status?: number;
  /** For `retry-later`: how long to wait. */
  retryAfterMs?: number;
  expected?: number;
  received?: number;
}

export class WebSeedError extends Error {
  override name = 'WebSeedError';
  readonly code: WebSeedErrorCode;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly expected: number | undefined;
  readonly received: number | undefined;
  readonly [marker] = true;

  constructor(code: WebSeedErrorCode, message: string, options: WebSeedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.url = options.url;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.expected = options.expected;
    this.received = options.received;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is WebSeedError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
