/**
 * Our HTTP tracker server against a real BitTorrent client: aria2c seeds a file made into a
 * torrent by mktorrent, a second aria2c with DHT, local discovery and PEX off finds the seeder
 * only through our tracker, downloads the file, and reports completion.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PATIENCE_MS,
  freePort,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  runMktorrent,
  startProcess,
  stopAllProcesses,
  waitFor,
  waitForExit,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpTrackerClient } from '@bt/tracker-http/node';
import { type SwarmAnnounce, type SwarmAnnounceResult, SwarmRegistry } from '../src/index.js';
import { HttpTrackerServer } from '../src/node.js';

const aria2c = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

const isolated = [
  '--enable-dht=false',
  '--enable-dht6=false',
  '--bt-enable-lpd=false',
  '--enable-peer-exchange=false',
  '--file-allocation=none',
  '--summary-interval=0',
  '--console-log-level=warn',
  '--bt-tracker-connect-timeout=5',
];

describe.skipIf(!aria2c || !mktorrent)(
  'aria2c seeder and leecher meet through our HTTP tracker',
  () => {
    const seen: { port: number; event: string; left: number }[] = [];
    class RecordingRegistry extends SwarmRegistry {
      override announce(announce: SwarmAnnounce): SwarmAnnounceResult {
        seen.push({
          port: announce.peer.port,
          event: announce.event ?? 'none',
          left: announce.left,
        });
        return super.announce(announce);
      }
    }
    const registry = new RecordingRegistry({ interval: 60 });
    const server = new HttpTrackerServer({ registry, interval: 60 });
    const client = new HttpTrackerClient({ timeout: PATIENCE_MS });
    afterAll(async () => {
      await stopAllProcesses();
      await client.close();
      await server.close();
      await removeTempDirs();
    });

    it(
      'the leecher downloads the whole file from the seeder it found through the tracker',
      { timeout: 2 * PATIENCE_MS }, // two waits: the seeder's announce, the leecher's exit
      async () => {
        const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
        const announceUrl = `http://127.0.0.1:${port}/announce`;
        const dir = await makeTempDir('bt-aria2-');
        const seedDir = join(dir, 'seed');
        const leechDir = join(dir, 'leech');
        await mkdir(seedDir);
        await mkdir(leechDir);
        const content = randomBytes(3 * 1024 * 1024 + 1234);
        await writeFile(join(seedDir, 'payload.bin'), content);
        const torrentPath = join(dir, 'payload.torrent');
        await runMktorrent({
          program: mktorrent!,
          source: join(seedDir, 'payload.bin'),
          output: torrentPath,
          announce: announceUrl,
          pieceLengthExponent: 16,
        });

        const seederPort = await freePort();
        const seeder = startProcess(aria2c!, [
          ...isolated,
          `--dir=${seedDir}`,
          `--listen-port=${seederPort}`,
          '--seed-ratio=0.0',
          '--bt-seed-unverified=true',
          torrentPath,
        ]);
        // The seeder is on the tracker once a scrape counts it.
        const { parseTorrentInfoHash } = await import('./torrent-info-hash.js');
        const infoHash = parseTorrentInfoHash(await readFile(torrentPath));
        await waitFor(
          async () => (await client.scrape(announceUrl, [infoHash])).files[0]?.complete === 1,
          {
            timeoutMs: PATIENCE_MS,
            what: `aria2c seeding to announce (${seeder.output()})`,
          },
        );

        const leecherPort = await freePort();
        const leecher = startProcess(aria2c!, [
          ...isolated,
          `--dir=${leechDir}`,
          `--listen-port=${leecherPort}`,
          '--seed-time=0',
          torrentPath,
        ]);
        const code = await waitForExit(leecher);
        expect(code, leecher.output()).toBe(0);
        expect(Buffer.compare(await readFile(join(leechDir, 'payload.bin')), content)).toBe(0);
        // What each aria2c told the tracker: the seeder started complete; the leecher started
        // needing the whole file and left (with --seed-time=0 it sends `stopped`, no `completed`).
        expect(seen).toEqual(
          expect.arrayContaining([
            { port: seederPort, event: 'started', left: 0 },
            { port: leecherPort, event: 'started', left: content.length },
            { port: leecherPort, event: 'stopped', left: 0 },
          ]),
        );
        const files = (await client.scrape(announceUrl, [infoHash])).files;
        expect(files[0]).toMatchObject({ complete: 1, incomplete: 0 });
        expect(server.stats.announces).toBeGreaterThanOrEqual(3);
      },
    );
  },
);
