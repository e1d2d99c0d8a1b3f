/**
 * The read side of seeding: verified pieces are read from the back-end in whole windows (up to
 * 1 MiB, never across a piece's end) and the blocks peers ask for are lent as views of them.
 * A peer asks for the blocks of a piece one after another, so one read serves dozens of
 * requests: one trip to the I/O threads and one allocation per window instead of per 16 KiB
 * block, which is where a seeder spends its CPU otherwise.
 *
 * Windows are held least recently used first out, up to `capacity` bytes. A window is never
 * written to once read and never reused by us: a view handed out stays valid for as long as its
 * holder keeps it (a socket write in progress), and the memory goes back to the allocator when
 * the last view is dropped.
 */

export interface PieceReadCacheOptions {
  /** Bytes of a piece (the last one may be shorter: `pieceSize`). */
  pieceSize: (pieceIndex: number) => number;
  /** Reads `length` bytes of a verified piece from `offset` into a new array. */
  read: (pieceIndex: number, offset: number, length: number) => Promise<Uint8Array>;
  /** Bytes of windows kept. Default 32 MiB. */
  capacity?: number;
  /** Bytes read at once. Default 1 MiB. */
  windowSize?: number;
}

interface Window {
  pieceIndex: number;
  bytes: Uint8Array | undefined;
  pending: Promise<Uint8Array> | undefined;
}

export const DEFAULT_READ_CACHE_SIZE = 32 * 1024 * 1024;
export const DEFAULT_READ_WINDOW = 1024 * 1024;

export class PieceReadCache {
  private readonly options: PieceReadCacheOptions;
  private readonly capacity: number;
  private readonly windowSize: number;
  /** In least recently used order (a hit moves its window to the end). */
  private readonly windows = new Map<number, Window>();
  private heldBytes = 0;

  constructor(options: PieceReadCacheOptions) {
    this.options = options;
    this.capacity = options.capacity ?? DEFAULT_READ_CACHE_SIZE;
    this.windowSize = options.windowSize ?? DEFAULT_READ_WINDOW;
  }

  /** Bytes held in windows that were read. */
  get size(): number {
    return this.heldBytes;
  }

  /**
   * A view of `length` bytes of a verified piece from `offset`. Reads the window holding them
   * unless it is here; a block that straddles two windows is read on its own.
   */
  async read(pieceIndex: number, offset: number, length: number): Promise<Uint8Array> {
    const window = Math.floor(offset / this.windowSize);
    const start = window * this.windowSize;
    const end = Math.min(start + this.windowSize, this.options.pieceSize(pieceIndex));
    if (offset + length > end || this.capacity < this.windowSize) {
      return this.options.read(pieceIndex, offset, length);
    }
    // windows per piece stay below 4096 (a window is at least 16 KiB, a piece at most 64 MiB)
    const key = pieceIndex * 4096 + window;
    let entry = this.windows.get(key);
    if (entry === undefined) {
      entry = { pieceIndex, bytes: undefined, pending: undefined };
      this.windows.set(key, entry);
      const created = entry;
      created.pending = this.options.read(pieceIndex, start, end - start).then(
        (bytes) => {
          created.pending = undefined;
          if (this.windows.get(key) === created) {
            created.bytes = bytes;
            this.heldBytes += bytes.length;
            this.evict();
          }
          return bytes;
        },
        (error: unknown) => {
          if (this.windows.get(key) === created) this.windows.delete(key);
          throw error;
        },
      );
    } else {
      this.windows.delete(key);
      this.windows.set(key, entry);
    }
    const bytes = entry.bytes ?? (await entry.pending!);
    return bytes.subarray(offset - start, offset - start + length);
  }

  /** Drops the windows of a piece (it is no longer complete, or its files changed). */
  forget(pieceIndex: number): void {
    for (const [key, entry] of this.windows) {
      if (entry.pieceIndex === pieceIndex) this.drop(key, entry);
    }
  }

  clear(): void {
    this.windows.clear();
    this.heldBytes = 0;
  }

  private evict(): void {
    for (const [key, entry] of this.windows) {
      if (this.heldBytes <= this.capacity) return;
      if (entry.bytes !== undefined) this.drop(key, entry);
    }
  }

  private drop(key: number, entry: Window): void {
    this.windows.delete(key);
    if (entry.bytes !== undefined) this.heldBytes -= entry.bytes.length;
  }
}
