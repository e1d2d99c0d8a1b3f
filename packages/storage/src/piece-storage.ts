/**
 * The engine-facing half of every storage: partial pieces held in a bounded cache of shared
 * memory, verification on the hash pool when the caller asks for it (`verifyPiece`: the caller,
 * which knows which blocks it asked for, says when a piece is whole; the storage only stores),
 * verified pieces handed to a `StorageBackend`, the set of complete pieces, recheck and
 * checkpoints.
 *
 * Cache policy: partial pieces live in memory up to `cacheSize` bytes (64 MiB by default).
 * When a new piece needs room and the cache is full, it waits while pieces are on their way to
 * the disk (their memory comes back as soon as they are hashed and written: back-pressure on
 * the peers, not extra disk work); when partial pieces alone fill it, the least recently
 * touched one is spilled: its received blocks are written to the back-end unverified (never counted
 * complete) and its further blocks go straight to the back-end; when it is verified it is
 * read back and hashed there. Memory stays bounded whatever the peers do.
 *
 * Durability: a piece is reported complete only after its bytes were handed to the back-end
 * (for files: written to the OS, so they survive the process being killed). `flush()` makes
 * them durable (fsync); it runs every `checkpointInterval` ms, in the background each time
 * `checkpointBytes` of verified data were written since the last one, and on `close()`.
 */
import { Bitfield } from '@bt/primitives';
import { rethrowPoolError, StorageError } from './errors.js';
import type { HashPool, PieceCheckResult } from '@bt/metainfo/node';
import { pieceCount, pieceSize } from '@bt/metainfo';
import { type TorrentLayout, verificationOf } from './layout.js';
import { PieceArena } from './piece-arena.js';
import { RangeSet } from './ranges.js';
import { DEFAULT_READ_WINDOW, PieceReadCache } from './read-cache.js';
import type {
  PieceVerdict,
  RecheckOptions,
  Storage,
  StorageBackend,
  WriteBlockOptions,
} from './storage.js';

export interface PieceStorageOptions {
  layout: TorrentLayout;
  backend: StorageBackend;
  pool: HashPool;
  /** Close the pool with the storage (when the storage created it). */
  ownsPool?: boolean;
  /** Bytes of memory for partial pieces. Default 64 MiB. */
  cacheSize?: number;
  /** Milliseconds between automatic checkpoints (`flush`). Default 10 000; 0 disables. */
  checkpointInterval?: number;
  /**
   * Bytes of verified pieces written after which a checkpoint starts in the background, so
   * durability never lags far behind and the disk flushes while downloading. Default 64 MiB;
   * 0 disables.
   */
  checkpointBytes?: number;
  /** Bytes of verified pieces kept in memory for uploads (`PieceReadCache`). Default 32 MiB; 0 disables. */
  readCacheSize?: number;
}

interface PartialPiece {
  index: number;
  size: number;
  received: RangeSet;
  /** Shared memory holding the piece while it is cached; undefined once spilled. */
  buffer: Uint8Array | undefined;
  /** Set while the cached blocks are being written out. */
  spilling: Promise<void> | undefined;
  /** Why the piece's blocks could not be stored (a spill or a write failed, no memory). */
  failure: Error | undefined;
  /** Set while memory is being found for the piece. */
  allocating: Promise<void> | undefined;
  /** Blocks on their way: waiting for memory or a spill, or being written to the back-end. */
  pendingWrites: Set<Promise<void>>;
  /** The verdict, once `verifyPiece` was asked: no block is stored after that. */
  verifying: Promise<PieceVerdict> | undefined;
  touched: number;
}

export const DEFAULT_CACHE_SIZE = 64 * 1024 * 1024;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

