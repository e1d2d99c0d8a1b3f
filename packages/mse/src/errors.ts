/**
 * Typed errors of MSE/PE. `MseProtocolError`: the remote party broke the handshake (no sync
 * within the spec's window, a VC that is not zeros, a torrent we do not have, no method in
 * common, a length out of range): drop the connection and carry on. `MseError.isInstance`
 * works across duplicate installs.
 */

const marker = Symbol.for('@bt/mse.error');

export type MseProtocolErrorCode =
  /** The peer's public key is not in [2, P-2]. */
  | 'invalid-public-key'
  /** HASH('req1', S) (responder) or ENCRYPT(VC) (initiator) not found within the pad window. */
  | 'sync-not-found'
  /** The decrypted verification constant was not eight zero bytes. */
  | 'invalid-vc'
  /** HASH('req2', SKEY) matched none of our torrents. */
  | 'unknown-info-hash'
  /** The peer offered (or selected) no method we accept. */
  | 'no-common-method'
  /** A pad length over 512. */
  | 'invalid-pad-length'
  /** A plain BitTorrent handshake where only MSE is accepted (policy `require`). */
  | 'plaintext-refused';

/** Base class of every error this package throws. */
export class MseError extends Error {
  override name = 'MseError';
  readonly code: MseProtocolErrorCode;
  readonly [marker] = true;

  constructor(code: MseProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is MseError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/** The remote party broke the MSE handshake: drop the connection. */
export class MseProtocolError extends MseError {
  override name = 'MseProtocolError';
  /** Bytes of the peer's stream read when the fault was found. */
  readonly offset: number;

  constructor(code: MseProtocolErrorCode, message: string, details: { offset: number }) {
    super(code, message);
    this.offset = details.offset;
  }

  static override isInstance(error: unknown): error is MseProtocolError {
    return MseError.isInstance(error) && 'offset' in error;
  }
}
