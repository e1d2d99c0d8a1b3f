/**
 * Our HTTP client against our HTTP server on loopback, and requests that break the protocol
 * (the server must keep serving).
 */
import { connect } from 'node:net';
import { PATIENCE_MS } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTrackerError, parseAnnounceResponse } from '@bt/tracker-http';
import { HttpTrackerClient } from '@bt/tracker-http/node';
import { type SwarmAnnounce, type SwarmAnnounceResult, SwarmRegistry } from '../src/index.js';
import { HttpTrackerServer } from '../src/node.js';
import { filledBytes as bytes, testAnnounceRequest as request } from '@bt/test-support';

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

  it('caps numwant at the registry limit', async () => {
    const capped = new HttpTrackerServer({ numwantCap: 3 });
    const { port } = await capped.listen();
    try {
      const url = `http://127.0.0.1:${port}/announce`;
      const infoHash = bytes(8);
      for (let n = 30; n < 40; n++) await client.announce(url, request({ n, infoHash }));
      expect(
        (await client.announce(url, request({ n: 41, infoHash, numwant: 100 }))).peers,
      ).toHaveLength(3);
    } finally {
      await capped.close();
    }
  });

  it('applies an allow-list to announce and scrape', async () => {
    const allowed = bytes(5);
    const guarded = new HttpTrackerServer({ allowList: (hash) => hash[0] === 5 });
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
    class RefusingRegistry extends SwarmRegistry {
      override announce(announce: SwarmAnnounce): SwarmAnnounceResult {
        if (announce.infoHash[0] === 7)
          throw Object.assign(new Error('this swarm is closed'), { code: 'torrent-not-allowed' });
        return super.announce(announce);
      }
    }
    const refusing = new HttpTrackerServer({ registry: new RefusingRegistry() });
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
