/**
 * File selection through transmission-remote (`-G`/`-g`, `-ph`/`-pl`), verified on disk: btd
 * downloads a three-file torrent from an aria2c seeder without the file it was told not to
 * get, reports `wanted`/`priorities`/`fileStats`, and fetches the file once it is wanted again.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { remote, startBtd, torrentByHash } from './btd-process.js';
import { ariaSeeder, makeFolderSwarm } from './fixtures.js';

const programs = [
  requireProgram('transmission-remote', 'transmission-cli'),
  requireProgram('aria2c', 'aria2'),
  requireProgram('opentracker'),
  requireProgram('mktorrent'),
];

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(programs.some((program) => !program))(
  'file selection with transmission-remote',
  () => {
    it('skips an unwanted file, reports the choices, and fetches it once wanted', async () => {
      const swarm = await makeFolderSwarm('album', [200_000, 300_000, 150_000]);
      await ariaSeeder(swarm);
      const downloads = await makeTempDir('bt-btd-dl-');
      const btd = await startBtd({ downloadDir: downloads });
      expect((await remote(btd, '--start-paused', '-a', swarm.torrent)).output).toMatch(/success/);
      // transmission-remote numbers files from 0 in torrent order, as the RPC does
      expect((await remote(btd, '-t', '1', '-G', '1')).output).toMatch(/success/);
      expect((await remote(btd, '-t', '1', '-ph', '2', '-pl', '0')).output).toMatch(/success/);
      const chosen = await torrentByHash(btd, swarm.infoHash, [
        'wanted',
        'priorities',
        'fileStats',
      ]);
      expect(chosen?.wanted).toEqual([1, 0, 1]);
      expect(chosen?.priorities).toEqual([-1, 0, 1]);
      expect((chosen?.fileStats as { wanted: boolean }[]).map((file) => file.wanted)).toEqual([
        true,
        false,
        true,
      ]);
      await remote(btd, '-t', '1', '-s');
      await waitFor(
        async () =>
          (await torrentByHash(btd, swarm.infoHash, ['percentDone']))?.percentDone === 1
            ? true
            : undefined,
        { what: 'the wanted files downloaded' },
      );
      const folder = join(downloads, 'album');
      expect(Buffer.compare(await readFile(join(folder, 'file-0.bin')), swarm.files[0]!)).toBe(0);
      expect(Buffer.compare(await readFile(join(folder, 'file-2.bin')), swarm.files[2]!)).toBe(0);
      expect(await exists(join(folder, 'file-1.bin'))).toBe(false);
      const listing = (await remote(btd, '-t', '1', '-f')).output;
      expect(listing).toMatch(/1:\s+\S+\s+Normal\s+No\s+.*file-1\.bin/);
      expect(listing).toMatch(/2:\s+100%\s+High\s+Yes\s+.*file-2\.bin/);
      const partly = await torrentByHash(btd, swarm.infoHash, ['sizeWhenDone', 'totalSize']);
      expect(partly!.sizeWhenDone as number).toBeLessThan(partly!.totalSize as number);

      // wanted again: fetched, and the torrent completes in full
      expect((await remote(btd, '-t', '1', '-g', '1')).output).toMatch(/success/);
      await waitFor(
        async () => {
          const row = await torrentByHash(btd, swarm.infoHash, ['percentComplete', 'wanted']);
          return row?.percentComplete === 1 ? row : undefined;
        },
        { what: 'the file wanted again downloaded' },
      );
      expect(Buffer.compare(await readFile(join(folder, 'file-1.bin')), swarm.files[1]!)).toBe(0);
      expect((await torrentByHash(btd, swarm.infoHash, ['wanted']))?.wanted).toEqual([1, 1, 1]);
    });
  },
);