export class PieceStorage implements Storage {
  readonly pieceCount: number;
  private readonly layout: TorrentLayout;
  private readonly backend: StorageBackend;
  private readonly pool: HashPool;
  private readonly ownsPool: boolean;
  private readonly cacheSize: number;
  private readonly complete: Bitfield;
  private readonly partials = new Map<number, PartialPiece>();
  /** The memory partial pieces are held in: `cacheSize` bytes cut into one slot per piece. */
  private readonly arena: PieceArena;
  /** Windows of verified pieces read for uploads. */
  private readonly reads: PieceReadCache;
  /** Pieces waiting for memory that a verification in flight will give back. */
  private readonly releaseWaiters: (() => void)[] = [];
  private clock = 0;
  private closed = false;
  private checkpointTimer: ReturnType<typeof setInterval> | undefined;
  private checkpointFailure: Error | undefined;
  private flushing: Promise<void> | undefined;
  private readonly checkpointBytes: number;
  private bytesSinceCheckpoint = 0;

  constructor(options: PieceStorageOptions) {
    this.layout = options.layout;
    this.backend = options.backend;
    this.pool = options.pool;
    this.ownsPool = options.ownsPool ?? false;
    this.cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.arena = new PieceArena(options.layout.pieceLength, this.cacheSize);
    this.pieceCount = pieceCount(options.layout);
    this.complete = new Bitfield(this.pieceCount);
    this.reads = new PieceReadCache({
      pieceSize: (index) => pieceSize(this.layout, index),
      readInto: async (index, offset, target) => {
        await this.backend.read(index, offset, target.length, target);
      },
      capacity: options.readCacheSize,
      windowSize: Math.min(DEFAULT_READ_WINDOW, options.layout.pieceLength),
    });
    this.checkpointBytes = options.checkpointBytes ?? 64 * 1024 * 1024;
    const interval = options.checkpointInterval ?? 10_000;
    if (interval > 0) {
      this.checkpointTimer = setInterval(() => {
        this.flush().catch((error: unknown) => {
          this.checkpointFailure = asError(error);
        });
      }, interval);
      this.checkpointTimer.unref();
    }
  }

  get memoryPieces(): number {
    return this.arena.slots;
  }

  hasPiece(pieceIndex: number): boolean {
    return this.complete.has(pieceIndex);
  }

  completePieces(): Bitfield {
    return this.complete.clone();
  }

  /** Bytes of memory held by partial pieces now (reusable spare buffers not counted). */
  cachedSize(): number {
    let total = 0;
    for (const partial of this.partials.values()) total += partial.buffer?.length ?? 0;
    return total;
  }

  async writeBlock(
    pieceIndex: number,
    offset: number,
    bytes: Uint8Array,
    options: WriteBlockOptions = {},
  ): Promise<void> {
    this.assertOpen();
    this.throwCheckpointFailure();
    options.signal?.throwIfAborted();
    const size = this.checkBlock(pieceIndex, offset, bytes.length);
    if (this.complete.has(pieceIndex)) return;
    let partial = this.partials.get(pieceIndex);
    if (partial === undefined) partial = this.startPartial(pieceIndex, size);
    if (partial.verifying !== undefined) return;
    partial.touched = ++this.clock;
    if (
      partial.buffer !== undefined &&
      partial.allocating === undefined &&
      partial.spilling === undefined
    ) {
      partial.buffer.set(bytes, offset);
      partial.received.add(offset, offset + bytes.length);
      return;
    }
    // The block waits (for memory, for a spill) or goes to the back-end: keep a copy, so the
    // caller's buffer (often a view of a socket chunk holding more) is free once this returns.
    const store = this.storeLater(partial, offset, bytes.slice());
    const pending = partial.pendingWrites;
    pending.add(store);
    const settled = (): void => void pending.delete(store);
    store.then(settled, settled);
    return store;
  }

