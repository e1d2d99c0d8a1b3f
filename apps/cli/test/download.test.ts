/**
 * `bt download` and `bt seed` end to end on loopback with aria2c on the other side: a download
 * verified byte for byte (NDJSON events), Ctrl-C then the same command again resumes, and a
 * seed that aria2c downloads from.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  freePort,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  startProcess,
  stopAllProcesses,
  waitForPort,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { ariaCommon, ariaSeeder, fixture } from './aria-fixtures.js';
import { runCli } from './run-cli.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe.skipIf(!aria2 || !mktorrent)('bt download / bt seed', () => {
  it('downloads from an aria2c seeder given by --peer and exits 0 once verified', async () => {
    const { seedDir, payload, torrent } = await fixture(2 * 1024 * 1024 + 3);
    const seeder = await ariaSeeder(torrent, seedDir);
    const out = await makeTempDir();
    const result = await runCli([
      'download',
      torrent,
      '-o',
      out,
      '--port',
      '0',
      '--peer',
      `127.0.0.1:${seeder.port}`,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(Buffer.compare(await readFile(join(out, 'payload.bin')), await readFile(payload))).toBe(
      0,
    );
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; progress?: number });
    expect(events.some((event) => event.type === 'torrent-completed')).toBe(true);
    expect(events.filter((event) => event.type === 'stats').at(-1)?.progress).toBe(1);
    // every event says when it happened
    for (const event of events)
      expect((event as { time?: string }).time).toMatch(/^\d{4}-\d\d-\d\dT/);
    await seeder.child.stop();
  });

  it('stops on Ctrl-C with 130 and resumes when run again', async () => {
    const { seedDir, payload, torrent } = await fixture(10 * 1024 * 1024);
    const seeder = await ariaSeeder(torrent, seedDir, '1M');
    const out = await makeTempDir();
    const args = [
      'download',
      torrent,
      '-o',
      out,
      '--port',
      '0',
      '--peer',
      `127.0.0.1:${seeder.port}`,
      '--json',
    ];
    const controller = new AbortController();
    // interrupted once a piece is verified (an event: the seeder sends 1 MB/s, so more remain)
    const stopped = await runCli(args, {
      signal: controller.signal,
      onStdout: (text) => {
        if (text.includes('piece-verified')) controller.abort();
      },
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toContain('piece-verified');
    // again, on the display: it says how much it found, its port, and `done` at the end
    const second = await runCli(args.filter((arg) => arg !== '--json'));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(
      /checked: \d.*iB of 10\.0 MiB \(\d+\.\d%, \d+\/160 pieces\) already on disk, verified: resuming; listening on port \d+/,
    );
    const lines = second.stderr.trim().split('\n');
    expect(lines.at(-2)).toMatch(/^download payload\.bin: done 100\.0% 10\.0 MiB$/);
    expect(lines.at(-1)).toMatch(/^done: 10\.0 MiB verified in .*payload\.bin; .* downloaded in /);
    expect(second.stderr).not.toMatch(/seeding/);
    expect(Buffer.compare(await readFile(join(out, 'payload.bin')), await readFile(payload))).toBe(
      0,
    );
    await seeder.child.stop();
  });

  it('seeds to aria2c (dialled with --peer) until stopped', async () => {
    const { seedDir, payload, torrent } = await fixture(1024 * 1024 + 17);
    const leechDir = await makeTempDir();
    const ariaPort = await freePort();
    const leecher = startProcess('aria2c', [
      ...ariaCommon,
      '--seed-time=0',
      `--dir=${leechDir}`,
      `--listen-port=${ariaPort}`,
      torrent,
    ]);
    await waitForPort(ariaPort, '127.0.0.1');
    const controller = new AbortController();
    const seeding = runCli(
      ['seed', torrent, '--data', seedDir, '--port', '0', '--peer', `127.0.0.1:${ariaPort}`],
      {
        signal: controller.signal,
      },
    );
    expect(await leecher.exited).toBe(0);
    controller.abort();
    const result = await seeding;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('checked: 17/17 pieces');
    // the whole payload went up at least once: a ratio of at least 1 over its size
    const summary = /stopped seeding: uploaded (\d+\.\d+) MiB, ratio (\d+\.\d\d)/.exec(
      result.stderr,
    );
    expect(summary, result.stderr).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(1);
    expect(Number(summary![2])).toBeGreaterThanOrEqual(1);
    expect(
      Buffer.compare(await readFile(join(leechDir, 'payload.bin')), await readFile(payload)),
    ).toBe(0);
  });

  it('explains its options', async () => {
    const download = await runCli(['download', '--help']);
    expect(download.stdout).toContain('--limit-down R');
    const seed = await runCli(['seed', 'x.torrent']);
    expect(seed.code).toBe(2);
    const badPeer = await runCli(['download', 'x.torrent', '--peer', 'nonsense']);
    expect(badPeer.code).toBe(2);
    expect(badPeer.stderr).toContain('--peer expects HOST:PORT');
  });
});
