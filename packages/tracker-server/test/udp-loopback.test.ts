/**
 * Our client against our server on loopback (IPv4 and IPv6), and our server against hostile
 * datagrams: it answers each with an error (or drops it) and keeps serving.
 */
import { createSocket, type Socket } from 'node:dgram';
import { type AnnounceRequest, generatePeerId, randomBytes } from '@bt/primitives';
import fc from 'fast-check';
import { waitFor } from '@bt/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  UdpTrackerError,
} from '@bt/tracker-udp';
import { UdpTrackerClient } from '@bt/tracker-udp/node';
import { SwarmRegistry } from '../src/index.js';
import { UdpTrackerServer } from '../src/node.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function server(
  options: ConstructorParameters<typeof UdpTrackerServer>[0] = {},
  host = '127.0.0.1',
) {
  const created = new UdpTrackerServer({ interval: 120, ...options });
  const address = await created.listen(0, host);
  cleanups.push(() => created.close());
  const urlHost = host.includes(':') ? `[${host === '::' ? '::1' : host}]` : host;
  return { server: created, url: `udp://${urlHost}:${address.port}/announce`, port: address.port };
}

function client(options: ConstructorParameters<typeof UdpTrackerClient>[0] = {}) {
  // Loopback answers at once: a slow schedule keeps a busy machine from adding retransmissions.
  const created = new UdpTrackerClient({ retransmitBase: 2, maxRetransmits: 2, ...options });
  cleanups.push(() => created.close());
  return created;
}

const announce = (
  infoHash: Uint8Array,
  port: number,
  left = 100,
  event: AnnounceRequest['event'] = 'started',
): AnnounceRequest => ({
  infoHash,
  peerId: generatePeerId(),
  port,
  uploaded: 0,
  downloaded: 0,
  left,
  event,
});

/** A raw socket that sends datagrams and collects what comes back. */
async function rawSocket(
  type: 'udp4' | 'udp6' = 'udp4',
): Promise<{ socket: Socket; replies: Uint8Array[] }> {
  const socket = createSocket(type);
  const replies: Uint8Array[] = [];
  socket.on('message', (message) => replies.push(new Uint8Array(message)));
  await new Promise<void>((resolve) =>
    socket.bind(0, type === 'udp4' ? '127.0.0.1' : '::1', resolve),
  );
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return { socket, replies };
}

async function until(check: () => boolean): Promise<void> {
  await waitFor(check, { intervalMs: 5 });
  expect(check()).toBe(true);
}

