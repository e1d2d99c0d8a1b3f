/**
 * The `Storage` interface the session engine writes downloaded blocks to and reads uploads
 * from, and the `StorageBackend` a new place to keep data (memory, files, an object store)
 * implements to get verification, bounded piece caching and recheck for free.
 */
import type { Bitfield } from '@bt/primitives';
import type { PieceHashFunction } from '@bt/metainfo';
import type { PieceCheckResult } from '@bt/metainfo/node';

/** The outcome of verifying a piece (BEP 3: its SHA-1 against the torrent's). */
export interface PieceVerdict {
  index: number;
  /** True when the digest matched: the piece is complete and written. */
  ok: boolean;
}

export interface WriteBlockOptions {
  signal?: AbortSignal;
}

export interface RecheckProgress {
  checkedPieces: number;
  totalPieces: number;
  /** Pieces found complete so far. */
  validPieces: number;
  checkedBytes: number;
  totalBytes: number;
}

export interface RecheckOptions {
  /** Called as batches of pieces are checked. */
  onProgress?: (progress: RecheckProgress) => void;
  signal?: AbortSignal;
}

export interface Storage {
  readonly pieceCount: number;
  /**
   * Pieces held in memory at once (being filled, or hashed and written): a writer that keeps
   * no more pieces than this going never makes a block wait for memory or a piece spill.
   */
  readonly memoryPieces: number;
  /**
   * Stores a block of a piece, and nothing more: the caller knows which blocks it asked for and
   * calls `verifyPiece` once it has written them all. Resolves once the block is stored (in
   * memory, or with the back-end). A block of a piece that is complete or being verified is not
   * stored. Rejects with a `StorageError` when the back-end failed (no space, permission...).
   * `bytes` is not kept once the call returns (it is copied or copied from at once), so the
   * caller may reuse its buffer.
   */
  writeBlock(
    pieceIndex: number,
    offset: number,
    bytes: Uint8Array,
    options?: WriteBlockOptions,
  ): Promise<void>;
  /**
   * Reads `length` bytes of a complete piece (for uploading). The result may be a view of memory
   * the storage lends: it stays valid as long as it is held, and giving it back with
   * `releaseBlock` once it is no longer needed (sent) lets the storage reuse that memory.
   */
  readBlock(
    pieceIndex: number,
    offset: number,
    length: number,
    options?: { signal?: AbortSignal },
  ): Promise<Uint8Array>;
  /**
   * The block at once if it is in memory (the read cache), lent like `readBlock`'s, else
   * `undefined` (then `readBlock`).
   */
  peekBlock(pieceIndex: number, offset: number, length: number): Uint8Array | undefined;
  /** Gives back a block `readBlock` or `peekBlock` returned, once; do not use it afterwards. */
  releaseBlock(block: Uint8Array): void;
  /**
   * Hashes the piece as stored by every `writeBlock` called before (waiting for blocks still on
   * their way) on the worker pool and records the result: a piece that matches is written to
   * the back-end before the promise resolves and counts as complete; one that does not is
   * discarded. Without blocks written since, it hashes what the back-end holds. Asked twice
   * while it runs, it answers once. Rejects with a `StorageError` when storing failed.
   */
  verifyPiece(pieceIndex: number, options?: { signal?: AbortSignal }): Promise<PieceVerdict>;
  hasPiece(pieceIndex: number): boolean;
  /** A copy of the set of complete pieces. */
  completePieces(): Bitfield;
  /** Hashes every piece as stored (the resume path) and returns exactly the pieces that verify. */
  recheck(options?: RecheckOptions): Promise<Bitfield>;
  /**
   * File selection: file `fileIndex` is wanted again (bytes the part file holds for it are moved
   * into place) or no longer (a file not written yet is not created; its bytes in shared pieces
   * go to the part file). Without a back-end that supports it, nothing happens.
   */
  setFileWanted(fileIndex: number, wanted: boolean): Promise<void>;
  /** Checkpoint: everything reported complete so far is made durable (fsync for files). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Where piece data lives. Offsets are within a piece; a back-end maps them to its own
 * places. It never needs to hash on the main thread: `check` runs on the hash pool it is given.
 */
export interface StorageBackend {
  /** Writes bytes at `pieceOffset` of piece `pieceIndex`; resolves once the data is with the OS (or store). */
  write(pieceIndex: number, pieceOffset: number, bytes: Uint8Array): Promise<void>;
  /** Reads `length` bytes at `pieceOffset` of a piece, into `into` (its first `length` bytes) when given. */
  read(
    pieceIndex: number,
    pieceOffset: number,
    length: number,
    into?: Uint8Array,
  ): Promise<Uint8Array>;
  /** Hashes the stored pieces and compares them with the torrent's digests. */
  check(
    indices: number[],
    options: { signal?: AbortSignal; onResults?: (results: PieceCheckResult[]) => void },
  ): Promise<PieceCheckResult[]>;
  /**
   * Optional: hashes a whole piece and, when it matches `expected`, stores it, in one step (the
   * file back-end does both inside a hash worker). Resolves with whether it matched. Without
   * it, the storage hashes on the pool and then calls `write`. `alignedMemory` says that a
   * `byteOffset` multiple of 4096 is 4096-aligned in memory too (so the bytes may be written
   * past the OS cache).
   */
  writeVerified?(
    pieceIndex: number,
    bytes: Uint8Array,
    expected: Uint8Array,
    options?: { signal?: AbortSignal; alignedMemory?: boolean; hash?: PieceHashFunction },
  ): Promise<boolean>;
  /** Optional: file selection (see `Storage.setFileWanted`). */
  setFileWanted?(fileIndex: number, wanted: boolean): Promise<void>;
  /** Makes written data durable; returns pieces found lost since (e.g. their file was deleted). */
  flush(): Promise<number[]>;
  close(): Promise<void>;
}
