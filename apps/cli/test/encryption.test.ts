/**
 * `--encryption` on the command line: a bad policy is a usage error, and `bt download
 * --encryption require` fetches from an aria2c seeder that requires RC4, its peer-connected
 * event saying the peer is encrypted.
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
import { ariaCommon, fixture } from './aria-fixtures.js';
import { runCli } from './run-cli.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe('--encryption', () => {
  it('names the policies when given another', async () => {
    const result = await runCli(['download', 'x.torrent', '--encryption', 'always']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^bt download: --encryption expects one of prefer, require, allow, disable, got "always"\n/,
    );
    const help = await runCli(['seed', '--help']);
    expect(help.stdout).toContain('--encryption P');
  });

  it.skipIf(!aria2 || !mktorrent)(
    'bt download --encryption require gets the file from aria2c requiring RC4',
    async () => {
      const { seedDir, payload, torrent } = await fixture(1024 * 1024 + 77);
      const port = await freePort();
      const seeder = startProcess('aria2c', [
        ...ariaCommon,
        '--seed-ratio=0.0',
        '--check-integrity=true',
        '--bt-require-crypto=true',
        '--bt-min-crypto-level=arc4',
        `--dir=${seedDir}`,
        `--listen-port=${port}`,
        torrent,
      ]);
      await waitForPort(port, '127.0.0.1');
      const out = await makeTempDir();
      const result = await runCli([
        'download',
        torrent,
        '-o',
        out,
        '--port',
        '0',
        '--peer',
        `127.0.0.1:${port}`,
        '--encryption',
        'require',
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(
        Buffer.compare(await readFile(join(out, 'payload.bin')), await readFile(payload)),
      ).toBe(0);
      const connected = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; encrypted?: boolean })
        .filter((event) => event.type === 'peer-connected');
      expect(connected.length).toBeGreaterThan(0);
      expect(connected.every((event) => event.encrypted === true)).toBe(true);
      await seeder.stop();
    },
  );
});
