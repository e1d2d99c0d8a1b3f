/**
 * Interop with the npm `bittorrent-tracker` (WebTorrent's tracker): our client against its
 * HTTP server. (Its client against our server is in `@bt/tracker-server`'s tests.)
 */
import type { AddressInfo } from 'node:net';
import { Server } from 'bittorrent-tracker';
import { PATIENCE_MS } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTrackerClient } from '../src/node.js';
import { filledBytes as bytes, testAnnounceRequest as request } from '@bt/test-support';

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
