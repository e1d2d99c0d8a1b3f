/**
 * Typed errors of the RPC. A request the client got wrong (`invalid-json`, `invalid-request`,
 * `unknown-method`, `invalid-argument`, `torrent-not-found`) and what this daemon does not do
 * (`unsupported`) are answered as RPC failures (HTTP 200, Transmission's `result` string or a
 * JSON-RPC 2.0 `error`); `backend-failed` wraps the session's own errors.
 */

const marker = Symbol.for('@bt/transmission-rpc.error');

export type RpcErrorCode =
  | 'invalid-json'
  | 'invalid-request'
  | 'unknown-method'
  | 'invalid-argument'
  | 'torrent-not-found'
  | 'unsupported'
  | 'backend-failed';

export class RpcError extends Error {
  override name = 'RpcError';
  readonly code: RpcErrorCode;
  /** The argument at fault, when one is. */
  readonly argument: string | undefined;
  readonly [marker] = true;

  constructor(
    code: RpcErrorCode,
    message: string,
    options: { cause?: unknown; argument?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.argument = options.argument;
  }

  /** True for errors of this package, even from another copy of it. */
  static isInstance(error: unknown): error is RpcError {
    return typeof error === 'object' && error !== null && marker in error;
  }

  /** The JSON-RPC 2.0 error code (the standard ones; -32000 for the daemon's own failures). */
  get jsonRpcCode(): number {
    switch (this.code) {
      case 'invalid-json':
        return -32700;
      case 'invalid-request':
        return -32600;
      case 'unknown-method':
        return -32601;
      case 'invalid-argument':
      case 'torrent-not-found':
        return -32602;
      case 'unsupported':
      case 'backend-failed':
        return -32000;
    }
  }
}
