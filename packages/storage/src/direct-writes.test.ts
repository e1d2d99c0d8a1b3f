import { constants } from 'node:fs';
import { open, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { blocksOf, makeTorrent } from '../test/make-layout.js';
import { createFileStorage, createHashPool } from './index.js';

const pool = createHashPool({ size: 2 });
afterAll(async () => {
  await pool.close();
  await removeTempDirs();
});

/** Whether the file system under `directory` accepts O_DIRECT at all. */
async function directSupported(directory: string): Promise<boolean> {
  const probe = join(directory, '.probe');
  try {
    const handle = await open(probe, constants.O_CREAT | constants.O_WRONLY | constants.O_DIRECT);
    await handle.close();
    return true;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
  }
}

/** Descriptors of this process open on files under `directory` with O_DIRECT set. */
async function directDescriptors(directory: string): Promise<string[]> {
  const found: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    let target: string;
    let info: string;
    try {
      target = await readlink(`/proc/self/fd/${fd}`);
      info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    const flags = Number.parseInt(/flags:\s*([0-7]+)/.exec(info)?.[1] ?? '0', 8);
    if (target.startsWith(directory) && (flags & constants.O_DIRECT) !== 0) found.push(target);
  }
  return found;
}

describe('writes past the OS cache', () => {
  // Pieces of 64 KiB over files whose starts fall on and off 4 KiB boundaries: the aligned
  // middles go direct, the ends through the cache, and every byte lands where it belongs.
  const files = [
    { path: ['a.bin'], length: 10_000 },
    { path: ['b.bin'], length: 70_001 },
    { path: ['c.bin'], length: 5 },
    { path: ['d.bin'], length: 131_072 },
    { path: ['e.bin'], length: 200_000 },
  ];

  for (const directWrites of [true, false]) {
    it(`stores every byte ${directWrites ? 'with' : 'without'} direct writes, blocks in any order`, async () => {
      const directory = await makeTempDir();
      const torrent = makeTorrent({ name: 'mixed', pieceLength: 65_536, files });
      const storage = await createFileStorage({
        layout: torrent.layout,
        directory,
        hashPool: pool,
        directWrites,
      });
      const order = [...Array(storage.pieceCount).keys()].reverse();
      for (const index of order) {
        const blocks = blocksOf(torrent, index, 16_384).reverse();
        for (const block of blocks) await storage.writeBlock(index, block.offset, block.bytes);
        expect(await storage.verifyPiece(index)).toEqual({ index, ok: true });
      }
      const direct = await directDescriptors(directory);
      if (!directWrites) expect(direct).toEqual([]);
      else if (await directSupported(directory)) expect(direct.length).toBeGreaterThan(0);
      else console.warn(`O_DIRECT is not supported under ${directory}: only the fallback ran`);
      // a piece is read back through the ordinary descriptor, as an upload would
      const last = storage.pieceCount - 1;
      expect(await storage.readBlock(last, 0, 100)).toEqual(
        torrent.data.subarray(last * 65_536, last * 65_536 + 100),
      );
      await storage.close();
      let at = 0;
      for (const file of files) {
        const bytes = new Uint8Array(await readFile(join(directory, 'mixed', ...file.path)));
        expect(Buffer.compare(bytes, torrent.data.subarray(at, at + file.length))).toBe(0);
        at += file.length;
      }
      const again = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
      expect((await again.recheck()).complete).toBe(true);
      await again.close();
    });
  }
});
