/**
 * A real BitTorrent client against our server: two aria2c processes (a seeder and a
 * leecher) announce to `udp://127.0.0.1:<port>/announce`; the leecher can only learn of the
 * seeder through our tracker (no DHT entry points, no local peer discovery, no PEX) and
 * downloads the file from it.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PATIENCE_MS,
  freePort,
  freeUdpPort,
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
import { UdpTrackerServer } from '../src/node.js';

const aria2c = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

describe.skipIf(!aria2c || !mktorrent)('aria2c against our server', () => {
  const server = new UdpTrackerServer({ interval: 60 });

  afterAll(async () => {
    await stopAllProcesses();
    await server.close();
    await removeTempDirs();
  });

  async function aria2Args(dir: string, torrent: string, extra: string[]): Promise<string[]> {
    return [
      `--dir=${dir}`,
      `--listen-port=${await freePort()}`,
      // aria2 talks to UDP trackers through its DHT socket, so DHT stays on, with no entry points.
      '--enable-dht=true',
      `--dht-listen-port=${await freeUdpPort()}`,
      `--dht-file-path=${join(dir, 'dht.dat')}`,
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--bt-tracker-connect-timeout=5',
      '--bt-tracker-timeout=5',
      '--console-log-level=warn',
      '--summary-interval=0',
      ...extra,
      torrent,
    ];
  }

  it('a leecher finds the seeder through our tracker and downloads the file', async () => {
    const { port } = await server.listen(0, '127.0.0.1');
    const announce = `udp://127.0.0.1:${port}/announce`;
    const seedDir = await makeTempDir('bt-aria2-seed-');
    const leechDir = await makeTempDir('bt-aria2-leech-');
    const content = randomBytes(300_000);
    await writeFile(join(seedDir, 'payload.bin'), content);
    const torrent = join(seedDir, 'payload.torrent');
    await runMktorrent({
      program: mktorrent!,
      source: join(seedDir, 'payload.bin'),
      output: torrent,
      announce: announce,
    });

    const seeder = startProcess(
      aria2c!,
      await aria2Args(seedDir, torrent, ['--check-integrity=true', '--seed-ratio=0.0']),
      { label: 'aria2c seeder' },
    );
    await waitFor(() => server.stats().seeders === 1, {
      timeoutMs: PATIENCE_MS,
      what: 'the aria2c seeder to announce',
    });

    const leecher = startProcess(aria2c!, await aria2Args(leechDir, torrent, ['--seed-time=0']), {
      label: 'aria2c leecher',
    });
    const code = await waitForExit(leecher);
    expect(code, `${leecher.output()}\n--- seeder ---\n${seeder.output()}`).toBe(0);
    expect(Buffer.compare(await readFile(join(leechDir, 'payload.bin')), content)).toBe(0);
    const stats = server.stats();
    expect(stats.announces).toBeGreaterThanOrEqual(2);
    expect(stats.errors).toBe(0);
  });
});
