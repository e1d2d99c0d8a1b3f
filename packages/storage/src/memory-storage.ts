/**
 * A `Storage` that keeps the content in memory, for tests and short-lived tools. Same
 * verification, cache and verdict rules as the file storage; pieces are kept in shared memory
 * so the hash pool reads them in place.
 */
import {
  createHashPool,
  type HashPool,
  type HashPoolOptions,
  type PieceCheckResult,
} from '@bt/metainfo/node';
import { pieceSize } from '@bt/metainfo';
import { rethrowPoolError } from './errors.js';
import { type TorrentLayout, validateLayout, verificationOf } from './layout.js';
import { PieceStorage } from './piece-storage.js';
import type { StorageBackend } from './storage.js';

export interface MemoryStorageOptions {
  layout: TorrentLayout;
  hashPool?: HashPool;
  hashPoolOptions?: HashPoolOptions;
  /** Bytes of memory for partial pieces. Default 64 MiB. */
  cacheSize?: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

class MemoryBackend implements StorageBackend {
  private readonly layout: TorrentLayout;
  private readonly pool: HashPool;
  private readonly pieces = new Map<number, Uint8Array>();

  constructor(layout: TorrentLayout, pool: HashPool) {
    this.layout = layout;
    this.pool = pool;
  }

  write(pieceIndex: number, pieceOffset: number, bytes: Uint8Array): Promise<void> {
    let piece = this.pieces.get(pieceIndex);
    if (piece === undefined) {
      piece = new Uint8Array(new SharedArrayBuffer(pieceSize(this.layout, pieceIndex)));
      this.pieces.set(pieceIndex, piece);
    }
    piece.set(bytes, pieceOffset);
    return Promise.resolve();
  }

  read(
    pieceIndex: number,
    pieceOffset: number,
    length: number,
    into?: Uint8Array,
  ): Promise<Uint8Array> {
    const piece = this.pieces.get(pieceIndex);
    const result = into?.subarray(0, length) ?? new Uint8Array(length);
    if (piece !== undefined) result.set(piece.subarray(pieceOffset, pieceOffset + length));
    else result.fill(0);
    return Promise.resolve(result);
  }

  async check(
    indices: number[],
    options: { signal?: AbortSignal; onResults?: (results: PieceCheckResult[]) => void },
  ): Promise<PieceCheckResult[]> {
    return Promise.all(
      indices.map(async (index) => {
        const piece = this.pieces.get(index);
        let result: PieceCheckResult;
        if (piece === undefined) {
          result = { index, status: 'missing' };
        } else {
          const { expected, hash } = verificationOf(this.layout, index);
          const digest = await this.pool
            .digest(piece, { signal: options.signal, hash })
            .catch(rethrowPoolError);
          result = { index, status: sameBytes(digest, expected) ? 'ok' : 'mismatch' };
        }
        options.onResults?.([result]);
        return result;
      }),
    );
  }

  flush(): Promise<number[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    this.pieces.clear();
    return Promise.resolve();
  }
}

/** A `Storage` held in memory. */
export function createMemoryStorage(options: MemoryStorageOptions): PieceStorage {
  validateLayout(options.layout);
  const ownsPool = options.hashPool === undefined;
  const pool = options.hashPool ?? createHashPool(options.hashPoolOptions);
  return new PieceStorage({
    layout: options.layout,
    backend: new MemoryBackend(options.layout, pool),
    pool,
    ownsPool,
    cacheSize: options.cacheSize,
    // the pieces are in memory already
    readCacheSize: 0,
    checkpointInterval: 0,
  });
}
