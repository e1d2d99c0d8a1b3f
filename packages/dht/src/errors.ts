/**
 * Typed errors of the DHT. Three kinds stay apart: a remote node broke the protocol
 * (`malformed-message`: its datagram is dropped, the node carries on), a remote node refused
 * (`remote-error`, with the KRPC `remoteCode`), and the caller asked for something impossible
 * (`invalid-argument`) or stopped (`aborted`, `closed`). Network failures of the shell are
 * `socket-error`; `timeout` is a query nobody answered.
 */

const marker = Symbol.for('@bt/dht.error');

export type DhtErrorCode =
  /** A datagram that is not a valid KRPC message; `field` names the offending key. */
  | 'malformed-message'
  /** A node answered a query with a KRPC error (BEP 5 201-204, BEP 44 205-207, 301, 302). */
  | 'remote-error'
  /** Nobody answered in time. */
  | 'timeout'
  /** A value that cannot be put on the wire: a key of the wrong length, a too-big item... */
  | 'invalid-argument'
  /** A saved state file that is not what `saveState` writes. */
  | 'invalid-state'
  /** The UDP socket failed (bind, send). */
  | 'socket-error'
  /** The caller's `AbortSignal` fired; `cause` is its reason. */
  | 'aborted'
  /** The node was closed while the operation was running. */
  | 'closed';

export interface DhtErrorOptions {
  cause?: unknown;
  /** For `malformed-message`: the key that was missing or wrong (`a.id`, `r.nodes`...). */
  field?: string;
  /** For `remote-error`: the KRPC error code the node sent. */
  remoteCode?: number;
}

export class DhtError extends Error {
  override name = 'DhtError';
  readonly code: DhtErrorCode;
  readonly field: string | undefined;
  readonly remoteCode: number | undefined;
  readonly [marker] = true;

  constructor(code: DhtErrorCode, message: string, options: DhtErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.remoteCode = options.remoteCode;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is DhtError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
