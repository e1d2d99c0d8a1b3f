import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTorrent } from '../test/make-layout.js';
import {
  createHashPool,
  PieceStorage,
  StorageError,
  type PieceCheckResult,
  type StorageBackend,
} from './index.js';

const pool = createHashPool({ size: 1 });
afterAll(() => pool.close());

/** A back-end that records what the storage asks of it. */
class RecordingBackend implements StorageBackend {
  writes: [number, number, number][] = [];
  flushes = 0;
  failWrites: Error | undefined;
  write(pieceIndex: number, pieceOffset: number, bytes: Uint8Array): Promise<void> {
    if (this.failWrites) return Promise.reject(this.failWrites);
    this.writes.push([pieceIndex, pieceOffset, bytes.length]);
    return Promise.resolve();
  }
  read(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(0));
  }
  check(indices: number[]): Promise<PieceCheckResult[]> {
    return Promise.resolve(indices.map((index) => ({ index, status: 'missing' as const })));
  }
  flush(): Promise<number[]> {
    this.flushes++;
    return Promise.resolve([]);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('piece storage over a custom back-end', () => {
  it('hands over verified pieces only, and checkpoints in the background every checkpointBytes', async () => {
    const torrent = makeTorrent({ pieceLength: 100, length: 1000 });
    const backend = new RecordingBackend();
    const storage = new PieceStorage({
      layout: torrent.layout,
      backend,
      pool,
      checkpointInterval: 0,
      checkpointBytes: 250,
    });
    const bad = torrent.data.slice(0, 100);
    bad[0] = (bad[0] as number) ^ 1;
    await storage.writeBlock(0, 0, bad);
    expect((await storage.verifyPiece(0)).ok).toBe(false);
    expect(backend.writes).toEqual([]);
    for (let index = 0; index < 10; index++) {
      await storage.writeBlock(index, 0, torrent.data.slice(index * 100, index * 100 + 100));
      expect((await storage.verifyPiece(index)).ok).toBe(true);
    }
    expect(backend.writes).toEqual(Array.from({ length: 10 }, (_, index) => [index, 0, 100]));
    // 1000 verified bytes, a checkpoint each 250: three or four (one may still be running).
    await storage.flush();
    expect(backend.flushes).toBeGreaterThanOrEqual(4);
    await storage.close();
  });

  it('rejects the verification that hit a back-end failure with that error; the piece is not complete', async () => {
    const torrent = makeTorrent({ pieceLength: 100, length: 200 });
    const backend = new RecordingBackend();
    const storage = new PieceStorage({
      layout: torrent.layout,
      backend,
      pool,
      checkpointInterval: 0,
    });
    backend.failWrites = new StorageError('no-space', 'disk full', { systemCode: 'ENOSPC' });
    await storage.writeBlock(1, 0, torrent.data.slice(100, 200));
    await expect(storage.verifyPiece(1)).rejects.toMatchObject({ code: 'no-space' });
    expect(storage.hasPiece(1)).toBe(false);
    backend.failWrites = undefined;
    await storage.writeBlock(1, 0, torrent.data.slice(100, 200));
    expect((await storage.verifyPiece(1)).ok).toBe(true);
    await storage.close();
  });
});

describe('one verification per question', () => {
  it('hashes and hands over a piece asked twice at once only once; storing its last block alone verifies nothing', async () => {
    const torrent = makeTorrent({ pieceLength: 64, length: 128 });
    const backend = new RecordingBackend();
    const storage = new PieceStorage({
      layout: torrent.layout,
      backend,
      pool,
      checkpointInterval: 0,
    });
    for (const offset of [0, 16, 32, 48])
      await storage.writeBlock(0, offset, torrent.data.slice(offset, offset + 16));
    expect(storage.hasPiece(0)).toBe(false);
    expect(backend.writes).toEqual([]);
    const verdicts = await Promise.all([storage.verifyPiece(0), storage.verifyPiece(0)]);
    expect(verdicts).toEqual([
      { index: 0, ok: true },
      { index: 0, ok: true },
    ]);
    expect(backend.writes).toEqual([[0, 0, 64]]);
    await storage.close();
  });
});

/** Keeps bytes in memory; writes finish only when the test says so, in any order. */
class ManualBackend extends RecordingBackend {
  private readonly data: Uint8Array;
  private readonly expected: Uint8Array;
  readonly held: (() => void)[] = [];
  constructor(length: number, expected: Uint8Array) {
    super();
    this.data = new Uint8Array(length);
    this.expected = expected;
  }
  override write(pieceIndex: number, pieceOffset: number, bytes: Uint8Array): Promise<void> {
    this.writes.push([pieceIndex, pieceOffset, bytes.length]);
    this.data.set(bytes, pieceOffset);
    return new Promise((resolve) => this.held.push(resolve));
  }
  override check(indices: number[]): Promise<PieceCheckResult[]> {
    const digest = createHash('sha1').update(this.data).digest();
    const ok = Buffer.compare(digest, this.expected) === 0;
    return Promise.resolve(
      indices.map((index) => ({ index, status: ok ? ('ok' as const) : ('mismatch' as const) })),
    );
  }
}

describe('verdicts of spilled pieces', () => {
  it('wait for every block written before, whatever order the writes finish in', async () => {
    const torrent = makeTorrent({ pieceLength: 64, length: 64 });
    const backend = new ManualBackend(64, torrent.layout.pieces.subarray(0, 20));
    const storage = new PieceStorage({
      layout: torrent.layout,
      backend,
      pool,
      cacheSize: 0,
      checkpointInterval: 0,
    });
    const settled: unknown[] = [];
    const writes = [0, 16, 32, 48].map((offset, order) =>
      storage.writeBlock(0, offset, torrent.data.slice(offset, offset + 16)).then(() => {
        settled.push(order);
      }),
    );
    const verdict = storage.verifyPiece(0).then((result) => {
      settled.push(result);
      return result;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(backend.held.length).toBe(4);
    // The last block's write finishes first, the first block's last.
    for (const resolve of [...backend.held].reverse()) {
      resolve();
      await new Promise((done) => setImmediate(done));
    }
    await Promise.all(writes);
    expect(await verdict).toEqual({ index: 0, ok: true });
    // the verdict came after the last write, not before
    expect(settled).toEqual([3, 2, 1, 0, { index: 0, ok: true }]);
    await storage.close();
  });
});

describe('memory back-pressure', () => {
  it('waits for a piece on its way to the disk instead of spilling one being filled, and keeps no view of the caller buffer', async () => {
    const torrent = makeTorrent({ pieceLength: 64, length: 128 });
    const backend = new ManualBackend(128, new Uint8Array(20));
    const storage = new PieceStorage({
      layout: torrent.layout,
      backend,
      pool,
      cacheSize: 64,
      checkpointInterval: 0,
    });
    const verdicts: Promise<unknown>[] = [];
    for (const offset of [0, 16, 32, 48])
      verdicts.push(storage.writeBlock(0, offset, torrent.data.slice(offset, offset + 16)));
    verdicts.push(storage.verifyPiece(0));
    await new Promise((resolve) => setImmediate(resolve));
    // Piece 1 arrives while piece 0 (the whole cache) is being hashed and written; its blocks
    // come through one scratch buffer that is scribbled over after every call.
    const scratch = new Uint8Array(16);
    for (const offset of [0, 16, 32, 48]) {
      scratch.set(torrent.data.subarray(64 + offset, 64 + offset + 16));
      verdicts.push(storage.writeBlock(1, offset, scratch));
      scratch.fill(0xff);
    }
    verdicts.push(storage.verifyPiece(1));
    while (backend.held.length === 0) await new Promise((resolve) => setImmediate(resolve));
    // Nothing of piece 1 was spilled: the only write so far is verified piece 0.
    expect(backend.writes).toEqual([[0, 0, 64]]);
    expect(storage.cachedSize()).toBe(64);
    backend.held.shift()!();
    while (backend.held.length === 0) await new Promise((resolve) => setImmediate(resolve));
    backend.held.shift()!();
    const settled = await Promise.all(verdicts);
    expect(settled[4]).toEqual({ index: 0, ok: true });
    expect(settled[9]).toEqual({ index: 1, ok: true });
    expect(backend.writes).toEqual([
      [0, 0, 64],
      [1, 0, 64],
    ]);
    expect(storage.hasPiece(1)).toBe(true);
    await storage.close();
  });

  it('says how many pieces it holds in memory, and stores a block at once while one is free', async () => {
    const torrent = makeTorrent({ pieceLength: 64, length: 256 });
    const storage = new PieceStorage({
      layout: torrent.layout,
      backend: new RecordingBackend(),
      pool,
      cacheSize: 128,
      checkpointInterval: 0,
    });
    expect(storage.memoryPieces).toBe(2);
    // the first block of a piece is in memory when writeBlock returns, not a tick later
    const pending = storage.writeBlock(0, 0, torrent.data.slice(0, 16));
    expect(storage.cachedSize()).toBe(64);
    expect(await pending).toBeUndefined();
    await storage.close();
  });
});
