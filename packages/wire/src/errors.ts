/**
 * Typed errors of the wire. Two kinds, kept apart so callers can act on them without matching
 * messages:
 * - `WireProtocolError`: the remote peer broke the protocol (a frame too long, a bitfield of the
 *   wrong size, an unknown message id...). Drop that peer and carry on.
 * - `WireConnectionError`: a connection ended, or a call could not be made, without a protocol
 *   fault of the peer (closed, timed out, aborted, not negotiated yet, socket I/O failure).
 * Both are `WireError`s; `WireError.isInstance` works across duplicate installs.
 */

const marker = Symbol.for('@bt/wire.error');
/** Which of the two kinds an error is, readable across duplicate installs. */
const kind = Symbol.for('@bt/wire.error-kind');

/** The remote peer sent bytes that break the peer wire protocol. */
export type WireProtocolErrorCode =
  | 'invalid-handshake'
  | 'info-hash-mismatch'
  | 'message-too-long'
  | 'invalid-message-length'
  | 'unknown-message'
  | 'invalid-bitfield'
  | 'invalid-piece-index'
  | 'block-too-long'
  | 'invalid-extended-handshake'
  | 'invalid-metadata-message'
  | 'invalid-pex-message'
  /** BEP 52: a hash request, hashes or hash reject message outside the limits. */
  | 'invalid-hash-request'
  | 'extension-not-negotiated';

/** A connection ended, or a call on it could not be made, for a reason other than a protocol fault. */
export type WireConnectionErrorCode =
  | 'connection-closed'
  | 'connection-failed'
  | 'handshake-timeout'
  | 'idle-timeout'
  | 'aborted'
  | 'not-ready';

export type WireErrorCode = WireProtocolErrorCode | WireConnectionErrorCode;

/** Base class of every error this package throws. */
export class WireError extends Error {
  override name = 'WireError';
  readonly code: WireErrorCode;
  readonly [marker] = true;

  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is WireError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/** The remote peer broke the protocol: drop it. */
export class WireProtocolError extends WireError {
  override name = 'WireProtocolError';
  declare readonly code: WireProtocolErrorCode;
  readonly [kind] = 'protocol';
  /** The message id of the offending frame, when one was read. */
  readonly messageId: number | undefined;
  /** Bytes of the stream consumed before the fault (counted from the start of the stream). */
  readonly offset: number | undefined;

  constructor(
    code: WireProtocolErrorCode,
    message: string,
    details: { messageId?: number; offset?: number; cause?: unknown } = {},
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.messageId = details.messageId;
    this.offset = details.offset;
  }

  static override isInstance(error: unknown): error is WireProtocolError {
    return WireError.isInstance(error) && (error as { [kind]?: string })[kind] === 'protocol';
  }
}

/** A connection ended, or a call could not be made on it, without a protocol fault of the peer. */
export class WireConnectionError extends WireError {
  override name = 'WireConnectionError';
  declare readonly code: WireConnectionErrorCode;
  readonly [kind] = 'connection';

  constructor(code: WireConnectionErrorCode, message: string, details: { cause?: unknown } = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  static override isInstance(error: unknown): error is WireConnectionError {
    return WireError.isInstance(error) && (error as { [kind]?: string })[kind] === 'connection';
  }
}
