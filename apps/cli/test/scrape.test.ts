import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '@bt/primitives';
import { HttpTrackerClient } from '@bt/tracker-http/node';
import { freePort, freeUdpPort, makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { startTrackers, torrentFor } from './tracker-fixtures.js';

describe('bt scrape', () => {
  let trackers: Awaited<ReturnType<typeof startTrackers>>;
  let dir: string;
  let torrentPath: string;
  let infoHash: Uint8Array;

  beforeAll(async () => {
    trackers = await startTrackers();
    dir = await makeTempDir('bt-scrape-');
    const torrent = torrentFor([trackers.http, trackers.udp]);
    infoHash = torrent.infoHash;
    torrentPath = join(dir, 'payload.torrent');
    await writeFile(torrentPath, torrent.bytes);
    const client = new HttpTrackerClient();
    for (let n = 0; n < 3; n++) {
      const peerId = new Uint8Array(20).fill(n + 1);
      await client.announce(trackers.http, {
        infoHash,
        peerId,
        port: 7000 + n,
        uploaded: 0,
        downloaded: 0,
        left: n === 0 ? 0 : 5,
        event: 'started',
      });
    }
    await client.close();
  });
  afterAll(async () => {
    await trackers.close();
    await removeTempDirs();
  });

  it('asks every tracker of the torrent (HTTP and UDP) and prints seeders, leechers, ratio', async () => {
    const result = await runCli(['scrape', torrentPath], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/seeders\s+leechers\s+completed\s+ratio\s+tracker/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(`^\\s+1\\s+2\\s+0\\s+0\\.50\\s+${trackers.http.replace(/[.?]/g, '\\$&')}$`),
      ),
      expect.stringMatching(
        new RegExp(`^\\s+1\\s+2\\s+0\\s+0\\.50\\s+${trackers.udp.replace(/[.?]/g, '\\$&')}$`),
      ),
    ]);
  });

  it('--json, --tracker repeated, and a failing tracker beside a working one', async () => {
    const port = await freePort();
    const dead = `http://127.0.0.1:${port}/announce`;
    const result = await runCli([
      'scrape',
      toHex(infoHash),
      '--tracker',
      trackers.udp,
      '--tracker',
      dead,
      '--json',
      '--timeout', // a limit for a stuck tracker, not a verdict: the dead one is refused at once
      '60',
    ]);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.infoHash).toBe(toHex(infoHash));
    expect(json.trackers).toEqual([
      { tracker: trackers.udp, complete: 1, incomplete: 2, downloaded: 0 },
      { tracker: dead, error: { code: 'network', message: expect.any(String) } },
    ]);
  });

  it('exit 1 when every tracker refuses or has no scrape; exit 3 when none answers; exit 2 for usage', async () => {
    const noScrape = await runCli([
      'scrape',
      toHex(infoHash),
      '--tracker',
      'http://127.0.0.1:1/tracker.php',
      '--json',
    ]);
    expect(noScrape.code).toBe(1);
    expect(JSON.parse(noScrape.stdout).trackers[0].error.code).toBe('scrape-unsupported');
    const udpPort = await freeUdpPort();
    const silent = await runCli([
      'scrape',
      toHex(infoHash),
      '--tracker',
      `udp://127.0.0.1:${udpPort}/announce`,
      '--timeout',
      '1',
    ]);
    expect(silent.code).toBe(3);
    expect(silent.stdout).toMatch(/did not answer|timed out|timeout/i);
    expect((await runCli(['scrape', toHex(infoHash)])).code).toBe(2);
    expect((await runCli(['scrape', toHex(infoHash), '--tracker', 'wss://x/announce'])).code).toBe(
      2,
    );
  });
});
