/**
 * The HTTP(S) client of web seeds for Node: one keep-alive agent per scheme with a per-host
 * connection limit, redirects followed (bounded, loops refused), each answer judged before its
 * body is read (`judgeResponse`), the body streamed to the caller in the chunks that arrive and
 * never longer than asked, and a stall (no byte for `idleTimeoutMs`) ended.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { WebSeedError } from '../errors.js';
import type { WebSeedSegment } from '../plan.js';
import { judgeResponse, parseRetryAfter } from '../response.js';

export interface HttpRangeClientOptions {
  /** Connections open at once to one host (`host:port`). Default 4. */
  maxConnectionsPerHost?: number;
  /** Redirects followed per request. Default 5. */
  maxRedirects?: number;
  /** No byte for this long ends the request (`stalled`). Default 30 s. */
  idleTimeoutMs?: number;
  /** Accept any TLS certificate (tests with a self-signed one). Default false. */
  insecure?: boolean;
  /** Sent as `User-Agent`. */
  userAgent?: string;
}

export interface FetchSegmentOptions {
  signal?: AbortSignal;
  /** Each chunk of the body, in order; lent for the call only. */
  onData(chunk: Uint8Array): void;
}

/** The BEP 17 503 body is a number of seconds; longer bodies are not read further. */
const MAX_WAIT_BODY = 64;

export class HttpRangeClient {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;
  private readonly maxRedirects: number;
  private readonly idleTimeoutMs: number;
  private readonly userAgent: string;
  private readonly inFlight = new Set<() => void>();
  private closed = false;

  constructor(options: HttpRangeClientOptions = {}) {
    const maxSockets = options.maxConnectionsPerHost ?? 4;
    this.http = new HttpAgent({ keepAlive: true, maxSockets });
    this.https = new HttpsAgent({
      keepAlive: true,
      maxSockets,
      rejectUnauthorized: !options.insecure,
    });
    this.maxRedirects = options.maxRedirects ?? 5;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'bt';
  }

