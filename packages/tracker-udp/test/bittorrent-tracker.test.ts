/**
 * Against WebTorrent's `bittorrent-tracker` (npm): our client against its UDP server. (Its
 * client against our server is in `@bt/tracker-server`'s tests.)
 */
import { type AnnounceRequest, generatePeerId, randomBytes } from '@bt/primitives';
import { Server } from 'bittorrent-tracker';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpTrackerClient } from '../src/node.js';

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