describe('client and server on loopback', () => {
  it('peers find each other, scrape counts move with started, completed and stopped', async () => {
    const { url, server: tracker } = await server();
    const udp = client();
    const infoHash = randomBytes(20);
    const seeder = announce(infoHash, 1001, 0);
    expect(await udp.announce(url, seeder)).toMatchObject({
      interval: 120,
      complete: 1,
      incomplete: 0,
      peers: [],
    });
    const leecher = announce(infoHash, 1002);
    const found = await udp.announce(url, leecher);
    expect(found.peers).toEqual([{ host: '127.0.0.1', port: 1001, family: 4 }]);
    expect((await udp.scrape(url, [infoHash])).files).toEqual([
      { infoHash, complete: 1, incomplete: 1, downloaded: 0 },
    ]);
    await udp.announce(url, { ...leecher, left: 0, event: 'completed' });
    expect((await udp.scrape(url, [infoHash])).files[0]).toMatchObject({
      complete: 2,
      incomplete: 0,
      downloaded: 1,
    });
    await udp.announce(url, { ...seeder, event: 'stopped' });
    expect((await udp.scrape(url, [infoHash])).files[0]).toMatchObject({
      complete: 1,
      incomplete: 0,
      downloaded: 1,
    });
    expect(tracker.stats()).toMatchObject({
      connects: 1,
      announces: 4,
      scrapes: 3,
      errors: 0,
      torrents: 1,
      peers: 1,
    });
  });

  it('runs hundreds of announces at once over one socket and one connect', async () => {
    const { url, server: tracker } = await server();
    const udp = client();
    const infoHash = randomBytes(20);
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => udp.announce(url, announce(infoHash, 2000 + i))),
    );
    expect(results).toHaveLength(300);
    expect(tracker.stats()).toMatchObject({ connects: 1, peers: 300 });
    // A datagram lost in the burst is retransmitted: at least 300 announces arrived.
    expect(tracker.stats().announces).toBeGreaterThanOrEqual(300);
    const last = await udp.announce(url, { ...announce(infoHash, 9999), numwant: 500 });
    expect(last.peers).toHaveLength(200); // the registry's numwant cap
  });

  it('scrapes more torrents than fit one datagram', async () => {
    const { url, server: tracker } = await server();
    const udp = client();
    const hashes = Array.from({ length: 160 }, () => randomBytes(20));
    await udp.announce(url, announce(hashes[100]!, 1, 0));
    const { files } = await udp.scrape(url, hashes);
    expect(files).toHaveLength(160);
    expect(files.map((file) => file.complete).reduce((a, b) => a + b)).toBe(1);
    expect(files[100]).toMatchObject({ infoHash: hashes[100], complete: 1 });
    expect(tracker.stats().scrapes).toBe(3);
  });

  it('speaks IPv6 on ::1 with 18-byte peers', async () => {
    const { url } = await server({}, '::1');
    const udp = client();
    const infoHash = randomBytes(20);
    await udp.announce(url, announce(infoHash, 3001, 0));
    const result = await udp.announce(url, announce(infoHash, 3002));
    expect(result.peers).toEqual([{ host: '::1', port: 3001, family: 6 }]);
  });

  it('serves IPv4 clients on a dual-stack socket, and a udp6 client reaches an IPv4 tracker', async () => {
    const { port } = await server({}, '::');
    const url = `udp://127.0.0.1:${port}/announce`;
    const infoHash = randomBytes(20);
    await client().announce(url, announce(infoHash, 4001, 0));
    const result = await client({ socketType: 'udp6' }).announce(url, announce(infoHash, 4002));
    expect(result.peers).toEqual([{ host: '127.0.0.1', port: 4001, family: 4 }]);
  });

  it('reaches a tracker by host name, preferring IPv4', async () => {
    const { port } = await server();
    const result = await client().announce(
      `udp://localhost:${port}/announce`,
      announce(randomBytes(20), 1, 0),
    );
    expect(result).toMatchObject({ complete: 1, incomplete: 0 });
  });

  it('refuses torrents outside its allow-list with a tracker error', async () => {
    const allowed = randomBytes(20);
    const { url } = await server({ allowList: [allowed] });
    const udp = client();
    await expect(udp.announce(url, announce(allowed, 1))).resolves.toMatchObject({
      complete: 0,
      incomplete: 1,
    });
    const error = await udp
      .announce(url, announce(randomBytes(20), 1))
      .catch((caught: unknown) => caught);
    expect(UdpTrackerError.isInstance(error) && error.code).toBe('tracker-error');
    expect((error as UdpTrackerError).trackerMessage).toMatch(/not on this tracker/);
  });

  it('shares one registry between two servers', async () => {
    const registry = new SwarmRegistry({ interval: 300 });
    const first = await server({ registry });
    const second = await server({ registry });
    const infoHash = randomBytes(20);
    const udp = client();
    await udp.announce(first.url, announce(infoHash, 5001, 0));
    const result = await udp.announce(second.url, announce(infoHash, 5002));
    expect(result).toMatchObject({ interval: 300, complete: 1, peers: [{ port: 5001 }] });
  });
});

