/**
 * Against WebTorrent's `bittorrent-tracker` (npm): its UDP client against our server. (Our
 * client against its server is in `@bt/tracker-udp`'s tests.)
 */
import { generatePeerId, randomBytes, toHex } from '@bt/primitives';
import Client from 'bittorrent-tracker';
import { waitFor } from '@bt/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpTrackerServer } from '../src/node.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
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
