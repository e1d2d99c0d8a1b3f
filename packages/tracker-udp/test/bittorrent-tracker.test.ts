/**
 * Against WebTorrent's `bittorrent-tracker` (npm): our client against its UDP server, and its
 * UDP client against our server.
 */
import { type AnnounceRequest, generatePeerId, randomBytes, toHex } from '@bt/primitives';
import Client, { Server } from 'bittorrent-tracker';
import { waitFor } from '@bt/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpTrackerClient, UdpTrackerServer } from '../src/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const peer = (
  infoHash: Uint8Array,
  port: number,
  left: number,
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

async function theirServer(family: 4 | 6 = 4): Promise<string> {
  const server = new Server({ udp: true, http: false, ws: false, stats: false });
  server.on('error', () => undefined);
  server.on('warning', () => undefined);
  await new Promise<void>((resolve) =>
    server.listen({ udp: 0 }, { udp: '127.0.0.1', udp6: '::1' }, () => resolve()),
  );
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return family === 4
    ? `udp://127.0.0.1:${server.udp4.address().port}/announce`
    : `udp://[::1]:${server.udp6.address().port}/announce`;
}

describe('our client against the bittorrent-tracker server', () => {
  it('announces, peers see each other, scrape counts move with start and stop', async () => {
    const url = await theirServer();
    const client = new UdpTrackerClient({ retransmitBase: 2, maxRetransmits: 4 });
    cleanups.push(() => client.close());
    const infoHash = randomBytes(20);
    const seeder = peer(infoHash, 8001, 0);
    expect(await client.announce(url, seeder)).toMatchObject({ complete: 1, incomplete: 0 });
    const leecher = peer(infoHash, 8002, 100);
    const found = await client.announce(url, leecher);
    expect(found).toMatchObject({ complete: 1, incomplete: 1 });
    // bittorrent-tracker lists the announcer too.
    expect(found.peers).toContainEqual({ host: '127.0.0.1', port: 8001, family: 4 });
    const [before] = (await client.scrape(url, [infoHash])).files;
    expect(before).toMatchObject({ infoHash, complete: 1, incomplete: 1 });
    await client.announce(url, { ...leecher, left: 0, event: 'completed' });
    expect((await client.scrape(url, [infoHash])).files[0]).toMatchObject({
      complete: 2,
      incomplete: 0,
      downloaded: before!.downloaded + 1,
    });
    await client.announce(url, { ...seeder, event: 'stopped' });
    expect((await client.scrape(url, [infoHash])).files[0]).toMatchObject({
      complete: 1,
      incomplete: 0,
    });
  });

  it('announces and scrapes over IPv6 (::1)', async () => {
    const url = await theirServer(6);
    const client = new UdpTrackerClient({ retransmitBase: 2, maxRetransmits: 4 });
    cleanups.push(() => client.close());
    const infoHash = randomBytes(20);
    await client.announce(url, peer(infoHash, 8201, 0));
    // bittorrent-tracker's UDP replies carry IPv4 peers only, so an IPv6 swarm lists none; the counts still move.
    expect(await client.announce(url, peer(infoHash, 8202, 100))).toMatchObject({
      complete: 1,
      incomplete: 1,
    });
    expect((await client.scrape(url, [infoHash])).files[0]).toMatchObject({
      complete: 1,
      incomplete: 1,
    });
  });

  it('runs many announces at once over one socket', async () => {
    const url = await theirServer();
    const client = new UdpTrackerClient({ retransmitBase: 2, maxRetransmits: 4 });
    cleanups.push(() => client.close());
    const infoHash = randomBytes(20);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.announce(url, peer(infoHash, 8100 + i, 1))),
    );
    expect((await client.scrape(url, [infoHash])).files[0]!.incomplete).toBe(40);
  });
});

interface UpdateEvent {
  complete: number;
  incomplete: number;
}

function theirClient(url: string, infoHash: Uint8Array, port: number) {
  const client = new Client({
    infoHash: toHex(infoHash),
    peerId: toHex(generatePeerId()),
    announce: [url],
    port,
  });
  const peers: string[] = [];
  const updates: UpdateEvent[] = [];
  const errors: Error[] = [];
  client.on('peer', (address: string) => peers.push(address));
  client.on('update', (update: UpdateEvent) => updates.push(update));
  client.on('error', (error: Error) => errors.push(error));
  client.on('warning', (error: Error) => errors.push(error));
  cleanups.push(async () => client.destroy());
  return { client, peers, updates, errors };
}

async function until(check: () => boolean, what: string): Promise<void> {
  await waitFor(check, { intervalMs: 10, what });
}

describe('the bittorrent-tracker client against our server', () => {
  it('announces, finds the other peer, scrapes and stops', async () => {
    const server = new UdpTrackerServer({ interval: 60 });
    const { port } = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.close());
    const url = `udp://127.0.0.1:${port}/announce`;
    const infoHash = randomBytes(20);

    const seeder = theirClient(url, infoHash, 9001);
    seeder.client.complete({ left: 0, uploaded: 0, downloaded: 0 });
    await until(() => seeder.updates.length > 0, 'the seeder announce');
    expect(seeder.updates[0]).toMatchObject({ complete: 1, incomplete: 0 });

    const leecher = theirClient(url, infoHash, 9002);
    leecher.client.start({ left: 100, uploaded: 0, downloaded: 0 });
    await until(() => leecher.peers.length > 0, 'the leecher to get a peer');
    expect(leecher.peers).toEqual(['127.0.0.1:9001']);
    expect(leecher.updates[0]).toMatchObject({ complete: 1, incomplete: 1 });

    const scrapes: { complete: number; incomplete: number; downloaded: number }[] = [];
    leecher.client.on('scrape', (data: (typeof scrapes)[number]) => scrapes.push(data));
    leecher.client.scrape();
    await until(() => scrapes.length > 0, 'a scrape');
    expect(scrapes[0]).toMatchObject({ complete: 1, incomplete: 1, downloaded: 1 });

    seeder.client.stop();
    await until(() => server.stats().peers === 1, 'the stopped seeder to leave');
    expect(seeder.errors).toEqual([]);
    expect(leecher.errors).toEqual([]);
    expect(server.stats()).toMatchObject({ errors: 0, malformed: 0 });
  });
});
