import { afterAll, describe, expect, it } from 'vitest';
import { blocksOf, makeTorrent } from '../test/make-layout.js';
import { createHashPool, createMemoryStorage, StorageError } from './index.js';

const pool = createHashPool({ size: 2 });
afterAll(() => pool.close());

describe('memory storage', () => {
  it('stores blocks in any order, verifies a piece when asked, and serves it back', async () => {
    const torrent = makeTorrent({ pieceLength: 64, length: 200 });
    const storage = createMemoryStorage({ layout: torrent.layout, hashPool: pool });
    expect(storage.pieceCount).toBe(4);
    for (const block of blocksOf(torrent, 1, 16).reverse())
      await storage.writeBlock(1, block.offset, block.bytes);
    // storing the last block verifies nothing by itself: the caller says when a piece is whole
    expect(storage.hasPiece(1)).toBe(false);
    expect(await storage.verifyPiece(1)).toEqual({ index: 1, ok: true });
    expect(storage.hasPiece(1)).toBe(true);
    expect(storage.completePieces().indices()).toEqual([1]);
    expect(await storage.readBlock(1, 10, 20)).toEqual(torrent.data.slice(64 + 10, 64 + 30));
    // The last piece is 8 bytes.
    await storage.writeBlock(3, 0, torrent.data.slice(192, 200));
    expect((await storage.verifyPiece(3)).ok).toBe(true);
    await storage.close();
  });

  it('discards a corrupt piece', async () => {
    const torrent = makeTorrent({ pieceLength: 32, length: 64 });
    const storage = createMemoryStorage({ layout: torrent.layout, hashPool: pool });
    const bad = torrent.data.slice(0, 16);
    bad[3] = (bad[3] as number) ^ 1;
    await storage.writeBlock(0, 0, bad);
    await storage.writeBlock(0, 16, torrent.data.slice(16, 32));
    expect(await storage.verifyPiece(0)).toEqual({ index: 0, ok: false });
    expect(storage.hasPiece(0)).toBe(false);
    // Downloaded again, it verifies; the old blocks were forgotten.
    await storage.writeBlock(0, 16, torrent.data.slice(16, 32));
    await storage.writeBlock(0, 0, torrent.data.slice(0, 16));
    expect(await storage.verifyPiece(0)).toEqual({ index: 0, ok: true });
    await expect(storage.readBlock(1, 0, 4)).rejects.toMatchObject({ code: 'piece-not-complete' });
    await storage.close();
  });

  it('rejects blocks outside the piece with a typed error', async () => {
    const torrent = makeTorrent({ pieceLength: 32, length: 40 });
    const storage = createMemoryStorage({ layout: torrent.layout, hashPool: pool });
    for (const [index, offset, length] of [
      [2, 0, 1],
      [-1, 0, 1],
      [0, 30, 4],
      [1, 0, 9],
      [0.5, 0, 1],
    ] as const) {
      const error = await storage
        .writeBlock(index, offset, new Uint8Array(length))
        .catch((caught: unknown) => caught);
      expect(StorageError.isInstance(error) && error.code).toBe('invalid-block');
    }
    await storage.close();
    await expect(storage.writeBlock(0, 0, new Uint8Array(1))).rejects.toMatchObject({
      code: 'closed',
    });
  });

  it('ignores blocks of a complete piece and overlapping blocks', async () => {
    const torrent = makeTorrent({ pieceLength: 32, length: 32 });
    const storage = createMemoryStorage({ layout: torrent.layout, hashPool: pool });
    await storage.writeBlock(0, 0, torrent.data.slice(0, 20));
    await storage.writeBlock(0, 10, torrent.data.slice(10, 20));
    await storage.writeBlock(0, 12, torrent.data.slice(12, 32));
    expect((await storage.verifyPiece(0)).ok).toBe(true);
    await storage.writeBlock(0, 0, new Uint8Array(32));
    expect(await storage.readBlock(0, 0, 32)).toEqual(torrent.data);
    await storage.close();
  });

  it('spills partial pieces when the cache is full and still verifies them', async () => {
    const torrent = makeTorrent({ pieceLength: 64, length: 64 * 10 });
    // Room for two pieces: ten interleaved pieces force spills.
    const storage = createMemoryStorage({ layout: torrent.layout, hashPool: pool, cacheSize: 128 });
    const verdicts = [];
    for (let round = 0; round < 4; round++) {
      for (let index = 0; index < 10; index++) {
        const block = blocksOf(torrent, index, 16)[round]!;
        await storage.writeBlock(index, block.offset, block.bytes);
        if (round === 3) verdicts.push(await storage.verifyPiece(index));
        expect(storage.cachedSize()).toBeLessThanOrEqual(128);
      }
    }
    expect(verdicts.map((verdict) => verdict.ok)).toEqual(Array(10).fill(true));
    expect(storage.completePieces().complete).toBe(true);
    await storage.close();
  });

  it('handles concurrent writes of the same piece while memory is found', async () => {
    const torrent = makeTorrent({ pieceLength: 64, length: 64 * 6 });
    const storage = createMemoryStorage({ layout: torrent.layout, hashPool: pool, cacheSize: 64 });
    const writes = [];
    const verifications = [];
    for (let index = 0; index < 6; index++) {
      for (const block of blocksOf(torrent, index, 8))
        writes.push(storage.writeBlock(index, block.offset, block.bytes));
      // asked at once: the verdict waits for the piece's blocks still waiting for memory
      verifications.push(storage.verifyPiece(index));
    }
    await Promise.all(writes);
    const verdicts = await Promise.all(verifications);
    expect(verdicts.map((verdict) => verdict.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(verdicts.every((verdict) => verdict.ok)).toBe(true);
    await storage.close();
  });

  it('rechecks what is stored and reports progress', async () => {
    const torrent = makeTorrent({ pieceLength: 16, length: 100 });
    const storage = createMemoryStorage({ layout: torrent.layout, hashPool: pool });
    for (const index of [0, 2, 6]) {
      await storage.writeBlock(
        index,
        0,
        torrent.data.slice(index * 16, Math.min(100, index * 16 + 16)),
      );
      await storage.verifyPiece(index);
    }
    const progress: number[] = [];
    const complete = await storage.recheck({
      onProgress: (update) => progress.push(update.checkedPieces),
    });
    expect(complete.indices()).toEqual([0, 2, 6]);
    expect(Math.max(...progress)).toBe(7);
    await storage.close();
  });
});

describe('verification', () => {
  it('waits for every block written before it, even when spilled writes are still running', async () => {
    const torrent = makeTorrent({ pieceLength: 64, length: 64 * 3 });
    // No room in memory at all: every block goes straight to the back-end.
    const storage = createMemoryStorage({ layout: torrent.layout, hashPool: pool, cacheSize: 0 });
    for (let index = 0; index < 3; index++) {
      const writes = blocksOf(torrent, index, 16).map((block) =>
        storage.writeBlock(index, block.offset, block.bytes),
      );
      // asked before any write settled
      expect(await storage.verifyPiece(index)).toEqual({ index, ok: true });
      await Promise.all(writes);
    }
    expect(storage.completePieces().complete).toBe(true);
    await storage.close();
  });

  it('stores no block of a piece after its verification was asked', async () => {
    const torrent = makeTorrent({ pieceLength: 64, length: 128 });
    const storage = createMemoryStorage({ layout: torrent.layout, hashPool: pool });
    for (const block of blocksOf(torrent, 0, 16))
      await storage.writeBlock(0, block.offset, block.bytes);
    const first = storage.verifyPiece(0);
    // a block of a piece being verified is not stored: the verdict is on what was asked
    await storage.writeBlock(0, 0, new Uint8Array(16));
    expect(await first).toEqual({ index: 0, ok: true });
    expect(await storage.readBlock(0, 0, 64)).toEqual(torrent.data.slice(0, 64));
    await storage.close();
  });
});
