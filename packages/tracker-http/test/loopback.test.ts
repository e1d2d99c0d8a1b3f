/**
 * Our client against hostile trackers on loopback: garbage, oversized and gzip-bomb bodies,
 * redirects and loops, a tracker that never answers, cancellation. (Our client against our
 * server is in `@bt/tracker-server`'s tests.)
 */
import { gzipSync } from 'node:zlib';
import { encode } from '@bt/bencode';
import { PATIENCE_MS } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpTrackerError } from '../src/index.js';
import { HttpTrackerClient } from '../src/node.js';
import {
  filledBytes as bytes,
  testAnnounceRequest as request,
  startHttpStub as startStub,
} from '@bt/test-support';

async function errorOf(promise: Promise<unknown>): Promise<HttpTrackerError> {
  try {
    await promise;
  } catch (error) {
    if (HttpTrackerError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an HttpTrackerError');
}

describe('our client against hostile trackers', () => {
  // A timeout here only ends a stuck test: every verdict below is the answer's, never the clock's.
  const client = new HttpTrackerClient({
    timeout: PATIENCE_MS,
    maxResponseBytes: 64 * 1024,
    maxRedirects: 3,
  });
  const good = encode({ interval: 60, peers: Uint8Array.of(10, 0, 0, 1, 0, 80) });
  const stubs: { close: () => Promise<void> }[] = [];
  afterAll(async () => {
    await client.close();
    await Promise.all(stubs.map((stub) => stub.close()));
  });

  async function stub(handler: Parameters<typeof startStub>[0]): Promise<string> {
    const started = await startStub(handler);
    stubs.push(started);
    return `${started.url}/announce`;
  }

  it('bencode garbage, HTML and truncated bodies are malformed-response', async () => {
    for (const body of [
      '<html>oops</html>',
      'd8:intervali60e5:peers',
      'i42e',
      'd8:intervali60e5:peers5:abcdee',
    ]) {
      const url = await stub((_request, response) => response.end(body));
      expect((await errorOf(client.announce(url, request()))).code).toBe('malformed-response');
    }
  });

  it('HTTP errors are http-status, unless the body is a failure reason', async () => {
    const plain = await stub((_request, response) => {
      response.statusCode = 503;
      response.end('busy');
    });
    expect(await errorOf(client.announce(plain, request()))).toMatchObject({
      code: 'http-status',
      status: 503,
    });
    const refusing = await stub((_request, response) => {
      response.statusCode = 403;
      response.end(encode({ 'failure reason': 'unregistered torrent' }));
    });
    expect(await errorOf(client.announce(refusing, request()))).toMatchObject({
      code: 'failure-reason',
      failureReason: 'unregistered torrent',
    });
  });

  it('a body above the limit is too-large, declared or streamed, plain or gzip', async () => {
    const declared = await stub((_request, response) => {
      response.setHeader('content-length', String(10_000_000));
      response.write('d');
    });
    expect((await errorOf(client.announce(declared, request()))).code).toBe('too-large');
    const streamed = await stub((_request, response) => {
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      for (let i = 0; i < 8; i++) response.write(chunk);
      response.end();
    });
    expect((await errorOf(client.announce(streamed, request()))).code).toBe('too-large');
    // compressed before the request, not while the client's clock runs in this same process
    const compressed = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    const bomb = await stub((_request, response) => {
      response.setHeader('content-encoding', 'gzip');
      response.end(compressed);
    });
    expect((await errorOf(client.announce(bomb, request()))).code).toBe('too-large');
  });

  it('reads gzip and deflate answers; bad gzip is malformed-response', async () => {
    const gzipped = await stub((request, response) => {
      expect(request.headers['accept-encoding']).toContain('gzip');
      response.setHeader('content-encoding', 'gzip');
      response.end(gzipSync(good));
    });
    expect((await client.announce(gzipped, request())).peers).toEqual([
      { host: '10.0.0.1', port: 80, family: 4 },
    ]);
    const broken = await stub((_request, response) => {
      response.setHeader('content-encoding', 'gzip');
      response.end('not gzip at all');
    });
    expect((await errorOf(client.announce(broken, request()))).code).toBe('malformed-response');
  });

  it('follows redirects (keeping the query), stops at loops and at the limit', async () => {
    const target = await stub((request, response) => {
      expect(request.url).toContain('info_hash=');
      response.end(good);
    });
    const hop = await stub((request, response) => {
      response.statusCode = 302;
      response.setHeader('location', target + request.url!.slice(request.url!.indexOf('?')));
      response.end();
    });
    expect((await client.announce(hop, request())).interval).toBe(60);
    const loop = await stub((request, response) => {
      response.statusCode = 301;
      response.setHeader('location', request.url!);
      response.end();
    });
    expect((await errorOf(client.announce(loop, request()))).code).toBe('too-many-redirects');
    let hops = 0;
    const endless = await stub((_request, response) => {
      response.statusCode = 307;
      response.setHeader('location', `/announce/${hops++}`);
      response.end();
    });
    expect((await errorOf(client.announce(endless, request()))).code).toBe('too-many-redirects');
    expect(hops).toBe(4);
    const elsewhere = await stub((_request, response) => {
      response.statusCode = 302;
      response.setHeader('location', 'udp://127.0.0.1:1/announce');
      response.end();
    });
    expect((await errorOf(client.announce(elsewhere, request()))).code).toBe('invalid-url');
  });

  it('a tracker that never answers is a timeout; an abort is aborted; both promptly', async () => {
    const silent = await stub(() => {
      // never answers: the clock is the only possible verdict
    });
    const error = await errorOf(client.announce(silent, request(), { timeout: 300 }));
    expect(error.code).toBe('timeout');
    // aborted once the tracker holds the request: on that event, not after a delay
    const controller = new AbortController();
    const holding = await stub(() => controller.abort());
    const pending = client.announce(holding, request(), { signal: controller.signal });
    expect((await errorOf(pending)).code).toBe('aborted');
    expect(
      (await errorOf(client.announce(silent, request(), { signal: AbortSignal.abort() }))).code,
    ).toBe('aborted');
  });

  it('connection refused and a connection cut mid-answer are network errors', async () => {
    const { freePort } = await import('@bt/test-support');
    const port = await freePort();
    expect(
      (await errorOf(client.announce(`http://127.0.0.1:${port}/announce`, request()))).code,
    ).toBe('network');
    const cut = await stub((_request, response) => {
      response.setHeader('content-length', '1000');
      // cut once the first bytes are out
      response.write('d8:interval', () => response.socket?.destroy());
    });
    expect((await errorOf(client.announce(cut, request()))).code).toBe('network');
  });

  it('sends the tracker id back once a tracker gave one', async () => {
    const seen: string[] = [];
    const url = await stub((request, response) => {
      seen.push(request.url!);
      response.end(encode({ interval: 60, 'tracker id': 'T-42', peers: new Uint8Array(0) }));
    });
    await client.announce(url, request());
    await client.announce(url, request());
    expect(seen[0]).not.toContain('trackerid=');
    expect(seen[1]).toContain('trackerid=T-42');
  });

  it('scrape of a tracker without a BEP 48 scrape URL is scrape-unsupported; invalid URLs are invalid-url', async () => {
    expect((await errorOf(client.scrape('http://127.0.0.1:1/tracker', [bytes(1)]))).code).toBe(
      'scrape-unsupported',
    );
    expect((await errorOf(client.announce('ftp://127.0.0.1/announce', request()))).code).toBe(
      'invalid-url',
    );
  });
});
