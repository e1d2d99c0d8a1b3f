/**
 * The read side of seeding: verified pieces are read from the back-end in whole windows (up to
 * 1 MiB, never across a piece's end) and the blocks peers ask for are lent as views of them.
 * A peer asks for the blocks of a piece one after another, so one read serves dozens of
 * requests: one trip to the I/O threads per window instead of per 16 KiB block, which is where a
 * seeder spent most of its CPU.
 *
 * Windows are held least recently used first out, up to `capacity` bytes, and their memory is
 * reused rather than left to the garbage collector (fresh megabytes cost page faults and full
 * collections). Reuse is safe by counting: every view handed out counts as a lend of its window
 * until the borrower gives it back with `release`; a window is reused only once it is evicted
 * and has no lends. A borrower that never calls `release` only means that window is never reused
 * (its memory is collected as usual): a view stays valid for as long as anyone holds it.
 */

export interface PieceReadCacheOptions {
  /** Bytes of a piece (the last one may be shorter). */
  pieceSize: (pieceIndex: number) => number;
  /** Reads `target.length` bytes of a verified piece from `offset` into `target`. */
  readInto: (pieceIndex: number, offset: number, target: Uint8Array) => Promise<void>;
  /** Bytes of windows kept. Default 32 MiB. */
  capacity?: number;
  /** Bytes read at once. Default 1 MiB. */
  windowSize?: number;
}

interface Window {
  pieceIndex: number;
  /** Memory of `windowSize` bytes; the window's bytes are its first `length`. */
  memory: Uint8Array;
  length: number;
  /** Set while the read is in flight. */
  pending: Promise<void> | undefined;
  /** Views handed out and not given back. */
  lent: Set<Uint8Array>;
  /** No longer in the cache: its memory goes back to the pool when the last lend returns. */
  evicted: boolean;
}

export const DEFAULT_READ_CACHE_SIZE = 32 * 1024 * 1024;
export const DEFAULT_READ_WINDOW = 1024 * 1024;

export class PieceReadCache {
  private readonly options: PieceReadCacheOptions;
  private readonly capacity: number;
  private readonly windowSize: number;
  /** In least recently used order (a hit moves its window to the end). */
  private readonly windows = new Map<number, Window>();
  /** The window each lent view belongs to, by its memory. */
  private readonly byMemory = new WeakMap<ArrayBufferLike, Window>();
  /** Memory of windows that were evicted and have no lends, ready for reuse. */
  private readonly free: Uint8Array[] = [];
  /**
   * Memory of the windows in the cache and of the free list (`windowSize` each), brought back to
   * `capacity` after each read. Windows evicted while lent are not counted: their borrowers hold
   * them, and they rejoin the pool when given back, if there is room.
   */
  private ownedBytes = 0;
  private heldBytes = 0;

  constructor(options: PieceReadCacheOptions) {
    this.options = options;
    this.capacity = options.capacity ?? DEFAULT_READ_CACHE_SIZE;
    this.windowSize = options.windowSize ?? DEFAULT_READ_WINDOW;
  }

  /** Bytes of windows in the cache. */
  get size(): number {
    return this.heldBytes;
  }

  /**
   * A view of `length` bytes of a verified piece from `offset`, lent until `release(view)`.
   * Reads the window holding them unless it is here; a block that straddles two windows is read
   * on its own (and owned by the caller).
   */
  async read(pieceIndex: number, offset: number, length: number): Promise<Uint8Array> {
    const window = Math.floor(offset / this.windowSize);
    const start = window * this.windowSize;
    const end = Math.min(start + this.windowSize, this.options.pieceSize(pieceIndex));
    if (offset + length > end || this.capacity < this.windowSize) {
      const bytes = new Uint8Array(length);
      await this.options.readInto(pieceIndex, offset, bytes);
      return bytes;
    }
    // windows per piece stay below 4096 (a window is at least 16 KiB, a piece at most 64 MiB)
    const key = pieceIndex * 4096 + window;
    let entry = this.windows.get(key);
    if (entry === undefined) {
      entry = this.load(key, pieceIndex, start, end - start);
    } else {
      this.windows.delete(key);
      this.windows.set(key, entry);
    }
    const view = entry.memory.subarray(offset - start, offset - start + length);
    entry.lent.add(view);
    try {
      if (entry.pending !== undefined) await entry.pending;
    } catch (error) {
      this.giveBack(entry, view);
      throw error;
    }
    return view;
  }

