import { describe, expect, it } from 'vitest';
import { PieceReadCache } from './read-cache.js';

/** A back-end over `data` (pieces of `pieceLength`) that logs every read. */
function backend(data: Uint8Array, pieceLength: number) {
  const reads: [number, number, number][] = [];
  let fail = false;
  return {
    reads,
    failNext() {
      fail = true;
    },
    pieceSize: (index: number) => Math.min(pieceLength, data.length - index * pieceLength),
    readInto: (index: number, offset: number, target: Uint8Array) => {
      reads.push([index, offset, target.length]);
      if (fail) {
        fail = false;
        return Promise.reject(new Error('disk gone'));
      }
      const start = index * pieceLength + offset;
      target.set(data.subarray(start, start + target.length));
      return Promise.resolve();
    },
  };
}

const data = Uint8Array.from({ length: 1000 }, (_, index) => (index * 7) % 251);

describe('PieceReadCache', () => {
  it('reads a window once and serves every block of it from memory', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 1024 });
    for (let offset = 0; offset < 128; offset += 16) {
      expect(await cache.read(1, offset, 16)).toEqual(data.slice(256 + offset, 256 + offset + 16));
    }
    expect(disk.reads).toEqual([[1, 0, 128]]);
    expect(await cache.read(1, 128, 16)).toEqual(data.slice(384, 400));
    expect(disk.reads).toEqual([
      [1, 0, 128],
      [1, 128, 128],
    ]);
    expect(cache.size).toBe(256);
  });

  it('never reads past the end of the last, shorter piece', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 1024 });
    // piece 3 holds bytes 768..999: 232 bytes, windows of 128 and 104
    expect(await cache.read(3, 128, 100)).toEqual(data.slice(896, 996));
    expect(disk.reads).toEqual([[3, 128, 104]]);
  });

  it('shares one read between requests that arrive while it is in flight', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 256, capacity: 1024 });
    const blocks = await Promise.all([
      cache.read(0, 0, 16),
      cache.read(0, 16, 16),
      cache.read(0, 240, 16),
    ]);
    expect(blocks).toEqual([data.slice(0, 16), data.slice(16, 32), data.slice(240, 256)]);
    expect(disk.reads).toEqual([[0, 0, 256]]);
  });

  it('peeks at a block only when its window was read, and lends it like read', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 128 });
    expect(cache.peek(0, 0, 16)).toBeUndefined();
    const pending = cache.read(0, 0, 16);
    expect(cache.peek(0, 16, 16)).toBeUndefined(); // still being read
    await pending;
    const peeked = cache.peek(0, 16, 16)!;
    expect(peeked).toEqual(data.slice(16, 32));
    expect(cache.peek(0, 120, 16)).toBeUndefined(); // past the window
    await cache.read(1, 0, 16); // evicts piece 0's window, still lent by the peek
    expect(peeked).toEqual(data.slice(16, 32));
    expect(disk.reads).toEqual([
      [0, 0, 128],
      [1, 0, 128],
    ]);
  });

  it('reads a block that straddles two windows on its own', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 1024 });
    expect(await cache.read(0, 120, 16)).toEqual(data.slice(120, 136));
    expect(disk.reads).toEqual([[0, 120, 16]]);
    expect(cache.size).toBe(0);
  });

  it('holds at most its capacity, dropping the least recently used window', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 256 });
    await cache.read(0, 0, 16);
    await cache.read(1, 0, 16);
    await cache.read(0, 16, 16); // piece 0 is now the most recent
    await cache.read(2, 0, 16); // evicts piece 1
    expect(cache.size).toBe(256);
    await cache.read(0, 32, 16);
    await cache.read(1, 32, 16);
    expect(disk.reads).toEqual([
      [0, 0, 128],
      [1, 0, 128],
      [2, 0, 128],
      [1, 0, 128],
    ]);
  });

  it('never reuses the memory of a view that was not given back', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 128 });
    const view = await cache.read(0, 16, 16);
    await cache.read(1, 0, 16); // evicts piece 0's window, still lent
    await cache.read(2, 0, 16);
    cache.forget(2);
    await cache.read(3, 0, 16);
    cache.clear();
    expect(view).toEqual(data.slice(16, 32));
    expect(cache.size).toBe(0);
  });

  it('reuses the memory of an evicted window once every view of it is given back', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 128 });
    const first = await cache.read(0, 0, 16);
    const second = await cache.read(0, 16, 16);
    const other = await cache.read(1, 0, 16); // evicts piece 0's window, lent twice: not reused
    expect(other.buffer).not.toBe(first.buffer);
    cache.release(other);
    cache.release(first);
    const reused = await cache.read(2, 0, 16); // evicts piece 1's window, given back: reused
    expect(reused.buffer).toBe(other.buffer);
    expect(reused).toEqual(data.slice(512, 528));
    expect(second).toEqual(data.slice(16, 32));
    expect(first.buffer).toBe(second.buffer);
    expect(disk.reads).toEqual([
      [0, 0, 128],
      [1, 0, 128],
      [2, 0, 128],
    ]);
  });

  it('ignores a view it did not lend, and a second release of one it did', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 128 });
    const view = await cache.read(0, 0, 16);
    const again = await cache.read(0, 16, 16);
    cache.release(new Uint8Array(16));
    cache.release(view);
    cache.release(view);
    await cache.read(1, 0, 16); // evicts piece 0's window: `again` is still lent
    await cache.read(2, 0, 16);
    expect(again).toEqual(data.slice(16, 32));
  });

  it('does not keep a failed read, and reads again next time', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 1024 });
    disk.failNext();
    await expect(cache.read(0, 0, 16)).rejects.toThrow('disk gone');
    expect(await cache.read(0, 0, 16)).toEqual(data.slice(0, 16));
    expect(disk.reads).toEqual([
      [0, 0, 128],
      [0, 0, 128],
    ]);
  });

  it('forgets the windows of a piece that is no longer complete', async () => {
    const disk = backend(data, 256);
    const cache = new PieceReadCache({ ...disk, windowSize: 128, capacity: 1024 });
    await cache.read(0, 0, 16);
    await cache.read(0, 128, 16);
    await cache.read(1, 0, 16);
    cache.forget(0);
    expect(cache.size).toBe(128);
    await cache.read(0, 0, 16);
    expect(disk.reads.filter(([index]) => index === 0)).toHaveLength(3);
  });
});
