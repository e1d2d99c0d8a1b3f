/** Typed errors of the primitives: malformed identifiers, addresses and bit sets. */

const marker = Symbol.for('@bt/primitives.error');

export type PrimitivesErrorCode =
  | 'invalid-info-hash'
  | 'invalid-peer-id'
  | 'invalid-hex'
  | 'invalid-base32'
  | 'invalid-address'
  | 'invalid-compact-length'
  | 'invalid-length';

export class PrimitivesError extends Error {
  override name = 'PrimitivesError';
  readonly code: PrimitivesErrorCode;
  readonly [marker] = true;

  constructor(code: PrimitivesErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for errors of this package, even from another copy of it. */
  static isInstance(error: unknown): error is PrimitivesError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