  /**
   * The block at once when its window is here and read (lent like `read`'s), else `undefined`:
   * a seeder answers a request in the same turn it arrived.
   */
  peek(pieceIndex: number, offset: number, length: number): Uint8Array | undefined {
    const window = Math.floor(offset / this.windowSize);
    const start = window * this.windowSize;
    const entry = this.windows.get(pieceIndex * 4096 + window);
    if (entry === undefined || entry.pending !== undefined) return undefined;
    if (offset + length > start + entry.length) return undefined;
    const view = entry.memory.subarray(offset - start, offset - start + length);
    entry.lent.add(view);
    return view;
  }

  /**
   * Gives back a view `read` lent; once all views of an evicted window are back, its memory is
   * reused. Views it did not lend, and views given back already, are ignored.
   */
  release(view: Uint8Array): void {
    const entry = this.byMemory.get(view.buffer);
    if (entry !== undefined) this.giveBack(entry, view);
  }

  /** Drops the windows of a piece (it is no longer complete, or its files changed). */
  forget(pieceIndex: number): void {
    for (const [key, entry] of this.windows) {
      if (entry.pieceIndex === pieceIndex) this.evict(key, entry);
    }
  }

  clear(): void {
    for (const [key, entry] of this.windows) this.evict(key, entry);
    this.ownedBytes -= this.free.length * this.windowSize;
    this.free.length = 0;
  }

  private load(key: number, pieceIndex: number, start: number, length: number): Window {
    this.makeRoom();
    const memory = this.allocate();
    const entry: Window = {
      pieceIndex,
      memory,
      length,
      pending: undefined,
      lent: new Set(),
      evicted: false,
    };
    this.byMemory.set(memory.buffer, entry);
    this.windows.set(key, entry);
    this.heldBytes += length;
    entry.pending = this.options.readInto(pieceIndex, start, memory.subarray(0, length)).then(
      () => {
        entry.pending = undefined;
        this.shrink();
      },
      (error: unknown) => {
        entry.pending = undefined;
        if (this.windows.get(key) === entry) this.evict(key, entry);
        throw error;
      },
    );
    // the borrowers see the failure; this copy of the promise must not count as unhandled
    entry.pending.catch(() => undefined);
    return entry;
  }

  /** Evicts least recently used windows until one more fits (their memory is then reused). */
  private makeRoom(): void {
    for (const [key, entry] of this.windows) {
      if (this.free.length > 0 || this.ownedBytes + this.windowSize <= this.capacity) return;
      if (entry.pending === undefined) this.evict(key, entry);
    }
  }

  /** Memory for a window: from the free list, else new. */
  private allocate(): Uint8Array {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    this.ownedBytes += this.windowSize;
    return new Uint8Array(this.windowSize);
  }

  /** Back to the capacity once reads that overran it (all windows were in flight) are done. */
  private shrink(): void {
    while (this.ownedBytes > this.capacity && this.free.length > 0) {
      this.free.pop();
      this.ownedBytes -= this.windowSize;
    }
    for (const [key, entry] of this.windows) {
      if (this.ownedBytes <= this.capacity) return;
      if (entry.pending === undefined) this.evict(key, entry);
    }
  }

  /** Takes a window out of the cache; its memory leaves the pool until its lends come back. */
  private evict(key: number, entry: Window): void {
    this.windows.delete(key);
    this.heldBytes -= entry.length;
    this.ownedBytes -= this.windowSize;
    entry.evicted = true;
    if (entry.lent.size === 0) this.recycle(entry);
  }

  private giveBack(entry: Window, view: Uint8Array): void {
    if (!entry.lent.delete(view)) return;
    if (entry.lent.size === 0 && entry.evicted) this.recycle(entry);
  }

  /** An evicted window nobody borrows: its memory rejoins the pool if there is room. */
  private recycle(entry: Window): void {
    this.byMemory.delete(entry.memory.buffer);
    if (this.ownedBytes + this.windowSize <= this.capacity) {
      this.ownedBytes += this.windowSize;
      this.free.push(entry.memory);
    }
  }
}
