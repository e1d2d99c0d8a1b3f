/**
 * Our client against our server, and each against a hostile other side, all on loopback:
 * garbage, oversized and gzip-bomb bodies, redirects and loops, a tracker that never answers,
 * cancellation, and requests that break the protocol (the server must keep serving).
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { encode } from '@bt/bencode';
import { PATIENCE_MS } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HttpTrackerClient,
  HttpTrackerError,
  HttpTrackerServer,
  MemorySwarmRegistry,
  type TrackerRegistry,
} from '../src/index.js';
import { bytes, request, startStub } from './helpers.js';

async function errorOf(promise: Promise<unknown>): Promise<HttpTrackerError> {
  try {
    await promise;
  } catch (error) {
    if (HttpTrackerError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an HttpTrackerError');
}

describe('our client against our server', () => {
  const server = new HttpTrackerServer({ interval: 120 });
  const client = new HttpTrackerClient({ timeout: PATIENCE_MS });
  let announceUrl = '';

  beforeAll(async () => {
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    announceUrl = `http://127.0.0.1:${port}/announce`;
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('peers find each other, counts move with started/completed/stopped, scrape agrees', async () => {
    const infoHash = bytes(1);
    const first = await client.announce(announceUrl, request({ n: 1, infoHash }));
    expect(first).toMatchObject({
      interval: 120,
      minInterval: 60,
      complete: 0,
      incomplete: 1,
      peers: [],
    });
    const second = await client.announce(announceUrl, request({ n: 2, infoHash, left: 0 }));
    expect(second).toMatchObject({ complete: 1, incomplete: 1 });
    expect(second.peers).toEqual([{ host: '127.0.0.1', port: 20001, family: 4 }]);
    const third = await client.announce(announceUrl, request({ n: 3, infoHash, event: 'none' }));
    expect(third.peers.map((peer) => peer.port).sort()).toEqual([20001, 20002]);

    await client.announce(announceUrl, request({ n: 1, infoHash, event: 'completed', left: 0 }));
    let scrape = await client.scrape(announceUrl, [infoHash, bytes(99)]);
    expect(scrape.files).toEqual(
      expect.arrayContaining([
        { infoHash, complete: 2, downloaded: 1, incomplete: 1 },
        { infoHash: bytes(99), complete: 0, downloaded: 0, incomplete: 0 },
      ]),
    );
    await client.announce(announceUrl, request({ n: 2, infoHash, event: 'stopped', left: 0 }));
    scrape = await client.scrape(announceUrl, [infoHash]);
    expect(scrape.files).toEqual([{ infoHash, complete: 1, downloaded: 1, incomplete: 1 }]);
  });

  it('answers the dictionary model with peer ids when compact=0, and numwant is honoured', async () => {
    const infoHash = bytes(2);
    for (let n = 10; n < 20; n++) await client.announce(announceUrl, request({ n, infoHash }));
    const response = await fetch(
      `${announceUrl}?info_hash=${'%02'.repeat(20)}&peer_id=-XX0001-aaaaaaaaaaaa&port=1&uploaded=0&downloaded=0&left=1&compact=0&numwant=3`,
    );
    const { parseAnnounceResponse } = await import('../src/index.js');
    const result = parseAnnounceResponse(new Uint8Array(await response.arrayBuffer()));
    expect(result.peers).toHaveLength(3);
    for (const peer of result.peers) expect(peer.peerId).toHaveLength(20);
  });

  it('serves IPv6 clients on ::1 with peers6', async () => {
    const v6 = new HttpTrackerServer({ registry: server.registry });
    const { port } = await v6.listen({ port: 0, host: '::1' });
    try {
      const url6 = `http://[::1]:${port}/announce`;
      const infoHash = bytes(3);
      await client.announce(url6, request({ n: 1, infoHash }));
      await client.announce(announceUrl, request({ n: 2, infoHash }));
      const result = await client.announce(url6, request({ n: 3, infoHash }));
      expect(result.peers).toEqual(
        expect.arrayContaining([
          { host: '::1', port: 20001, family: 6 },
          { host: '127.0.0.1', port: 20002, family: 4 },
        ]),
      );
    } finally {
      await v6.close();
    }
  });

  it('refuses malformed announces with a bencoded failure reason and keeps serving', async () => {
    const bad = [
      `${announceUrl}?info_hash=short&peer_id=-XX0001-aaaaaaaaaaaa&port=1&uploaded=0&downloaded=0&left=1`,
      `${announceUrl}?info_hash=${'%02'.repeat(20)}&port=1`,
      `${announceUrl}?info_hash=${'%02'.repeat(20)}&peer_id=-XX0001-aaaaaaaaaaaa&port=99999&uploaded=0&downloaded=0&left=1`,
      `${announceUrl}?%%%`,
      `${announceUrl.replace('/announce', '/nowhere')}`,
    ];
    for (const url of bad) {
      const body = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const { decode, getText } = await import('@bt/bencode');
      expect(getText(decode(body) as Map<string, never>, 'failure reason')).toBeTruthy();
    }
    const error = await errorOf(client.announce(`${announceUrl}?x=%`, request()));
    expect(error.code).toBe('failure-reason');
    expect(error.failureReason).toBe('malformed query string');
    // Raw garbage on the socket gets a 400 and the server lives on.
    const { port } = server.address()!;
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('\x00\x01GARBAGE / HTTP/9\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(
      (await client.announce(announceUrl, request({ n: 1, infoHash: bytes(4) }))).incomplete,
    ).toBe(1);
    expect(server.stats.failures).toBeGreaterThanOrEqual(6);
  });

  it('caps numwant at the server limit', async () => {
    const capped = new HttpTrackerServer({ registry: server.registry, maxNumwant: 3 });
    const { port } = await capped.listen();
    try {
      const url = `http://127.0.0.1:${port}/announce`;
      const infoHash = bytes(8);
      for (let n = 30; n < 40; n++) await client.announce(url, request({ n, infoHash }));
      expect(
        (await client.announce(url, request({ n: 41, infoHash, numwant: 100 }))).peers,
      ).toHaveLength(3);
      expect(
        (await client.announce(announceUrl, request({ n: 42, infoHash, numwant: 100 }))).peers,
      ).toHaveLength(11);
    } finally {
      await capped.close();
    }
  });

  it('applies an allow-list to announce and scrape', async () => {
    const allowed = bytes(5);
    const guarded = new HttpTrackerServer({ allowInfoHash: (hash) => hash[0] === 5 });
    const { port } = await guarded.listen();
    try {
      const url = `http://127.0.0.1:${port}/announce`;
      await client.announce(url, request({ infoHash: allowed }));
      const error = await errorOf(client.announce(url, request({ infoHash: bytes(6) })));
      expect(error).toMatchObject({
        code: 'failure-reason',
        failureReason: 'torrent not allowed on this tracker',
      });
      const scrape = await client.scrape(url, [allowed, bytes(6)]);
      expect(scrape.files).toEqual([
        { infoHash: allowed, complete: 0, downloaded: 0, incomplete: 1 },
      ]);
    } finally {
      await guarded.close();
    }
  });

  it('turns a registry refusal (an error with a code) into a failure reason', async () => {
    const inner = new MemorySwarmRegistry();
    const registry: TrackerRegistry = {
      announce(announce) {
        if (announce.infoHash[0] === 7)
          throw Object.assign(new Error('this swarm is closed'), { code: 'torrent-not-allowed' });
        return inner.announce(announce);
      },
      scrape: (hashes) => inner.scrape(hashes),
    };
    const refusing = new HttpTrackerServer({ registry });
    const { port } = await refusing.listen();
    try {
      const error = await errorOf(
        client.announce(`http://127.0.0.1:${port}/announce`, request({ infoHash: bytes(7) })),
      );
      expect(error.failureReason).toBe('this swarm is closed');
    } finally {
      await refusing.close();
    }
  });
});

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
