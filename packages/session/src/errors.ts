/**
 * Typed errors of the engine. Three kinds are kept apart: a remote party broke the protocol
 * (`peer-*`, `tracker-*`: that peer or tracker is dropped and the torrent carries on), I/O
 * failed (`storage-failed`: surfaced on the torrent), and a caller's mistake (`invalid-*`,
 * `torrent-*`).
 */

const marker = Symbol.for('@bt/session.error');

export type SessionErrorCode =
  | 'invalid-option'
  | 'torrent-exists'
  | 'torrent-not-found'
  | 'session-closed'
  | 'listen-failed'
  | 'storage-failed'
  | 'peer-protocol'
  | 'peer-flood'
  | 'peer-banned'
  | 'tracker-failed'
  | 'unsupported-tracker';

export class SessionError extends Error {
  override name = 'SessionError';
  readonly code: SessionErrorCode;
  readonly [marker] = true;

  constructor(code: SessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for errors of this package, even from another copy of it. */
  static isInstance(error: unknown): error is SessionError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