  private startPartial(pieceIndex: number, size: number): PartialPiece {
    const partial: PartialPiece = {
      index: pieceIndex,
      size,
      received: new RangeSet(),
      buffer: undefined,
      spilling: undefined,
      failure: undefined,
      allocating: undefined,
      pendingWrites: new Set(),
      verifying: undefined,
      touched: ++this.clock,
    };
    this.partials.set(pieceIndex, partial);
    // memory at hand is taken at once, so no block of the piece has to wait
    partial.buffer = this.arena.take(size);
    if (partial.buffer === undefined) {
      partial.allocating = this.allocate(size).then(
        (buffer) => {
          partial.allocating = undefined;
          if (this.partials.get(pieceIndex) === partial && !this.closed) partial.buffer = buffer;
          else if (buffer !== undefined) this.release(buffer);
        },
        (error: unknown) => {
          partial.allocating = undefined;
          partial.failure = asError(error);
        },
      );
    }
    return partial;
  }

  /** Stores a block that had to wait: in the piece's memory once it has some, else on the back-end. */
  private async storeLater(
    partial: PartialPiece,
    offset: number,
    bytes: Uint8Array,
  ): Promise<void> {
    if (partial.allocating !== undefined) await partial.allocating;
    if (partial.spilling !== undefined) await partial.spilling;
    if (this.partials.get(partial.index) !== partial) return;
    if (partial.failure !== undefined) throw partial.failure;
    if (partial.buffer !== undefined) {
      partial.buffer.set(bytes, offset);
      partial.received.add(offset, offset + bytes.length);
      return;
    }
    // a spilled piece: its blocks go straight to the back-end, unverified
    try {
      await this.backend.write(partial.index, offset, bytes);
    } catch (error) {
      partial.failure ??= asError(error);
      throw error;
    }
    partial.received.add(offset, offset + bytes.length);
  }

  async readBlock(
    pieceIndex: number,
    offset: number,
    length: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    this.assertOpen();
    options.signal?.throwIfAborted();
    this.checkBlock(pieceIndex, offset, length);
    if (!this.complete.has(pieceIndex)) {
      throw new StorageError('piece-not-complete', `piece ${pieceIndex} is not complete`, {
        pieceIndex,
      });
    }
    try {
      return await this.reads.read(pieceIndex, offset, length);
    } catch (error) {
      if (StorageError.isInstance(error) && error.code === 'file-missing')
        this.complete.clear(pieceIndex);
      this.reads.forget(pieceIndex);
      throw error;
    }
  }

  peekBlock(pieceIndex: number, offset: number, length: number): Uint8Array | undefined {
    if (this.closed || !this.complete.has(pieceIndex)) return undefined;
    return this.reads.peek(pieceIndex, offset, length);
  }

  releaseBlock(block: Uint8Array): void {
    this.reads.release(block);
  }

