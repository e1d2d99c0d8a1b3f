import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { blocksOf, makeTorrent, type TestTorrent } from '../test/make-layout.js';
import { createFileStorage, createHashPool, StorageError, type Storage } from './index.js';

const pool = createHashPool({ size: 2 });
afterAll(async () => {
  await pool.close();
  await removeTempDirs();
});

async function download(
  storage: Storage,
  torrent: TestTorrent,
  blockSize = 16,
  order?: number[],
): Promise<void> {
  const indices = order ?? [...Array(storage.pieceCount).keys()];
  for (const index of indices) {
    for (const block of blocksOf(torrent, index, blockSize))
      await storage.writeBlock(index, block.offset, block.bytes);
    expect(await storage.verifyPiece(index)).toEqual({ index, ok: true });
  }
}

const nested = () =>
  makeTorrent({
    name: 'album',
    pieceLength: 32,
    files: [
      { path: ['a.txt'], length: 10 },
      { path: ['empty'], length: 0 },
      { path: ['disc 1', 'deep', 'b.bin'], length: 45 },
      { path: ['.pad', '19'], length: 19, padding: true },
      { path: ['disc 2', 'c.bin'], length: 33 },
      { path: ['disc 2', 'none'], length: 0 },
    ],
  });

describe('file storage', () => {
  it('writes a multi-file torrent into nested folders, with empty files and without padding files', async () => {
    const directory = await makeTempDir();
    const torrent = nested();
    const storage = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
    expect(existsSync(join(directory, 'album', 'empty'))).toBe(true);
    expect(existsSync(join(directory, 'album', 'disc 2', 'none'))).toBe(true);
    await download(storage, torrent, 7, [3, 0, 2, 1]);
    await storage.close();
    const data = torrent.data;
    expect(new Uint8Array(await readFile(join(directory, 'album', 'a.txt')))).toEqual(
      data.slice(0, 10),
    );
    expect(
      new Uint8Array(await readFile(join(directory, 'album', 'disc 1', 'deep', 'b.bin'))),
    ).toEqual(data.slice(10, 55));
    expect(new Uint8Array(await readFile(join(directory, 'album', 'disc 2', 'c.bin')))).toEqual(
      data.slice(74, 107),
    );
    expect(existsSync(join(directory, 'album', '.pad'))).toBe(false);
    expect((await stat(join(directory, 'album', 'empty'))).size).toBe(0);
  });

  it('rechecks existing data: exactly the pieces that verify', async () => {
    const directory = await makeTempDir();
    const torrent = nested();
    const first = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
    await download(first, torrent);
    await first.close();
    // Corrupt one byte of piece 1 (bytes 32..63: b.bin offsets 22..45 and pad).
    const path = join(directory, 'album', 'disc 1', 'deep', 'b.bin');
    const bytes = await readFile(path);
    bytes[30] = (bytes[30] as number) ^ 0xff;
    await writeFile(path, bytes);
    const second = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      readOnly: true,
    });
    const progress: number[] = [];
    const complete = await second.recheck({
      onProgress: (update) => progress.push(update.checkedBytes),
    });
    expect(complete.indices()).toEqual([0, 2, 3]);
    expect(progress[progress.length - 1]).toBe(torrent.layout.length);
    expect(await second.readBlock(3, 0, 11)).toEqual(torrent.data.slice(96, 107));
    await second.close();
  });

  it('reports missing and short files as missing pieces, and a read-only storage creates nothing', async () => {
    const directory = await makeTempDir();
    const torrent = makeTorrent({
      name: 'x',
      pieceLength: 8,
      files: [
        { path: ['a'], length: 20 },
        { path: ['b'], length: 4 },
      ],
    });
    const storage = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      readOnly: true,
    });
    expect((await storage.recheck()).count).toBe(0);
    expect(await readdir(directory)).toEqual([]);
    await storage.writeBlock(0, 0, torrent.data.slice(0, 8));
    await expect(storage.verifyPiece(0)).rejects.toMatchObject({ code: 'permission-denied' });
    await mkdir(join(directory, 'x'));
    await writeFile(join(directory, 'x', 'a'), torrent.data.slice(0, 12));
    expect((await storage.recheck()).indices()).toEqual([0]);
    await storage.close();
  });

  it('never follows a symbolic link that leads outside the folder for writing', async () => {
    const outside = await makeTempDir();
    const directory = await makeTempDir();
    const torrent = makeTorrent({
      name: 't',
      pieceLength: 8,
      files: [
        { path: ['dir', 'f'], length: 8 },
        { path: ['g'], length: 8 },
      ],
    });
    await mkdir(join(directory, 't'));
    await symlink(outside, join(directory, 't', 'dir'));
    await symlink(join(outside, 'target'), join(directory, 't', 'g'));
    const storage = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
    await storage.writeBlock(0, 0, torrent.data.slice(0, 8));
    const error = await storage.verifyPiece(0).catch((caught: unknown) => caught);
    expect(StorageError.isInstance(error) && error.code).toBe('unsafe-path');
    await storage.writeBlock(1, 0, torrent.data.slice(8, 16));
    const fileError = await storage.verifyPiece(1).catch((caught: unknown) => caught);
    expect(StorageError.isInstance(fileError) && fileError.code).toBe('unsafe-path');
    expect(await readdir(outside)).toEqual([]);
    await storage.close();
  });

  it('accepts a symbolic link to a folder inside the download folder', async () => {
    const directory = await makeTempDir();
    const torrent = makeTorrent({
      name: 't',
      pieceLength: 8,
      files: [{ path: ['link', 'f'], length: 8 }],
    });
    await mkdir(join(directory, 't', 'real'), { recursive: true });
    await symlink(join(directory, 't', 'real'), join(directory, 't', 'link'));
    const storage = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
    await download(storage, torrent, 8);
    await storage.close();
    expect(new Uint8Array(await readFile(join(directory, 't', 'real', 'f')))).toEqual(torrent.data);
    expect(lstatSync(join(directory, 't', 'link')).isSymbolicLink()).toBe(true);
  });

  it('refuses a layout with hostile paths before touching the disk', async () => {
    const directory = await makeTempDir();
    const torrent = makeTorrent({
      name: 't',
      pieceLength: 8,
      files: [{ path: ['ok'], length: 8 }],
    });
    const layout = {
      ...torrent.layout,
      files: [{ path: ['..', '..', 'evil'], length: 8, offset: 0 }],
    };
    await expect(createFileStorage({ layout, directory, hashPool: pool })).rejects.toMatchObject({
      code: 'unsafe-path',
    });
    expect(await readdir(directory)).toEqual([]);
  });

  it('keeps at most maxOpenFiles descriptors for a torrent of many files', async () => {
    const directory = await makeTempDir();
    const files = Array.from({ length: 300 }, (_, index) => ({
      path: [`d${index % 7}`, `f${index}`],
      length: 1 + (index % 5),
    }));
    const torrent = makeTorrent({ name: 'many', pieceLength: 16, files });
    const storage = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      maxOpenFiles: 4,
    });
    const before = (await readdir('/proc/self/fd')).length;
    let peak = 0;
    for (let index = 0; index < storage.pieceCount; index++) {
      await storage.writeBlock(index, 0, blocksOf(torrent, index, 16)[0]!.bytes);
      expect((await storage.verifyPiece(index)).ok).toBe(true);
      peak = Math.max(peak, (await readdir('/proc/self/fd')).length - before);
    }
    expect(peak).toBeLessThanOrEqual(4 + 1);
    expect((await storage.recheck()).complete).toBe(true);
    await storage.close();
  });

  it('notices a file deleted under it at the next checkpoint', async () => {
    const directory = await makeTempDir();
    const torrent = makeTorrent({
      name: 't',
      pieceLength: 8,
      files: [
        { path: ['a'], length: 16 },
        { path: ['b'], length: 8 },
      ],
    });
    const storage = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      checkpointInterval: 0,
    });
    await download(storage, torrent, 8);
    await unlink(join(directory, 't', 'a'));
    await expect(storage.flush()).rejects.toMatchObject({ code: 'file-missing' });
    expect(storage.completePieces().indices()).toEqual([2]);
    await expect(storage.readBlock(0, 0, 8)).rejects.toMatchObject({ code: 'piece-not-complete' });
    await storage.close();
  });

  it('reports a read of a deleted file as file-missing and forgets the piece', async () => {
    const directory = await makeTempDir();
    const torrent = makeTorrent({ name: 'solo.bin', pieceLength: 8, length: 16 });
    const first = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
    await download(first, torrent, 8);
    await first.close();
    const second = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      readOnly: true,
    });
    expect((await second.recheck()).count).toBe(2);
    await rm(join(directory, 'solo.bin'));
    await expect(second.readBlock(1, 0, 8)).rejects.toMatchObject({ code: 'file-missing' });
    expect(second.hasPiece(1)).toBe(false);
    await second.close();
  });

  it('serves uploads from its read cache, reusing memory only once blocks are given back', async () => {
    const directory = await makeTempDir();
    const torrent = nested();
    const storage = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      readCacheSize: 64, // two windows of one 32-byte piece each
    });
    await download(storage, torrent);
    const expected = (index: number, offset: number, length: number) =>
      torrent.data.slice(index * 32 + offset, index * 32 + offset + length);
    // blocks kept (never given back) must keep their bytes while the cache churns under them
    const kept: { index: number; offset: number; bytes: Uint8Array }[] = [];
    for (let round = 0; round < 3; round++) {
      for (let index = 0; index < storage.pieceCount; index++) {
        for (let offset = 0; offset < 32; offset += 8) {
          const length = Math.min(8, torrent.data.length - index * 32 - offset);
          if (length <= 0) continue;
          const cached = storage.peekBlock(index, offset, length);
          const bytes = cached ?? (await storage.readBlock(index, offset, length));
          expect(bytes).toEqual(expected(index, offset, length));
          if ((index + offset + round) % 5 === 0) kept.push({ index, offset, bytes });
          else storage.releaseBlock(bytes);
        }
      }
    }
    for (const block of kept) {
      expect(block.bytes).toEqual(expected(block.index, block.offset, block.bytes.length));
    }
    // the padding file of the layout reads as zeros
    expect(await storage.readBlock(1, 23, 9)).toEqual(new Uint8Array(9));
    await storage.close();
  });

  it('writes what it is given whatever the layout and block order (property)', async () => {
    const directory = await makeTempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(40), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 1000 }),
        async (lengths, pieceLength, blockSize, seed) => {
          if (lengths.reduce((a, b) => a + b, 0) === 0) lengths[0] = 1;
          const torrent = makeTorrent({
            name: `p${run++}`,
            pieceLength,
            files: lengths.map((length, index) => ({ path: [`${index}`], length })),
          });
          const storage = await createFileStorage({
            layout: torrent.layout,
            directory,
            hashPool: pool,
            cacheSize: pieceLength * 2,
            maxOpenFiles: 2,
          });
          const blocks = [];
          for (let index = 0; index < storage.pieceCount; index++) {
            for (const block of blocksOf(torrent, index, blockSize))
              blocks.push({ index, ...block });
          }
          // A deterministic shuffle from the seed.
          let state = seed + 1;
          for (let i = blocks.length - 1; i > 0; i--) {
            state = (state * 1103515245 + 12345) % 2147483648;
            const j = state % (i + 1);
            [blocks[i], blocks[j]] = [blocks[j]!, blocks[i]!];
          }
          // each piece is verified when its last block (in arrival order) is stored
          const missing = new Map<number, number>();
          for (const block of blocks) missing.set(block.index, (missing.get(block.index) ?? 0) + 1);
          const verdicts = [];
          for (const block of blocks) {
            await storage.writeBlock(block.index, block.offset, block.bytes);
            const left = (missing.get(block.index) as number) - 1;
            missing.set(block.index, left);
            if (left === 0) verdicts.push(await storage.verifyPiece(block.index));
          }
          expect(verdicts.length).toBe(storage.pieceCount);
          expect(verdicts.every((verdict) => verdict.ok)).toBe(true);
          await storage.close();
          let offset = 0;
          for (const [index, length] of lengths.entries()) {
            const written = new Uint8Array(
              await readFile(join(directory, torrent.layout.name, `${index}`)),
            );
            expect(written).toEqual(torrent.data.slice(offset, offset + length));
            offset += length;
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('file storage cache spills', () => {
  it('verifies spilled pieces from disk, rejects a corrupt one, and verifyPiece reads the disk', async () => {
    const directory = await makeTempDir();
    const torrent = makeTorrent({ name: 's.bin', pieceLength: 64, length: 64 * 4 });
    // Room for one piece: the four interleaved pieces spill to disk.
    const storage = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      cacheSize: 64,
    });
    const verdicts = [];
    for (let round = 0; round < 4; round++) {
      for (let index = 0; index < 4; index++) {
        const block = blocksOf(torrent, index, 16)[round]!;
        const bytes =
          index === 2 && round === 1 ? block.bytes.map((byte) => byte ^ 0xff) : block.bytes;
        await storage.writeBlock(index, block.offset, bytes);
        if (round === 3) verdicts.push(await storage.verifyPiece(index));
        expect(storage.cachedSize()).toBeLessThanOrEqual(64);
      }
    }
    expect(verdicts).toEqual([
      { index: 0, ok: true },
      { index: 1, ok: true },
      { index: 2, ok: false },
      { index: 3, ok: true },
    ]);
    expect(storage.completePieces().indices()).toEqual([0, 1, 3]);
    // The corrupt bytes are on disk but never count; once repaired on disk, verifyPiece agrees.
    expect((await storage.verifyPiece(2)).ok).toBe(false);
    const handle = await (await import('node:fs/promises')).open(join(directory, 's.bin'), 'r+');
    await handle.write(torrent.data.subarray(128, 192), 0, 64, 128);
    await handle.close();
    expect(await storage.verifyPiece(2)).toEqual({ index: 2, ok: true });
    expect(storage.completePieces().complete).toBe(true);
    await storage.close();
  });
});

describe('recheck and partial pieces', () => {
  it('frees the cached blocks of a piece that a recheck finds complete on disk', async () => {
    const directory = await makeTempDir();
    const torrent = makeTorrent({ name: 'r.bin', pieceLength: 32, length: 64 });
    const first = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
    await download(first, torrent);
    await first.close();
    const second = await createFileStorage({ layout: torrent.layout, directory, hashPool: pool });
    await second.writeBlock(0, 0, torrent.data.slice(0, 16));
    await second.writeBlock(1, 0, torrent.data.slice(32, 40));
    expect(second.cachedSize()).toBe(64);
    expect((await second.recheck()).indices()).toEqual([0, 1]);
    expect(second.cachedSize()).toBe(0);
    // a block of a piece found complete is not stored again
    await second.writeBlock(0, 16, torrent.data.slice(16, 32));
    expect(second.cachedSize()).toBe(0);
    await second.close();
  });
});
