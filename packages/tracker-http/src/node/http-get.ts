/**
 * The Node shell of the client: one GET over `node:http` / `node:https`, with the controls a
 * tracker client needs and `fetch` does not give: bounded redirects, gzip and deflate decoded
 * with a size limit on the expanded bytes, one overall timeout, and cancellation.
 */
import type { Agent as HttpAgent } from 'node:http';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { request as httpsRequest } from 'node:https';
import { createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { HttpTrackerError } from '../errors.js';

export interface HttpGetOptions {
  signal?: AbortSignal | undefined;
  /** Milliseconds for the whole exchange, redirects included. */
  timeout: number;
  /** Largest body accepted, after decompression. */
  maxBytes: number;
  maxRedirects: number;
  headers: Record<string, string>;
  httpAgent?: HttpAgent | undefined;
  httpsAgent?: HttpsAgent | undefined;
}

export interface HttpGetResponse {
  status: number;
  /** The URL that answered, after redirects. */
  url: string;
  body: Uint8Array;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** GETs `url`, following redirects; resolves with the final status and body (any status). */
export async function httpGet(url: string, options: HttpGetOptions): Promise<HttpGetResponse> {
  if (options.signal?.aborted) {
    throw new HttpTrackerError('aborted', 'the request was aborted', {
      url,
      cause: options.signal.reason,
    });
  }
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeout);
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const visited = new Set<string>();
  let current = url;
  try {
    for (;;) {
      visited.add(current);
      const response = await getOnce(current, options, controller.signal).catch(
        (error: unknown) => {
          if (controller.signal.aborted) {
            throw timedOut
              ? new HttpTrackerError(
                  'timeout',
                  `the tracker did not answer within ${options.timeout} ms`,
                  { url: current },
                )
              : new HttpTrackerError('aborted', 'the request was aborted', {
                  url: current,
                  cause: options.signal?.reason,
                });
          }
          throw error;
        },
      );
      if (response.location === undefined)
        return { status: response.status, url: current, body: response.body };
      let next: URL;
      try {
        next = new URL(response.location, current);
      } catch (error) {
        throw new HttpTrackerError('invalid-url', `the tracker redirected to an unusable URL`, {
          url: current,
          cause: error,
        });
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new HttpTrackerError(
          'invalid-url',
          `the tracker redirected to a non-HTTP URL: ${next.protocol}`,
          {
            url: current,
          },
        );
      }
      if (visited.has(next.href)) {
        throw new HttpTrackerError('too-many-redirects', 'the tracker redirects in a loop', {
          url: current,
        });
      }
      if (visited.size > options.maxRedirects) {
        throw new HttpTrackerError(
          'too-many-redirects',
          `more than ${options.maxRedirects} redirects`,
          { url: current },
        );
      }
      current = next.href;
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

interface OnceResponse {
  status: number;
  location?: string;
  body: Uint8Array;
}

function getOnce(
  url: string,
  options: HttpGetOptions,
  signal: AbortSignal,
  retried = false,
): Promise<OnceResponse> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (error) {
    return Promise.reject(
      new HttpTrackerError('invalid-url', `not a URL: ${url}`, { url, cause: error }),
    );
  }
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') {
    return Promise.reject(
      new HttpTrackerError('invalid-url', `not an http(s) URL: ${url}`, { url }),
    );
  }
  return new Promise<OnceResponse>((resolve, reject) => {
    let settled = false;
    let cleanup: (() => void) | undefined;
    const request = (secure ? httpsRequest : httpRequest)(target, {
      method: 'GET',
      headers: { 'accept-encoding': 'gzip, deflate', ...options.headers },
      ...(secure
        ? options.httpsAgent
          ? { agent: options.httpsAgent }
          : {}
        : options.httpAgent
          ? { agent: options.httpAgent }
          : {}),
    });
    /** Settles once, then tears the exchange down (errors after that have nobody to tell). */
    const finish = (error: Error | undefined, value?: OnceResponse): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error) {
        reject(error);
        request.destroy();
        cleanup?.();
      } else resolve(value!);
    };
    const onAbort = (): void =>
      finish(new HttpTrackerError('aborted', 'the request was aborted', { url }));
    signal.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the tracker already closed (opentracker closes after each answer):
      // nothing was sent to it, so one fresh attempt is safe.
      if (
        !settled &&
        request.reusedSocket &&
        !retried &&
        (error.code === 'ECONNRESET' || error.code === 'EPIPE')
      ) {
        settled = true;
        signal.removeEventListener('abort', onAbort);
        getOnce(url, options, signal, true).then(resolve, reject);
        return;
      }
      finish(
        HttpTrackerError.isInstance(error)
          ? error
          : new HttpTrackerError('network', `cannot reach the tracker: ${error.message}`, {
              url,
              cause: error,
            }),
      );
    });
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      response.on('error', (error: Error) => {
        finish(
          new HttpTrackerError(
            'network',
            `the tracker closed the connection mid-answer: ${error.message}`,
            {
              url,
              cause: error,
            },
          ),
        );
      });
      if (REDIRECTS.has(status) && typeof location === 'string') {
        response.resume();
        finish(undefined, { status, location, body: new Uint8Array(0) });
        return;
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        finish(tooLarge(url, options.maxBytes));
        return;
      }
      const encoding = String(response.headers['content-encoding'] ?? 'identity')
        .toLowerCase()
        .trim();
      let stream: IncomingMessage | Transform = response;
      if (encoding === 'gzip' || encoding === 'x-gzip') stream = response.pipe(createGunzip());
      else if (encoding === 'deflate') stream = response.pipe(createInflate());
      if (stream !== response) {
        const decoder = stream;
        decoder.on('error', (error: Error) => {
          finish(
            new HttpTrackerError(
              'malformed-response',
              `cannot decode the response (${encoding}): ${error.message}`,
              {
                url,
                cause: error,
              },
            ),
          );
        });
        cleanup = () => decoder.destroy();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > options.maxBytes) {
          finish(tooLarge(url, options.maxBytes));
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (!response.complete) {
          finish(
            new HttpTrackerError('network', 'the tracker closed the connection mid-answer', {
              url,
            }),
          );
          return;
        }
        const buffer = Buffer.concat(chunks, size);
        finish(undefined, {
          status,
          body: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength),
        });
      });
    });
    request.end();
  });
}

function tooLarge(url: string, maxBytes: number): HttpTrackerError {
  return new HttpTrackerError(
    'too-large',
    `the tracker's answer is larger than ${maxBytes} bytes`,
    { url },
  );
}
