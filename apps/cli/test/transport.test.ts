/**
 * `--transport` on the command line: a bad mode is a usage error, the help names it, and `bt
 * download --transport utp` fetches from a session of ours seeding on uTP only, its
 * peer-connected events saying uTP.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTorrent } from '@bt/metainfo';
import { createSession } from '@bt/session';
import { removeTempDirs, requireProgram, stopAllProcesses } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from './aria-fixtures.js';
import { runCli } from './run-cli.js';

const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe('--transport', () => {
  it('names the modes when given another, and is in the help', async () => {
    const result = await runCli(['download', 'x.torrent', '--transport', 'quic']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^bt download: --transport expects one of tcp, utp, both, got "quic"\n/,
    );
    const help = await runCli(['seed', '--help']);
    expect(help.stdout).toContain('--transport T');
  });

  it.skipIf(!mktorrent)('bt download --transport utp gets the file over uTP', async () => {
    const { seedDir, payload, torrent } = await fixture(1024 * 1024 + 77);
    const seeder = await createSession({ port: 0, host: '127.0.0.1', transportMode: 'utp' });
    try {
      const metainfo = parseTorrent(new Uint8Array(await readFile(torrent)));
      const seeding = await seeder.addTorrent(metainfo, { directory: seedDir });
      await seeding.whenComplete(AbortSignal.timeout(60_000));
      const out = join(seedDir, 'out');
      const result = await runCli([
        'download',
        torrent,
        '-o',
        out,
        '--port',
        '0',
        '--peer',
        `127.0.0.1:${seeder.port}`,
        '--transport',
        'utp',
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(
        Buffer.compare(await readFile(join(out, 'payload.bin')), await readFile(payload)),
      ).toBe(0);
      const connected = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; utp?: boolean })
        .filter((event) => event.type === 'peer-connected');
      expect(connected.length).toBeGreaterThan(0);
      expect(connected.every((event) => event.utp === true)).toBe(true);
    } finally {
      await seeder.close();
    }
  });
});