  async verifyPiece(
    pieceIndex: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<PieceVerdict> {
    this.assertOpen();
    this.checkBlock(pieceIndex, 0, 0);
    const partial = this.partials.get(pieceIndex);
    if (partial !== undefined) {
      partial.verifying ??= this.verifyPartial(partial, options.signal);
      return partial.verifying;
    }
    // nothing received since: the piece as the back-end holds it
    const [result] = await this.backend.check([pieceIndex], { signal: options.signal });
    return { index: pieceIndex, ok: this.applyResult(result as PieceCheckResult) };
  }

  async recheck(options: RecheckOptions = {}): Promise<Bitfield> {
    this.assertOpen();
    const indices: number[] = [];
    for (let index = 0; index < this.pieceCount; index++) {
      if (this.partials.get(index)?.verifying === undefined) indices.push(index);
    }
    const totalBytes = this.layout.length;
    let checkedPieces = 0;
    let checkedBytes = 0;
    let validPieces = 0;
    await this.backend.check(indices, {
      signal: options.signal,
      onResults: (results) => {
        for (const result of results) {
          checkedPieces++;
          checkedBytes += pieceSize(this.layout, result.index);
          if (this.applyResult(result)) {
            validPieces++;
            // Found whole on disk: blocks held for it in memory are no longer needed.
            const partial = this.partials.get(result.index);
            if (partial !== undefined && partial.verifying === undefined) this.discard(partial);
          }
        }
        options.onProgress?.({
          checkedPieces,
          totalPieces: indices.length,
          validPieces,
          checkedBytes,
          totalBytes,
        });
      },
    });
    return this.complete.clone();
  }

  async setFileWanted(fileIndex: number, wanted: boolean): Promise<void> {
    this.assertOpen();
    await this.backend.setFileWanted?.(fileIndex, wanted);
  }

  async flush(): Promise<void> {
    this.assertOpen();
    this.throwCheckpointFailure();
    if (this.flushing !== undefined) return this.flushing;
    this.flushing = (async () => {
      try {
        const lost = await this.backend.flush();
        if (lost.length > 0) {
          for (const index of lost) {
            this.complete.clear(index);
            this.reads.forget(index);
          }
          throw new StorageError(
            'file-missing',
            `${lost.length} complete pieces were lost: a file was deleted`,
            {
              pieceIndex: lost[0],
            },
          );
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.checkpointTimer !== undefined) clearInterval(this.checkpointTimer);
    let failure: Error | undefined;
    try {
      await this.flush();
    } catch (error) {
      failure = asError(error);
    }
    this.closed = true;
    this.wakeAllocators();
    this.partials.clear();
    this.reads.clear();
    await this.backend.close();
    if (this.ownsPool) await this.pool.close();
    if (failure !== undefined) throw failure;
  }

  private applyResult(result: PieceCheckResult): boolean {
    if (result.status === 'error') {
      const path = result.errorPath;
      throw new StorageError(
        result.errorCode === 'EACCES' || result.errorCode === 'EPERM'
          ? 'permission-denied'
          : 'io-failed',
        `cannot read piece ${result.index}${path === undefined ? '' : ` from ${path}`}: ${result.errorCode ?? 'error'}`,
        { pieceIndex: result.index, systemCode: result.errorCode, path },
      );
    }
    const ok = result.status === 'ok';
    if (ok) this.complete.set(result.index);
    else {
      this.complete.clear(result.index);
      this.reads.forget(result.index);
    }
    return ok;
  }

  private async verifyPartial(
    partial: PartialPiece,
    signal: AbortSignal | undefined,
  ): Promise<PieceVerdict> {
    const index = partial.index;
    try {
      // every block handed over before the verdict was asked is stored first
      while (partial.pendingWrites.size > 0) await Promise.allSettled([...partial.pendingWrites]);
      if (partial.allocating !== undefined) await partial.allocating;
      if (partial.failure !== undefined) throw partial.failure;
      let ok: boolean;
      if (partial.buffer !== undefined) {
        const { expected, hash } = verificationOf(this.layout, index);
        if (this.backend.writeVerified !== undefined) {
          ok = await this.backend.writeVerified(index, partial.buffer, expected, {
            signal,
            alignedMemory: this.arena.aligned,
            hash,
          });
        } else {
          const digest = await this.pool
            .digest(partial.buffer, { signal, hash })
            .catch(rethrowPoolError);
          ok = sameBytes(digest, expected);
          if (ok) await this.backend.write(index, 0, partial.buffer);
        }
        if (ok) this.wrote(partial.size);
      } else {
        const [result] = await this.backend.check([index], { signal });
        ok = (result as PieceCheckResult).status === 'ok';
        if (ok) this.wrote(partial.size);
        if ((result as PieceCheckResult).status === 'error')
          this.applyResult(result as PieceCheckResult);
      }
      if (this.closed) throw new StorageError('closed', 'the storage is closed');
      if (ok) this.complete.set(index);
      return { index, ok };
    } finally {
      this.discard(partial);
    }
  }

  /** Counts verified bytes written; starts a background checkpoint past `checkpointBytes`. */
  private wrote(bytes: number): void {
    if (this.checkpointBytes <= 0) return;
    this.bytesSinceCheckpoint += bytes;
    if (
      this.bytesSinceCheckpoint < this.checkpointBytes ||
      this.flushing !== undefined ||
      this.closed
    )
      return;
    this.bytesSinceCheckpoint = 0;
    this.flush().catch((error: unknown) => {
      this.checkpointFailure = asError(error);
    });
  }

  /** Forgets a partial piece and gives its memory back. */
  private discard(partial: PartialPiece): void {
    if (this.partials.get(partial.index) === partial) this.partials.delete(partial.index);
    const buffer = partial.buffer;
    partial.buffer = undefined;
    if (buffer !== undefined) this.release(buffer);
  }

  private release(buffer: Uint8Array): void {
    if (!this.closed) this.arena.give(buffer);
    this.wakeAllocators();
  }

  /** Lets pieces waiting for memory look again. */
  private wakeAllocators(): void {
    for (const wake of this.releaseWaiters.splice(0)) wake();
  }

  /**
   * Finds room for a piece in the cache; undefined when it cannot. Memory held by pieces on their
   * way to the disk (being hashed and written) comes back soon: the piece waits for it, which
   * slows the peers down instead of spilling a piece still being filled (spilling costs a write
   * and a read back). Only when partial pieces fill the cache is the least recently touched one
   * spilled.
   */
  private async allocate(size: number): Promise<Uint8Array | undefined> {
    for (;;) {
      const slot = this.arena.take(size);
      if (slot !== undefined) return slot;
      if (this.closed) return undefined;
      if (this.verifyingInMemory()) {
        await new Promise<void>((resolve) => this.releaseWaiters.push(resolve));
        continue;
      }
      const victim = this.leastRecentlyTouched();
      if (victim === undefined) return undefined;
      await this.spill(victim);
    }
  }

  /** True when some piece held in memory is being verified (its memory returns soon). */
  private verifyingInMemory(): boolean {
    for (const partial of this.partials.values())
      if (partial.verifying !== undefined && partial.buffer !== undefined) return true;
    return false;
  }

  private leastRecentlyTouched(): PartialPiece | undefined {
    let victim: PartialPiece | undefined;
    for (const partial of this.partials.values()) {
      if (
        partial.buffer === undefined ||
        partial.verifying !== undefined ||
        partial.spilling !== undefined
      )
        continue;
      if (victim === undefined || partial.touched < victim.touched) victim = partial;
    }
    return victim;
  }

  private spill(partial: PartialPiece): Promise<void> {
    const buffer = partial.buffer as Uint8Array;
    partial.buffer = undefined;
    partial.spilling = (async () => {
      try {
        for (const [start, end] of partial.received.ranges()) {
          await this.backend.write(partial.index, start, buffer.subarray(start, end));
        }
      } catch (error) {
        partial.failure = asError(error);
      } finally {
        partial.spilling = undefined;
        if (!this.closed) this.arena.give(buffer);
      }
    })();
    return partial.spilling;
  }

  private checkBlock(pieceIndex: number, offset: number, length: number): number {
    if (!Number.isInteger(pieceIndex) || pieceIndex < 0 || pieceIndex >= this.pieceCount) {
      throw new StorageError(
        'invalid-block',
        `piece ${pieceIndex} out of range (0..${this.pieceCount - 1})`,
        { pieceIndex },
      );
    }
    const size = pieceSize(this.layout, pieceIndex);
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > size
    ) {
      throw new StorageError(
        'invalid-block',
        `block ${offset}+${length} outside piece ${pieceIndex} of ${size} bytes`,
        {
          pieceIndex,
        },
      );
    }
    return size;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('closed', 'the storage is closed');
  }

  private throwCheckpointFailure(): void {
    if (this.checkpointFailure === undefined) return;
    const error = this.checkpointFailure;
    this.checkpointFailure = undefined;
    throw error;
  }
}
