/**
 * Typed errors of the engine. Three kinds are kept apart, and `party` says which: a remote
 * party broke the protocol or failed (`peer`: that peer is dropped; `tracker`: that tracker is
 * retried later; the torrent carries on), our I/O failed (`io`: surfaced on the torrent), and a
 * caller's mistake (`caller`: `invalid-option`, `torrent-*`, `session-closed`).
 */

const marker = Symbol.for('@bt/session.error');

export type SessionErrorCode =
  | 'invalid-option'
  | 'torrent-exists'
  | 'torrent-not-found'
  | 'session-closed'
  | 'listen-failed'
  | 'storage-failed'
  /** A magnet's metadata matched its info-hash but is not a torrent we accept (hostile paths...). */
  | 'invalid-torrent'
  /** The peer broke the protocol, or its connection failed. */
  | 'peer-protocol'
  /** The peer sent more messages or requests than any client would. */
  | 'peer-flood'
  /** The peer sent a block we did not ask it for, or one that does not fit a block we asked. */
  | 'peer-unrequested'
  /** The peer's data failed a piece's hash. */
  | 'peer-banned'
  /** The peer has stopped sending blocks we asked for and others could take its place. */
  | 'peer-stalled'
  | 'tracker-failed'
  | 'unsupported-tracker';

/** Who failed: a peer, a tracker, our own I/O, or the caller. */
export type SessionErrorParty = 'peer' | 'tracker' | 'io' | 'caller';

export class SessionError extends Error {
  override name = 'SessionError';
  readonly code: SessionErrorCode;
  readonly [marker] = true;

  constructor(code: SessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Who failed, from the code. */
  get party(): SessionErrorParty {
    return partyOf(this.code);
  }

  /** True for errors of this package, even from another copy of it. */
  static isInstance(error: unknown): error is SessionError {
    return typeof error === 'object' && error !== null && marker in error;
  }

  /**
   * `error` as a `SessionError`: one already is kept; anything else is wrapped (as its
   * `cause`) with `code`, e.g. a wire's error ending a peer connection as `peer-protocol`.
   */
  static from(error: unknown, code: SessionErrorCode): SessionError {
    if (SessionError.isInstance(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new SessionError(code, message, { cause: error });
  }
}

function partyOf(code: SessionErrorCode): SessionErrorParty {
  switch (code) {
    case 'peer-protocol':
    case 'peer-flood':
    case 'peer-unrequested':
    case 'peer-banned':
    case 'peer-stalled':
      return 'peer';
    case 'tracker-failed':
    case 'unsupported-tracker':
      return 'tracker';
    case 'storage-failed':
    case 'listen-failed':
      return 'io';
    case 'invalid-option':
    case 'invalid-torrent':
    case 'torrent-exists':
    case 'torrent-not-found':
    case 'session-closed':
      return 'caller';
  }
}
