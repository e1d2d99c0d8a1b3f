/**
 * Typed errors of local service discovery. Two kinds stay apart: a datagram from the network is
 * not an announce we can use (`malformed-announce`, `oversized-announce`: ignore it and carry
 * on), and the caller asked for something impossible (`invalid-announce`) or the multicast
 * socket could not be opened (`socket-error`).
 */

const marker = Symbol.for('@bt/lpd.error');

export type LpdErrorCode =
  /** A datagram that is not a BT-SEARCH announce with a port and at least one info-hash. */
  | 'malformed-announce'
  /** A datagram larger than any announce we accept. */
  | 'oversized-announce'
  /** Values that cannot be announced: an info-hash that is not 20 bytes, a port out of range, too many info-hashes. */
  | 'invalid-announce'
  /** No multicast socket could be opened for any address family. */
  | 'socket-error';

export interface LpdErrorOptions {
  cause?: unknown;
  /** For `malformed-announce`: the line (0-based) where reading stopped. */
  line?: number;
}

export class LpdError extends Error {
  override name = 'LpdError';
  readonly code: LpdErrorCode;
  readonly line: number | undefined;
  readonly [marker] = true;

  constructor(code: LpdErrorCode, message: string, options: LpdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.line = options.line;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is LpdError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