describe('server against hostile datagrams', () => {
  it('answers garbage with error packets (or silence below 16 bytes) and keeps serving', async () => {
    const { url, server: tracker, port } = await server();
    const { socket, replies } = await rawSocket();
    // Batches, so loopback buffers never drop what the assertions count.
    const samples = fc.sample(fc.uint8Array({ maxLength: 3000 }), { numRuns: 300, seed: 42 });
    let sent = 0;
    let answerable = 0;
    for (let start = 0; start < samples.length; start += 25) {
      for (const bytes of samples.slice(start, start + 25)) {
        socket.send(bytes, port, '127.0.0.1');
        sent++;
        if (bytes.length >= 16) answerable++;
      }
      await until(() => tracker.stats().received === sent && replies.length === answerable);
    }
    for (const reply of replies) {
      const decoded = decodeResponse(reply);
      expect(decoded.action === 'error' || decoded.action === 'connect').toBe(true);
    }
    expect(tracker.stats().ignored).toBe(sent - answerable);
    const infoHash = randomBytes(20);
    await expect(client().announce(url, announce(infoHash, 1))).resolves.toMatchObject({
      incomplete: 1,
    });
  });

  it('refuses announces and scrapes with a connection id it did not issue', async () => {
    const { server: tracker, port } = await server();
    const { socket, replies } = await rawSocket();
    const forged = {
      connectionId: Uint8Array.from([0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x80]),
      transactionId: 77,
    };
    socket.send(
      encodeAnnounceRequest({
        ...forged,
        infoHash: randomBytes(20),
        peerId: generatePeerId(),
        downloaded: 0,
        left: 0,
        uploaded: 0,
        event: 'started',
        ip: new Uint8Array(4),
        key: 1,
        numwant: -1,
        port: 1,
      }),
      port,
      '127.0.0.1',
    );
    socket.send(
      encodeScrapeRequest({ ...forged, infoHashes: [randomBytes(20)] }),
      port,
      '127.0.0.1',
    );
    await until(() => replies.length === 2);
    expect(replies.map((reply) => decodeResponse(reply))).toEqual([
      { action: 'error', transactionId: 77, message: 'unknown or expired connection id' },
      { action: 'error', transactionId: 77, message: 'unknown or expired connection id' },
    ]);
    expect(tracker.stats()).toMatchObject({ badConnectionIds: 2, announces: 0, peers: 0 });
  });

  it('refuses an announce for port 0, oversized and truncated datagrams', async () => {
    const { server: tracker, port } = await server();
    const { socket, replies } = await rawSocket();
    socket.send(encodeConnectRequest({ transactionId: 1 }), port, '127.0.0.1');
    await until(() => replies.length === 1);
    const connected = decodeResponse(replies[0]!);
    if (connected.action !== 'connect') throw new Error('expected a connect reply');
    const base = {
      connectionId: connected.connectionId,
      infoHash: randomBytes(20),
      peerId: generatePeerId(),
      downloaded: 0,
      left: 0,
      uploaded: 0,
      event: 'started' as const,
      ip: new Uint8Array(4),
      key: 1,
      numwant: -1,
    };
    socket.send(encodeAnnounceRequest({ ...base, transactionId: 2, port: 0 }), port, '127.0.0.1');
    const oversized = new Uint8Array(5000);
    oversized.set(encodeAnnounceRequest({ ...base, transactionId: 3, port: 1 }));
    socket.send(oversized, port, '127.0.0.1');
    const truncated = encodeAnnounceRequest({ ...base, transactionId: 4, port: 1 }).subarray(0, 60);
    socket.send(truncated, port, '127.0.0.1');
    await until(() => replies.length === 4);
    const errors = replies.slice(1).map((reply) => decodeResponse(reply));
    expect(errors.every((reply) => reply.action === 'error')).toBe(true);
    expect(errors.map((reply) => reply.transactionId).sort()).toEqual([2, 3, 4]);
    expect(errors.find((reply) => reply.transactionId === 4)).toMatchObject({
      message: expect.stringContaining('at least 98 bytes') as unknown,
    });
    expect(tracker.stats()).toMatchObject({ peers: 0, malformed: 2 });
  });

  it('answers a request that hits a bug with an error and keeps serving', async () => {
    class BrokenRegistry extends SwarmRegistry {
      override announce(): never {
        throw new Error('a bug');
      }
    }
    const { url, server: tracker } = await server({ registry: new BrokenRegistry() });
    const udp = client();
    const infoHash = randomBytes(20);
    const error = await udp.announce(url, announce(infoHash, 1)).catch((caught: unknown) => caught);
    expect(UdpTrackerError.isInstance(error) && error.trackerMessage).toBe('internal error');
    expect((await udp.scrape(url, [infoHash])).files[0]).toMatchObject({ complete: 0 });
    expect(tracker.stats().internalErrors).toBe(1);
  });
});