  /**
   * Fetches one planned segment, delivering exactly `segment.length` bytes to `onData`;
   * rejects with a `WebSeedError` (nothing more is delivered after it).
   */
  async fetch(
    segment: Extract<WebSeedSegment, { kind: 'http' }>,
    options: FetchSegmentOptions,
  ): Promise<void> {
    if (this.closed) throw new WebSeedError('closed', 'the client is closed', { url: segment.url });
    const visited = new Set<string>();
    let url = segment.url;
    for (let redirects = 0; ; redirects++) {
      visited.add(url);
      const location = await this.once(segment, url, options);
      if (location === undefined) return;
      let next: URL;
      try {
        next = new URL(location, url);
      } catch (error) {
        throw new WebSeedError('bad-redirect', `unusable Location ${location.slice(0, 200)}`, {
          url,
          cause: error,
        });
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw new WebSeedError('bad-redirect', `redirect to ${next.protocol} refused`, { url });
      if (visited.has(next.href))
        throw new WebSeedError('bad-redirect', `redirect loop at ${next.href}`, { url });
      if (redirects >= this.maxRedirects)
        throw new WebSeedError('too-many-redirects', `more than ${this.maxRedirects} redirects`, {
          url,
        });
      url = next.href;
    }
  }

  /** One request; resolves with a redirect's Location, or undefined once the body is in. */
  private once(
    segment: Extract<WebSeedSegment, { kind: 'http' }>,
    url: string,
    options: FetchSegmentOptions,
  ): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(new WebSeedError('aborted', 'aborted', { url, cause: signal.reason }));
        return;
      }
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch (error) {
        reject(new WebSeedError('invalid-url', `not a URL: ${url}`, { url, cause: error }));
        return;
      }
      const secure = parsed.protocol === 'https:';
      const headers: Record<string, string> = { 'user-agent': this.userAgent };
      if (segment.range) headers.range = `bytes=${segment.range.start}-${segment.range.end}`;
      let settled = false;
      const finish = (error: WebSeedError | undefined, location?: string): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        this.inFlight.delete(onClose);
        if (error) {
          request.destroy();
          reject(error);
        } else resolve(location);
      };
      const onAbort = (): void =>
        finish(new WebSeedError('aborted', 'aborted', { url, cause: signal?.reason }));
      const onClose = (): void => finish(new WebSeedError('closed', 'the client closed', { url }));
      const request = (secure ? httpsRequest : httpRequest)(parsed, {
        method: 'GET',
        headers,
        agent: secure ? this.https : this.http,
      });
      request.setTimeout(this.idleTimeoutMs, () =>
        finish(new WebSeedError('stalled', `no byte for ${this.idleTimeoutMs} ms`, { url })),
      );
      request.on('error', (error) =>
        finish(new WebSeedError('connection-failed', error.message, { url, cause: error })),
      );
      request.on('response', (response: IncomingMessage) => {
        const verdict = judgeResponse(
          segment,
          {
            status: response.statusCode ?? 0,
            header: (name) => {
              const value = response.headers[name];
              return Array.isArray(value) ? value[0] : value;
            },
          },
          url,
        );
        switch (verdict.kind) {
          case 'redirect':
            response.destroy();
            finish(undefined, verdict.location);
            return;
          case 'error':
            if (verdict.readBody) return this.readWait(response, verdict.error, finish);
            response.destroy();
            finish(verdict.error);
            return;
          case 'body':
            this.readBody(response, url, verdict.length, verdict.truncate, options, finish);
            return;
        }
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.inFlight.add(onClose);
      request.end();
    });
  }

  private readBody(
    response: IncomingMessage,
    url: string,
    length: number,
    truncate: boolean,
    options: FetchSegmentOptions,
    finish: (error: WebSeedError | undefined) => void,
  ): void {
    let received = 0;
    let done = false;
    response.on('data', (chunk: Buffer) => {
      if (done) return;
      const room = length - received;
      if (chunk.length > room && !truncate) {
        done = true;
        response.destroy();
        finish(
          new WebSeedError('too-long', `the body is longer than the ${length} bytes asked for`, {
            url,
            expected: length,
            received: received + chunk.length,
          }),
        );
        return;
      }
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      received += part.length;
      try {
        options.onData(part);
      } catch (error) {
        done = true;
        response.destroy();
        finish(new WebSeedError('aborted', 'the receiver failed', { url, cause: error }));
        return;
      }
      if (received === length && truncate) {
        // the rest of a whole file is not wanted: this connection cannot be reused
        done = true;
        response.destroy();
        finish(undefined);
      }
    });
    response.on('end', () => {
      if (done) return;
      done = true;
      if (received !== length)
        finish(
          new WebSeedError('wrong-length', `the body ended after ${received} of ${length} bytes`, {
            url,
            expected: length,
            received,
          }),
        );
      else finish(undefined);
    });
    response.on('error', (error) => {
      if (done) return;
      done = true;
      finish(new WebSeedError('connection-failed', error.message, { url, cause: error }));
    });
  }

  /** BEP 17: the wait in a 503's body, read up to a few bytes. */
  private readWait(
    response: IncomingMessage,
    error: WebSeedError,
    finish: (error: WebSeedError | undefined) => void,
  ): void {
    let text = '';
    const conclude = (): void => {
      response.destroy();
      const wait = parseRetryAfter(text);
      finish(
        wait === undefined
          ? error
          : new WebSeedError('retry-later', error.message, {
              url: error.url,
              status: error.status,
              retryAfterMs: wait,
            }),
      );
    };
    response.setEncoding('latin1');
    response.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_WAIT_BODY) {
        text = '';
        conclude();
      }
    });
    response.on('end', conclude);
    response.on('error', conclude);
  }

  /** Ends every request in flight (`closed`) and the kept-alive connections. */
  async close(): Promise<void> {
    this.closed = true;
    for (const close of [...this.inFlight]) close();
    this.http.destroy();
    this.https.destroy();
  }
}
