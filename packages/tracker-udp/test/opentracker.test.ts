/**
 * Our client against opentracker (Debian's build: whitelist mode, so the test lists its
 * info-hashes in a whitelist file), started on loopback by the test.
 */
import { type AnnounceRequest, generatePeerId, randomBytes } from '@bt/primitives';
import {
  removeTempDirs,
  requireProgram,
  startOpentracker,
  stopAllProcesses,
} from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UdpTrackerError } from '../src/index.js';
import { UdpTrackerClient } from '../src/node.js';

const opentracker = requireProgram('opentracker');

describe.skipIf(!opentracker)('our client against opentracker', () => {
  const listed = Array.from({ length: 3 }, () => randomBytes(20));
  let url = '';
  let client: UdpTrackerClient;

  beforeAll(async () => {
    const tracker = await startOpentracker({ program: opentracker!, infoHashes: listed });
    url = tracker.udpUrl;
    client = new UdpTrackerClient({ retransmitBase: 2, maxRetransmits: 4 });
  });

  afterAll(async () => {
    await client?.close();
    await stopAllProcesses();
    await removeTempDirs();
  });

  const peer = (
    infoHash: Uint8Array,
    port: number,
    left: number,
    event: AnnounceRequest['event'],
  ): AnnounceRequest => ({
    infoHash,
    peerId: generatePeerId(),
    port,
    uploaded: 0,
    downloaded: 0,
    left,
    event,
  });

  it('announces, and two peers see each other', async () => {
    const infoHash = listed[0]!;
    const seeder = await client.announce(url, peer(infoHash, 7001, 0, 'started'));
    expect(seeder.interval).toBeGreaterThan(0);
    const leecher = await client.announce(url, peer(infoHash, 7002, 1000, 'started'));
    expect(leecher).toMatchObject({ complete: 1, incomplete: 1 });
    expect(leecher.peers).toContainEqual({ host: '127.0.0.1', port: 7001, family: 4 });
  });

  it('reports scrape counts that move when peers start, complete and stop', async () => {
    const infoHash = listed[1]!;
    const other = listed[2]!;
    const before = await client.scrape(url, [infoHash, other]);
    expect(before.files.map((file) => [file.complete, file.incomplete])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const a = peer(infoHash, 7101, 500, 'started');
    const b = peer(infoHash, 7102, 500, 'started');
    await client.announce(url, a);
    await client.announce(url, b);
    expect((await client.scrape(url, [infoHash])).files[0]).toMatchObject({
      complete: 0,
      incomplete: 2,
      downloaded: 0,
    });
    await client.announce(url, { ...a, left: 0, event: 'completed' });
    expect((await client.scrape(url, [infoHash])).files[0]).toMatchObject({
      complete: 1,
      incomplete: 1,
      downloaded: 1,
    });
    await client.announce(url, { ...b, event: 'stopped' });
    expect((await client.scrape(url, [infoHash])).files[0]).toMatchObject({
      complete: 1,
      incomplete: 0,
    });
  });

  it('runs many announces at once over one socket', async () => {
    const infoHash = listed[2]!;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.announce(url, { ...peer(infoHash, 7200 + i, 10, 'started'), numwant: 10 }),
      ),
    );
    expect(results.every((result) => result.peers.length <= 10)).toBe(true);
    expect((await client.scrape(url, [infoHash])).files[0]!.incomplete).toBeGreaterThanOrEqual(50);
  });

  it('gets a typed error for a torrent off its whitelist', async () => {
    const error = await client
      .announce(url, peer(randomBytes(20), 7300, 0, 'started'))
      .catch((caught: unknown) => caught);
    // opentracker answers an unlisted torrent with a bare 8-byte announce header.
    expect(UdpTrackerError.isInstance(error)).toBe(true);
    expect(['malformed-response', 'tracker-error']).toContain((error as UdpTrackerError).code);
  });
});
