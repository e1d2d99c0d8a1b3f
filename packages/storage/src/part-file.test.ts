import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { blocksOf, makeTorrent, type TestTorrent } from '../test/make-layout.js';
import {
  createFileStorage,
  createHashPool,
  PART_FILE_NAME,
  partFileLayout,
  partFileOffset,
  type Storage,
} from './index.js';

const pool = createHashPool({ size: 2 });
afterAll(async () => {
  await pool.close();
  await removeTempDirs();
});

async function fetchPieces(
  storage: Storage,
  torrent: TestTorrent,
  pieces: number[],
): Promise<void> {
  for (const index of pieces) {
    for (const block of blocksOf(torrent, index, 4))
      await storage.writeBlock(index, block.offset, block.bytes);
    expect(await storage.verifyPiece(index)).toEqual({ index, ok: true });
  }
}

// pieces of 8: a = 0..19 (pieces 0-2), b = 20..23 (piece 2), c = 24..33 (pieces 3-4), d = 34..49 (pieces 4-6)
const four = () =>
  makeTorrent({
    name: 'set',
    pieceLength: 8,
    files: [
      { path: ['a'], length: 20 },
      { path: ['b'], length: 4 },
      { path: ['sub', 'c'], length: 10 },
      { path: ['d'], length: 16 },
    ],
  });

describe('part file layout', () => {
  it('gives a slot to each piece shared by two files or more, in piece order', () => {
    const parts = partFileLayout(four().layout);
    expect([...parts.slots]).toEqual([
      [2, 0],
      [4, 1],
    ]);
    expect(parts.path).toEqual(['set', PART_FILE_NAME]);
    expect(partFileOffset(parts, 4, 3)).toBe(8 + 3);
    expect(partFileOffset(parts, 3, 0)).toBeUndefined();
  });

  it('needs none for one file, for files that meet on piece boundaries, and ignores padding', () => {
    const single = makeTorrent({ name: 'one', pieceLength: 8, length: 30 });
    expect(partFileLayout(single.layout).path).toBeUndefined();
    const padded = makeTorrent({
      name: 'padded',
      pieceLength: 8,
      files: [
        { path: ['a'], length: 5 },
        { path: ['.pad', '3'], length: 3, padding: true },
        { path: ['b'], length: 8 },
      ],
    });
    const parts = partFileLayout(padded.layout);
    expect(parts.slots.size).toBe(0);
    expect(parts.path).toBeUndefined();
  });

  it('takes another name when the torrent has a file called like the part file', () => {
    const clash = makeTorrent({
      name: 'clash',
      pieceLength: 8,
      files: [
        { path: [PART_FILE_NAME], length: 5 },
        { path: ['b'], length: 8 },
      ],
    });
    expect(partFileLayout(clash.layout).path).toEqual(['clash', `${PART_FILE_NAME}~`]);
  });
});

describe('file storage with a selection', () => {
  it('never creates an unwanted file: its bytes of shared pieces go to the part file, and move into place when wanted', async () => {
    const directory = await makeTempDir();
    const torrent = four();
    const data = torrent.data;
    // b and d unwanted: pieces 0-4 cover a and c
    const storage = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      wantedFiles: [true, false, true, false],
    });
    await fetchPieces(storage, torrent, [0, 1, 2, 3, 4]);
    await storage.flush();
    expect(existsSync(join(directory, 'set', 'b'))).toBe(false);
    expect(existsSync(join(directory, 'set', 'd'))).toBe(false);
    expect(new Uint8Array(await readFile(join(directory, 'set', 'a')))).toEqual(data.slice(0, 20));
    expect(new Uint8Array(await readFile(join(directory, 'set', 'sub', 'c')))).toEqual(
      data.slice(24, 34),
    );
    // slot 0 is piece 2: b's bytes at offsets 4..8; slot 1 is piece 4: d's bytes at 8 + 2..8
    const part = new Uint8Array(await readFile(join(directory, 'set', PART_FILE_NAME)));
    expect(part.slice(4, 8)).toEqual(data.slice(20, 24));
    expect(part.slice(8 + 2, 16)).toEqual(data.slice(34, 40));
    // the shared pieces read back whole (uploads, and the recheck)
    expect(await storage.readBlock(2, 0, 8)).toEqual(data.slice(16, 24));
    expect((await storage.recheck()).indices()).toEqual([0, 1, 2, 3, 4]);

    await storage.setFileWanted(1, true);
    expect(new Uint8Array(await readFile(join(directory, 'set', 'b')))).toEqual(data.slice(20, 24));
    expect((await storage.recheck()).indices()).toEqual([0, 1, 2, 3, 4]);
    await storage.close();
  });

  it('moves the part file bytes into place when a later start wants the file, and verify reads them', async () => {
    const directory = await makeTempDir();
    const torrent = four();
    const data = torrent.data;
    const first = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      wantedFiles: [false, false, true, false],
    });
    await fetchPieces(first, torrent, [2, 3, 4]);
    await first.close();
    expect(existsSync(join(directory, 'set', 'a'))).toBe(false);

    // bt verify: read-only, the missing files' shared bytes come from the part file
    const verify = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      readOnly: true,
    });
    expect((await verify.recheck()).indices()).toEqual([2, 3, 4]);
    await verify.close();

    const second = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
    const a = new Uint8Array(await readFile(join(directory, 'set', 'a')));
    expect(a.slice(16, 20)).toEqual(data.slice(16, 20));
    expect((await stat(join(directory, 'set', 'd'))).size).toBe(6);
    expect((await second.recheck()).indices()).toEqual([2, 3, 4]);
    await fetchPieces(second, torrent, [0, 1, 5, 6]);
    expect((await second.recheck()).count).toBe(7);
    await second.close();
    expect(new Uint8Array(await readFile(join(directory, 'set', 'a')))).toEqual(data.slice(0, 20));
    expect(new Uint8Array(await readFile(join(directory, 'set', 'd')))).toEqual(data.slice(34, 50));
  });

  it('a piece inside an unwanted file is not stored, and a file unwanted before it was written is parted', async () => {
    const directory = await makeTempDir();
    const torrent = four();
    const storage = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
    await storage.setFileWanted(3, false);
    await fetchPieces(storage, torrent, [4]);
    expect(existsSync(join(directory, 'set', 'd'))).toBe(false);
    expect(existsSync(join(directory, 'set', 'sub', 'c'))).toBe(true);
    // piece 5 lies inside d alone: arriving anyway (asked while d was wanted), d is put in place
    await fetchPieces(storage, torrent, [5]);
    expect(existsSync(join(directory, 'set', 'd'))).toBe(true);
    expect((await storage.recheck()).indices()).toEqual([4, 5]);
    await storage.close();
  });
});
