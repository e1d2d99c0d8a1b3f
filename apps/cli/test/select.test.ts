/**
 * `bt download --select/--exclude/--priority` and a magnet's `so=` (BEP 53) end to end against
 * an aria2c seeder: only the chosen files exist at the end, byte for byte, the others are never
 * created (their bytes in shared pieces sit in the part file), `bt verify` agrees, and a wrong
 * file list is a usage error (exit 2) before anything is done. `bt info` numbers the files.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatMagnet, parseTorrent } from '@bt/metainfo';
import { makeTempDir, removeTempDirs, requireProgram, stopAllProcesses } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { ariaSeeder, multiFileFixture } from './aria-fixtures.js';
import { runCli } from './run-cli.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

// mktorrent lists files by path: 1 a.bin, 2 b.bin, 3 c/d.bin, 4 e.bin; every boundary inside a piece
const FILES = [
  { path: 'a.bin', size: 300_001 },
  { path: 'b.bin', size: 200_000 },
  { path: 'c/d.bin', size: 150_003 },
  { path: 'e.bin', size: 210_000 },
];

async function same(seedDir: string, out: string, path: string): Promise<boolean> {
  const [ours, theirs] = await Promise.all([
    readFile(join(out, 'multi', path)),
    readFile(join(seedDir, 'multi', path)),
  ]);
  return Buffer.compare(ours, theirs) === 0;
}

/** `bt download` of `torrent` into `out` from the aria2c seeder on `port`, with `extra` options. */
function download(torrent: string, out: string, port: number, ...extra: string[]) {
  return runCli([
    'download',
    torrent,
    '-o',
    out,
    '--port',
    '0',
    '--peer',
    `127.0.0.1:${port}`,
    ...extra,
  ]);
}

describe.skipIf(!aria2 || !mktorrent)('bt download with a file selection', () => {
  it('numbers the files in bt info, text and --json', async () => {
    const { torrent } = await multiFileFixture(FILES);
    const text = await runCli(['info', torrent]);
    expect(text.stdout).toMatch(/\[1\] a\.bin/);
    expect(text.stdout).toMatch(/\[3\] d\.bin/);
    const json = JSON.parse((await runCli(['info', torrent, '--json'])).stdout) as {
      files: { index: number; path: string }[];
    };
    expect(json.files.map((file) => [file.index, file.path])).toEqual([
      [1, 'a.bin'],
      [2, 'b.bin'],
      [3, 'c/d.bin'],
      [4, 'e.bin'],
    ]);
  });

  it('--select 1,3-4 --priority high:4: only the chosen files exist, byte-exact, and bt verify agrees', async () => {
    const { seedDir, torrent } = await multiFileFixture(FILES);
    const seeder = await ariaSeeder(torrent, seedDir);
    const out = await makeTempDir();
    const result = await download(
      torrent,
      out,
      seeder.port,
      '--select',
      '1,3-4',
      '--priority',
      'high:4',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    const types = result.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toContain('torrent-completed');
    for (const path of ['a.bin', 'c/d.bin', 'e.bin'])
      expect(await same(seedDir, out, path)).toBe(true);
    expect(existsSync(join(out, 'multi', 'b.bin'))).toBe(false);
    expect((await readdir(join(out, 'multi'))).sort()).toEqual([
      '.bt.parts',
      'a.bin',
      'c',
      'e.bin',
    ]);

    // bt verify: the chosen files complete; b.bin is not there (its shared bytes are in the part file)
    const verify = await runCli(['verify', torrent, '--data', out, '--json']);
    expect(verify.code).toBe(1); // b.bin's own pieces are missing
    const report = JSON.parse(verify.stdout) as {
      files: { path: string; bytesComplete: number; exists: boolean }[];
    };
    const complete = (path: string) => report.files.find((file) => file.path === path);
    expect(complete('a.bin')).toMatchObject({ bytesComplete: 300_001 });
    expect(complete('e.bin')).toMatchObject({ bytesComplete: 210_000 });
    expect(complete('b.bin')).toMatchObject({ bytesComplete: 0, exists: false });
    const chosen = await runCli(['verify', torrent, '--data', out, '--select', '1,3-4']);
    expect(chosen.code, chosen.stdout).toBe(0);
    expect(chosen.stdout).toMatch(/missing +b\.bin/);

    // the same command with b.bin too fetches only what is missing and moves the part file's bytes
    const more = await download(torrent, out, seeder.port, '--exclude', '3');
    expect(more.code, more.stderr).toBe(0);
    expect(await same(seedDir, out, 'b.bin')).toBe(true);
    await seeder.child.stop();
  });

  it("applies a magnet's so= (BEP 53, files from 0) once the metadata is known", async () => {
    const { seedDir, torrent } = await multiFileFixture(FILES);
    const seeder = await ariaSeeder(torrent, seedDir);
    const source = parseTorrent(await readFile(torrent));
    const magnet = formatMagnet({
      infoHash: source.infoHash,
      peers: [{ host: '127.0.0.1', port: seeder.port }],
      selectOnly: [{ first: 1, last: 2 }],
    });
    expect(magnet).toContain('so=1-2');
    const out = await makeTempDir();
    const result = await runCli(['download', magnet, '-o', out, '--port', '0', '--no-dht']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/selected \(so=, BEP 53\): files 2-3 of 4/);
    expect(await same(seedDir, out, 'b.bin')).toBe(true);
    expect(await same(seedDir, out, 'c/d.bin')).toBe(true);
    expect(existsSync(join(out, 'multi', 'a.bin'))).toBe(false);
    expect(existsSync(join(out, 'multi', 'e.bin'))).toBe(false);
    await seeder.child.stop();
  });

  it('refuses file 0, a file past the last and a malformed list with exit 2 and what to write', async () => {
    const { torrent } = await multiFileFixture(FILES);
    const out = await makeTempDir();
    const run = (...args: string[]) =>
      runCli(['download', torrent, '-o', out, '--port', '0', ...args]);
    const zero = await run('--select', '0');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/numbered from 1/);
    const past = await run('--select', '2,5');
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/4 files, numbered 1 to 4; there is no file 5/);
    const malformed = await run('--exclude', '1-');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/e\.g\. --exclude 1,3-5/);
    const priority = await run('--priority', 'high:1', 'low:3');
    expect(priority.code).toBe(2);
    expect(priority.stderr).toMatch(/--priority low:3/);
    // nothing was created
    expect(await readdir(out)).toEqual([]);
    const help = await runCli(['download', '--help']);
    expect(help.stdout).toMatch(/--select LIST/);
    expect(help.stdout).toMatch(/--priority high:1 --priority low:3-4/);
  });
});
