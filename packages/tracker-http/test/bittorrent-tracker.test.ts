/**
 * Interop with the npm `bittorrent-tracker` (WebTorrent's tracker): our client against its
 * HTTP server, and its client against our server.
 */
import type { AddressInfo } from 'node:net';
import { toHex } from '@bt/primitives';
import Client, { Server } from 'bittorrent-tracker';
import { PATIENCE_MS } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTrackerClient, HttpTrackerServer } from '../src/index.js';
import { bytes, peerIdOf, request } from './helpers.js';

describe('our HTTP client against the bittorrent-tracker server', () => {
  const server = new Server({ http: true, udp: false, ws: false, stats: false, interval: 60_000 });
  const client = new HttpTrackerClient({ timeout: PATIENCE_MS });
  let announceUrl = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.http!.address() as AddressInfo;
    announceUrl = `http://127.0.0.1:${port}/announce`;
  });
  afterAll(async () => {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('peers see each other and scrape counts move as peers start, complete and stop', async () => {
    const infoHash = bytes(0x11);
    const first = await client.announce(announceUrl, request({ n: 1, infoHash }));
    expect(first).toMatchObject({ interval: 60, complete: 0, incomplete: 1 });
    // bittorrent-tracker lists the announcing peer too.
    const second = await client.announce(announceUrl, request({ n: 2, infoHash }));
    expect(second.peers).toEqual(
      expect.arrayContaining([{ host: '127.0.0.1', port: 20001, family: 4 }]),
    );
    const seeder = await client.announce(announceUrl, request({ n: 3, infoHash, left: 0 }));
    expect(seeder).toMatchObject({ complete: 1, incomplete: 2 });
    expect(seeder.peers.map((peer) => peer.port)).toEqual(expect.arrayContaining([20001, 20002]));

    // bittorrent-tracker counts a seeder's first announce as a download.
    expect((await client.scrape(announceUrl, [infoHash])).files).toEqual([
      { infoHash, complete: 1, downloaded: 1, incomplete: 2 },
    ]);
    await client.announce(announceUrl, request({ n: 1, infoHash, event: 'completed', left: 0 }));
    await client.announce(announceUrl, request({ n: 2, infoHash, event: 'stopped' }));
    expect((await client.scrape(announceUrl, [infoHash])).files).toEqual([
      { infoHash, complete: 2, downloaded: 2, incomplete: 0 },
    ]);
  });

  it('scrapes several torrents at once', async () => {
    const a = bytes(0x21);
    const b = bytes(0x22);
    await client.announce(announceUrl, request({ n: 1, infoHash: a }));
    await client.announce(announceUrl, request({ n: 2, infoHash: b, left: 0 }));
    const files = (await client.scrape(announceUrl, [a, b])).files;
    expect(files).toHaveLength(2);
    expect(files.find((file) => file.infoHash[0] === 0x21)).toMatchObject({
      complete: 0,
      incomplete: 1,
    });
    expect(files.find((file) => file.infoHash[0] === 0x22)).toMatchObject({
      complete: 1,
      incomplete: 0,
    });
  });
});

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
    const guarded = new HttpTrackerServer({ allowInfoHash: () => false });
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
