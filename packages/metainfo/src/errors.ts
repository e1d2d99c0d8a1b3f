/**
 * Typed errors of the package. A torrent or magnet link that breaks the format raises an
 * `InvalidTorrentError` / `InvalidMagnetError` naming the field at fault; creating a torrent
 * raises a `CreateTorrentError` (I/O, bad options). All are `MetainfoError`s.
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
  | 'v2-only';

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

export type MetainfoErrorCode =
  InvalidTorrentErrorCode | InvalidMagnetErrorCode | CreateTorrentErrorCode;

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
