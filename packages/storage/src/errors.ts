/**
 * Typed errors of the storage. Two kinds are kept apart: the disk failed (`no-space`,
 * `permission-denied`, `file-missing`, `io-failed`: surface on the torrent, carry on with the
 * rest) and the caller broke the contract (`invalid-layout`, `invalid-block`, `unsafe-path`,
 * `piece-not-complete`, `closed`). A failed piece hash is not an error: it is a verdict.
 */
import { HashPoolError } from '@bt/metainfo';

const marker = Symbol.for('@bt/storage.error');

export type StorageErrorCode =
  /** The layout (lengths, piece hashes, files) is inconsistent. */
  | 'invalid-layout'
  /** A block lies outside its piece, or the piece index is out of range. */
  | 'invalid-block'
  /** A path segment or a symbolic link would lead outside the download folder. */
  | 'unsafe-path'
  /** The disk is full or a file size limit was hit (ENOSPC, EDQUOT, EFBIG). */
  | 'no-space'
  /** The folder or a file may not be written or read (EACCES, EPERM, EROFS). */
  | 'permission-denied'
  /** A file of the torrent vanished under us (ENOENT, or deleted while open). */
  | 'file-missing'
  /** Any other I/O failure. */
  | 'io-failed'
  /** A v2 piece cannot be checked yet: its file's piece layer (BEP 52) is not known. */
  | 'hashes-unknown'
  /** A block was asked of a piece that is not complete. */
  | 'piece-not-complete'
  /** A hashing worker died or could not start. */
  | 'hash-failed'
  /** The storage (or its hash pool) was closed. */
  | 'closed';

export interface StorageErrorOptions {
  cause?: unknown;
  /** The file concerned, relative to the download folder, when there is one. */
  path?: string;
  /** The piece concerned, when there is one. */
  pieceIndex?: number;
  /** The system error code (`ENOSPC`...) behind an I/O error. */
  systemCode?: string;
}

export class StorageError extends Error {
  override name = 'StorageError';
  readonly code: StorageErrorCode;
  readonly path: string | undefined;
  readonly pieceIndex: number | undefined;
  readonly systemCode: string | undefined;
  readonly [marker] = true;

  constructor(code: StorageErrorCode, message: string, options: StorageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.pieceIndex = options.pieceIndex;
    this.systemCode = options.systemCode;
  }

  /** True for errors of this package, even from another copy of it. */
  static isInstance(error: unknown): error is StorageError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/**
 * A failure of the shared hash pool (`HashPoolError` of @bt/metainfo) as a storage error:
 * `closed` stays `closed`, anything else is `hash-failed`; other errors pass through.
 */
export function fromHashPool(error: unknown): unknown {
  if (!HashPoolError.isInstance(error)) return error;
  return new StorageError(error.code === 'closed' ? 'closed' : 'hash-failed', error.message, {
    cause: error,
    ...(error.systemCode === undefined ? {} : { systemCode: error.systemCode }),
  });
}

/** For `.catch`: rethrows a hash pool failure as a storage error. */
export function rethrowPoolError(error: unknown): never {
  throw fromHashPool(error);
}

/** Maps a Node system error to a typed storage error; anything else passes through. */
export function toStorageError(
  error: unknown,
  context: { path?: string; pieceIndex?: number; action: string },
): unknown {
  if (StorageError.isInstance(error)) return error;
  const systemCode =
    typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof systemCode !== 'string') return error;
  const code = systemErrorCode(systemCode);
  const where = context.path === undefined ? '' : ` ${context.path}`;
  return new StorageError(code, `cannot ${context.action}${where}: ${systemCode}`, {
    cause: error,
    path: context.path,
    pieceIndex: context.pieceIndex,
    systemCode,
  });
}

export function systemErrorCode(systemCode: string): StorageErrorCode {
  switch (systemCode) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return 'no-space';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'permission-denied';
    case 'ENOENT':
      return 'file-missing';
    case 'ELOOP':
      return 'unsafe-path';
    default:
      return 'io-failed';
  }
}
