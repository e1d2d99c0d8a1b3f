/**
 * Typed errors of uTP. Three kinds stay apart: a remote party broke the protocol
 * (`invalid-packet`: the datagram is dropped and everything else carries on), a connection
 * ended badly (`connection-reset`, `connection-timeout`, `connection-refused`, `closed`), and the
 * caller asked for something impossible (`invalid-argument`) or more than the limits allow
 * (`too-many-connections`). Socket failures of the Node shell are `socket-error`.
 */

const marker = Symbol.for('@bt/utp.error');

export type UtpErrorCode =
  /** A datagram that is not a uTP packet (BEP 29): too short, wrong version, unknown type, bad extension chain. */
  | 'invalid-packet'
  /** The remote side sent ST_RESET. */
  | 'connection-reset'
  /** Nothing was acknowledged through every retransmission (or the SYN was never answered). */
  | 'connection-timeout'
  /** The remote side answered our SYN with a reset, or we refused theirs. */
  | 'connection-refused'
  /** The connection or the socket was closed by us. */
  | 'closed'
  /** An argument that cannot work (a port out of range, a window too small...). */
  | 'invalid-argument'
  /** A limit on connections (total or half-open) was reached. */
  | 'too-many-connections'
  /** The UDP socket failed (bind, send). */
  | 'socket-error';

export interface UtpErrorOptions {
  cause?: unknown;
  /** For `invalid-packet`: the byte offset where the packet stopped making sense. */
  offset?: number;
}

export class UtpError extends Error {
  override name = 'UtpError';
  readonly code: UtpErrorCode;
  readonly offset: number | undefined;
  readonly [marker] = true;

  constructor(code: UtpErrorCode, message: string, options: UtpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.offset = options.offset;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is UtpError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
