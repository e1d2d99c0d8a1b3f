/**
 * Typed errors of the UDP tracker client, server and codec. `code` says what went wrong;
 * `tracker-error` carries the tracker's own words in `trackerMessage`. Three kinds stay apart:
 * the tracker broke the protocol (`malformed-response`, `transaction-mismatch`) or refused
 * (`tracker-error`), the network failed (`timeout`, `socket-error`, `dns-failed`), or the caller
 * asked for something impossible (`invalid-url`, `invalid-request`) or stopped (`aborted`, `closed`).
 */

const marker = Symbol.for('@bt/tracker-udp.error');

export type UdpTrackerErrorCode =
  /** The tracker answered with an error packet (BEP 15 action 3); see `trackerMessage`. */
  | 'tracker-error'
  /** No answer after the last retransmission. */
  | 'timeout'
  /** The tracker answered, but never with our transaction id (and the request timed out). */
  | 'transaction-mismatch'
  /** A reply (to us) that is not a valid BEP 15 packet: too short, wrong action, bad lengths. */
  | 'malformed-response'
  /** A request (to a server) that is not a valid BEP 15 packet. */
  | 'malformed-request'
  /** Not a `udp://host:port/...` URL. */
  | 'invalid-url'
  /** Values that cannot be put on the wire (an info-hash that is not 20 bytes, a port out of range...). */
  | 'invalid-request'
  | 'dns-failed'
  | 'socket-error'
  /** The caller's `AbortSignal` fired; `cause` is its reason. */
  | 'aborted'
  /** `close()` was called while the request was in flight. */
  | 'closed';

export interface UdpTrackerErrorOptions {
  cause?: unknown;
  /** The tracker URL the request went to. */
  url?: string;
  /** For `tracker-error`: the message the tracker sent. */
  trackerMessage?: string;
  /** For codec errors: the byte offset where reading stopped. */
  offset?: number;
}

export class UdpTrackerError extends Error {
  override name = 'UdpTrackerError';
  readonly code: UdpTrackerErrorCode;
  readonly url: string | undefined;
  readonly trackerMessage: string | undefined;
  readonly offset: number | undefined;
  readonly [marker] = true;

  constructor(code: UdpTrackerErrorCode, message: string, options: UdpTrackerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.url = options.url;
    this.trackerMessage = options.trackerMessage;
    this.offset = options.offset;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is UdpTrackerError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
