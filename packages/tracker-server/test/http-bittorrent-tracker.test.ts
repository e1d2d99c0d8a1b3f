/**
 * Interop with the npm `bittorrent-tracker` (WebTorrent's tracker): its client against our HTTP
 * server. (Our client against its server is in `@bt/tracker-http`'s tests.)
 */
import { toHex } from '@bt/primitives';
import Client from 'bittorrent-tracker';
import { PATIENCE_MS } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTrackerClient } from '@bt/tracker-http/node';
import { HttpTrackerServer } from '../src/node.js';
import { filledBytes as bytes, testPeerId as peerIdOf } from '@bt/test-support';

describe('the bittorrent-tracker client against our HTTP server', () => {
  const server = new HttpTrackerServer({ interval: 60 });
  const ours = new HttpTrackerClient({ timeout: PATIENCE_MS });
  let announceUrl = '';
  const clients: Client[] = [];

  beforeAll(async () => {
    const { port } = await server.listen();
    announceUrl = `http://127.0.0.1:${port}/announce`;
  });
  afterAll(async () => {
    await Promise.all(
      clients.map((client) => new Promise<void>((resolve) => client.destroy(() => resolve()))),
    );
    await ours.close();
    await server.close();
  });

  function start(n: number, infoHash: Uint8Array, state: { left: number }): Client {
    const client = new Client({
      infoHash: toHex(infoHash),
      peerId: toHex(peerIdOf(n)),
      announce: [announceUrl],
      port: 30000 + n,
      getAnnounceOpts: () => ({ uploaded: 0, downloaded: 0, left: state.left }),
    });
    client.on('error', () => {
      // surfaced through the expectations below
    });
    clients.push(client);
    return client;
  }

  it('its clients announce, get each other as peers and see counts; scrape works', async () => {
    const infoHash = bytes(0x31);
    const seeder = start(1, infoHash, { left: 0 });
    const firstUpdate = new Promise<{ complete: number; incomplete: number }>((resolve) =>
      seeder.once('update', resolve),
    );
    seeder.start();
    expect(await firstUpdate).toMatchObject({ complete: 1, incomplete: 0 });

    const leecherState = { left: 100 };
    const leecher = start(2, infoHash, leecherState);
    const found = new Promise<string>((resolve) => leecher.once('peer', resolve));
    const update = new Promise<{ complete: number; incomplete: number }>((resolve) =>
      leecher.once('update', resolve),
    );
    leecher.start();
    expect(await found).toBe('127.0.0.1:30001');
    expect(await update).toMatchObject({ complete: 1, incomplete: 1 });

    const scraped = new Promise<{ complete: number; incomplete: number; downloaded: number }>(
      (resolve) => leecher.once('scrape', resolve),
    );
    leecher.scrape();
    expect(await scraped).toMatchObject({ complete: 1, incomplete: 1, downloaded: 0 });

    // Completing and stopping move the counts our own client reads.
    const completed = new Promise((resolve) => leecher.once('update', resolve));
    leecherState.left = 0;
    leecher.complete();
    await completed;
    expect((await ours.scrape(announceUrl, [infoHash])).files[0]).toMatchObject({
      complete: 2,
      incomplete: 0,
      downloaded: 1,
    });
    const stopped = new Promise((resolve) => seeder.once('update', resolve));
    seeder.stop();
    await stopped;
    expect((await ours.scrape(announceUrl, [infoHash])).files[0]).toMatchObject({
      complete: 1,
      incomplete: 0,
    });
  });

  it('its client reports our failure reason as a warning', async () => {
    const guarded = new HttpTrackerServer({ allowList: () => false });
    const { port } = await guarded.listen();
    try {
      const client = new Client({
        infoHash: toHex(bytes(0x41)),
        peerId: toHex(peerIdOf(9)),
        announce: [`http://127.0.0.1:${port}/announce`],
        port: 30009,
      });
      clients.push(client);
      const warning = new Promise<Error>((resolve) => client.once('warning', resolve));
      client.start();
      expect((await warning).message).toContain('torrent not allowed on this tracker');
    } finally {
      await guarded.close();
    }
  });
});
