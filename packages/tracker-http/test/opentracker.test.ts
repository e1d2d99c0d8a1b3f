/**
 * Our HTTP client against opentracker (the Debian package), started on loopback by the test:
 * announces from several peers see each other, scrape counts move as peers start, complete
 * and stop, and opentracker's refusal of a torrent off its allow-list is a typed failure.
 * The Debian build only serves listed torrents; `startOpentracker` writes the allow-list.
 */
import {
  PATIENCE_MS,
  removeTempDirs,
  requireProgram,
  startOpentracker,
  stopAllProcesses,
} from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTrackerError } from '../src/index.js';
import { HttpTrackerClient } from '../src/node.js';
import { filledBytes as bytes, testAnnounceRequest as request } from '@bt/test-support';

const opentracker = requireProgram('opentracker');

describe.skipIf(!opentracker)('our HTTP client against opentracker', () => {
  const client = new HttpTrackerClient({ timeout: PATIENCE_MS });
  const infoHash = bytes(0x5a);
  const other = bytes(0x5b);
  const probe = bytes(0x5c);
  let announceUrl = '';

  beforeAll(async () => {
    const tracker = await startOpentracker({
      program: opentracker!,
      infoHashes: [infoHash, other, probe],
    });
    announceUrl = tracker.httpUrl;
  });
  afterAll(async () => {
    await client.close();
    await stopAllProcesses();
    await removeTempDirs();
  });

  it('peers see each other and counts move with started, completed and stopped', async () => {
    const first = await client.announce(announceUrl, request({ n: 1, infoHash }));
    expect(first.interval).toBeGreaterThan(0);
    expect(first).toMatchObject({ complete: 0, incomplete: 1 });
    const second = await client.announce(announceUrl, request({ n: 2, infoHash, left: 0 }));
    expect(second).toMatchObject({ complete: 1, incomplete: 1 });
    expect(second.peers).toEqual(
      expect.arrayContaining([{ host: '127.0.0.1', port: 20001, family: 4 }]),
    );
    const third = await client.announce(announceUrl, request({ n: 3, infoHash, numwant: 10 }));
    expect(third.peers).toEqual(
      expect.arrayContaining([
        { host: '127.0.0.1', port: 20001, family: 4 },
        { host: '127.0.0.1', port: 20002, family: 4 },
      ]),
    );

    let scrape = await client.scrape(announceUrl, [infoHash]);
    expect(scrape.files).toEqual([{ infoHash, complete: 1, downloaded: 0, incomplete: 2 }]);
    await client.announce(announceUrl, request({ n: 1, infoHash, event: 'completed', left: 0 }));
    scrape = await client.scrape(announceUrl, [infoHash]);
    expect(scrape.files).toEqual([{ infoHash, complete: 2, downloaded: 1, incomplete: 1 }]);
    await client.announce(announceUrl, request({ n: 3, infoHash, event: 'stopped' }));
    await client.announce(announceUrl, request({ n: 2, infoHash, event: 'stopped', left: 0 }));
    scrape = await client.scrape(announceUrl, [infoHash]);
    expect(scrape.files).toEqual([{ infoHash, complete: 1, downloaded: 1, incomplete: 0 }]);
  });

  it('scrapes several torrents in one request', async () => {
    await client.announce(announceUrl, request({ n: 7, infoHash: other }));
    const scrape = await client.scrape(announceUrl, [infoHash, other]);
    expect(scrape.files).toHaveLength(2);
    expect(scrape.files.find((file) => file.infoHash[0] === 0x5b)).toMatchObject({ incomplete: 1 });
  });

  it("a torrent off the allow-list is a failure-reason error with opentracker's words", async () => {
    try {
      await client.announce(announceUrl, request({ infoHash: bytes(0x01) }));
      expect.unreachable();
    } catch (error) {
      expect(HttpTrackerError.isInstance(error)).toBe(true);
      expect((error as HttpTrackerError).code).toBe('failure-reason');
      expect((error as HttpTrackerError).failureReason).toMatch(/not authorized/);
    }
  });
});
