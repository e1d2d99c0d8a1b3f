/**
 * Typed errors of the package. A torrent or magnet link that breaks the format raises an
 * `InvalidTorrentError` / `InvalidMagnetError` naming the field at fault; creating a torrent
 * raises a `CreateTorrentError` (I/O, bad options); the SHA-1 worker pool of `./node` raises
 * `HashPoolError`. All are `MetainfoError`s.
 */

const marker = Symbol.for('@bt/metainfo.error');

/** Why a `.torrent` (or an info dictionary) was refused. */
export type InvalidTorrentErrorCode =
  | 'not-bencode'
  | 'not-a-dictionary'
  | 'missing-field'
  | 'wrong-type'
  | 'invalid-pieces'
  | 'piece-count-mismatch'
  | 'invalid-length'
  | 'invalid-piece-length'
  | 'empty-name'
  | 'empty-file-list'
  | 'invalid-path'
  /** BEP 52: the `file tree` is malformed (a file with siblings, a root that is a file...). */
  | 'invalid-file-tree'
  /** BEP 52: a piece layer is missing, of the wrong length, or does not hash to its root. */
  | 'invalid-piece-layers'
  /** BEP 52: `meta version` is one this code does not know (checked before anything else). */
  | 'unsupported-meta-version'
  /** BEP 52: the v1 file list of a hybrid torrent disagrees with its v2 file tree. */
  | 'hybrid-mismatch';

/** Why a magnet link was refused. */
export type InvalidMagnetErrorCode =
  | 'not-a-magnet'
  | 'invalid-encoding'
  | 'missing-info-hash'
  | 'invalid-info-hash'
  | 'conflicting-info-hash'
  | 'invalid-parameter';

/** Why creating a torrent failed. */
export type CreateTorrentErrorCode =
  'invalid-option' | 'no-files' | 'read-failed' | 'file-changed' | 'worker-failed';

/** Why a job of the hash pool failed. */
export type HashPoolErrorCode =
  /** The pool was closed before the job ran or finished. */
  | 'closed'
  /** A worker failed or stopped, or the job hit a bug. */
  | 'hash-failed'
  /** A file could not be opened or read (`systemCode` and `path` say which and why). */
  | 'read-failed'
  /** A file got shorter while it was being hashed. */
  | 'file-changed';

export type MetainfoErrorCode =
  InvalidTorrentErrorCode | InvalidMagnetErrorCode | CreateTorrentErrorCode | HashPoolErrorCode;

/** Base class of every error this package throws. */
export class MetainfoError extends Error {
  override name = 'MetainfoError';
  readonly code: MetainfoErrorCode;
  readonly [marker] = true;

  constructor(code: MetainfoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is MetainfoError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/** A `.torrent` file or info dictionary breaks BEP 3 (or a BEP it relies on). */
export class InvalidTorrentError extends MetainfoError {
  override name = 'InvalidTorrentError';
  declare readonly code: InvalidTorrentErrorCode;
  /** The field at fault, as a path: `info.files[3].length`; `''` for the whole input. */
  readonly field: string;

  constructor(
    code: InvalidTorrentErrorCode,
    field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, field ? `${field}: ${message}` : message, options);
    this.field = field;
  }

  static override isInstance(error: unknown): error is InvalidTorrentError {
    return MetainfoError.isInstance(error) && error.name === 'InvalidTorrentError';
  }
}

/** A magnet link is malformed. */
export class InvalidMagnetError extends MetainfoError {
  override name = 'InvalidMagnetError';
  declare readonly code: InvalidMagnetErrorCode;
  /** The parameter at fault (`xt`, `tr`, `x.pe`...), or `''` for the whole link. */
  readonly parameter: string;

  constructor(code: InvalidMagnetErrorCode, parameter: string, message: string) {
    super(code, parameter ? `magnet parameter '${parameter}': ${message}` : message);
    this.parameter = parameter;
  }

  static override isInstance(error: unknown): error is InvalidMagnetError {
    return MetainfoError.isInstance(error) && error.name === 'InvalidMagnetError';
  }
}

/** Creating a torrent failed: bad options, an unreadable or changing file. */
export class CreateTorrentError extends MetainfoError {
  override name = 'CreateTorrentError';
  declare readonly code: CreateTorrentErrorCode;
  /** The file involved, when one is. */
  readonly path: string | undefined;

  constructor(
    code: CreateTorrentErrorCode,
    message: string,
    options?: { cause?: unknown; path?: string },
  ) {
    super(code, message, options);
    this.path = options?.path;
  }

  static override isInstance(error: unknown): error is CreateTorrentError {
    return MetainfoError.isInstance(error) && error.name === 'CreateTorrentError';
  }
}

/** A job of the SHA-1 worker pool (`HashPool` of `@bt/metainfo/node`) failed. */
export class HashPoolError extends MetainfoError {
  override name = 'HashPoolError';
  declare readonly code: HashPoolErrorCode;
  /** The system error code (`ENOENT`, `EIO`...), when I/O failed. */
  readonly systemCode: string | undefined;
  /** The file involved, when one is. */
  readonly path: string | undefined;

  constructor(
    code: HashPoolErrorCode,
    message: string,
    options?: { cause?: unknown; systemCode?: string; path?: string },
  ) {
    super(code, message, options);
    this.systemCode = options?.systemCode;
    this.path = options?.path;
  }

  static override isInstance(error: unknown): error is HashPoolError {
    return MetainfoError.isInstance(error) && error.name === 'HashPoolError';
  }
}
