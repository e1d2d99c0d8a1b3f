/**
 * Typed errors of the codec. Every malformed input raises a `BencodeDecodeError` carrying the
 * byte offset where reading stopped; values that cannot be encoded raise a `BencodeEncodeError`
 * carrying the path to the value. Both are `BencodeError`s.
 */

const marker = Symbol.for('@bt/bencode.error');

/** Why a decode failed. */
export type BencodeDecodeErrorCode =
  | 'unexpected-end'
  | 'unexpected-byte'
  | 'invalid-integer'
  | 'integer-too-long'
  | 'invalid-length'
  | 'string-out-of-bounds'
  | 'non-canonical-integer'
  | 'non-canonical-length'
  | 'unsorted-keys'
  | 'duplicate-key'
  | 'key-not-string'
  | 'trailing-bytes'
  | 'depth-exceeded'
  | 'invalid-utf8';

/** Why an encode failed. */
export type BencodeEncodeErrorCode =
  'unencodable-value' | 'not-an-integer' | 'duplicate-key' | 'depth-exceeded';

export type BencodeErrorCode = BencodeDecodeErrorCode | BencodeEncodeErrorCode;

/** Base class of every error this package throws. */
export class BencodeError extends Error {
  override name = 'BencodeError';
  readonly code: BencodeErrorCode;
  readonly [marker] = true;

  constructor(code: BencodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for errors of this package, even from another copy of it in `node_modules`. */
  static isInstance(error: unknown): error is BencodeError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/** The input is not valid bencode (or not canonical, in strict mode). */
export class BencodeDecodeError extends BencodeError {
  override name = 'BencodeDecodeError';
  declare readonly code: BencodeDecodeErrorCode;
  /** Byte offset into the input where the problem was found. */
  readonly offset: number;

  constructor(code: BencodeDecodeErrorCode, offset: number, message: string) {
    super(code, `${message} (at byte ${offset})`);
    this.offset = offset;
  }

  static override isInstance(error: unknown): error is BencodeDecodeError {
    return BencodeError.isInstance(error) && 'offset' in error;
  }
}

/** A value given to `encode` has no bencode form. */
export class BencodeEncodeError extends BencodeError {
  override name = 'BencodeEncodeError';
  declare readonly code: BencodeEncodeErrorCode;
  /** Where the value sits: dictionary keys and list indices from the root. */
  readonly path: readonly (string | number)[];

  constructor(code: BencodeEncodeErrorCode, path: readonly (string | number)[], message: string) {
    const where = path.length === 0 ? 'the root value' : `at ${formatPath(path)}`;
    super(code, `${message} (${where})`);
    this.path = path;
  }

  static override isInstance(error: unknown): error is BencodeEncodeError {
    return BencodeError.isInstance(error) && 'path' in error;
  }
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('');
}
