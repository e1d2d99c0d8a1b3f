/**
 * A client of btd's Transmission RPC for the page: the `X-Transmission-Session-Id` exchange
 * (a 409 carries the id to repeat the request with), HTTP Basic credentials when the page was
 * given some (otherwise the browser's own, from loading the page), and typed errors that tell a
 * lost connection, refused credentials and a refused request apart.
 */

export type RpcClientErrorCode = 'connection-lost' | 'unauthorized' | 'http-status' | 'rpc-failed';

export class RpcClientError extends Error {
  override readonly name = 'RpcClientError';
  constructor(
    readonly code: RpcClientErrorCode,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RpcClientOptions {
  /** Default `/transmission/rpc`. */
  url?: string;
  /** Each request's limit. Default 20 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const SESSION_HEADER = 'X-Transmission-Session-Id';

export class RpcClient {
  private sessionId = '';
  private authorization: string | undefined;
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: RpcClientOptions = {}) {
    this.url = options.url ?? '/transmission/rpc';
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Credentials for Basic auth, sent with every later request. */
  setCredentials(username: string, password: string): void {
    const bytes = new TextEncoder().encode(`${username}:${password}`);
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    this.authorization = `Basic ${btoa(binary)}`;
  }

  async call<T = Record<string, unknown>>(
    method: string,
    args: Record<string, unknown> = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const body = JSON.stringify({ method, arguments: args });
    for (let attempt = 0; attempt < 3; attempt++) {
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        [SESSION_HEADER]: this.sessionId,
      };
      if (this.authorization) headers.Authorization = this.authorization;
      const signals = [AbortSignal.timeout(this.timeoutMs)];
      if (options.signal) signals.push(options.signal);
      let response: Response;
      try {
        response = await this.fetch(this.url, {
          method: 'POST',
          headers,
          body,
          credentials: 'same-origin',
          signal: AbortSignal.any(signals),
        });
      } catch (error) {
        throw new RpcClientError('connection-lost', 'cannot reach btd', undefined, {
          cause: error,
        });
      }
      if (response.status === 409) {
        this.sessionId = response.headers.get(SESSION_HEADER) ?? '';
        continue;
      }
      if (response.status === 401)
        throw new RpcClientError('unauthorized', 'btd asks for a user name and password', 401);
      if (!response.ok)
        throw new RpcClientError(
          'http-status',
          `btd answered HTTP ${response.status}`,
          response.status,
        );
      let reply: { result?: unknown; arguments?: unknown };
      try {
        reply = (await response.json()) as typeof reply;
      } catch (error) {
        throw new RpcClientError('connection-lost', 'the answer was cut off', undefined, {
          cause: error,
        });
      }
      if (reply.result !== 'success')
        throw new RpcClientError(
          'rpc-failed',
          typeof reply.result === 'string' ? reply.result : 'failed',
        );
      return (reply.arguments ?? {}) as T;
    }
    throw new RpcClientError('http-status', 'no session id after three tries', 409);
  }
}
