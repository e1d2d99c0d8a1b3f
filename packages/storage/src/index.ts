/**
 * @bt/storage: where downloaded blocks become files and existing files are checked. Pieces map
 * to files and back (BEP 3), padding files are never written (BEP 47), every piece is verified
 * with SHA-1 on a pool of worker threads before it counts, partial pieces live in a bounded
 * cache, a full recheck is the resume path, and nothing is ever written outside the download
 * folder. `createFileStorage` is the default back-end, `createMemoryStorage` the one for tests;
 * a new back-end implements `StorageBackend` and gets the rest from `PieceStorage`.
 */
export { fileCompletion } from './completion.js';
export type { FileCompletion } from './completion.js';
export { StorageError } from './errors.js';
export type { StorageErrorCode, StorageErrorOptions } from './errors.js';
export { createFileStorage } from './file-storage.js';
export type { FileStorageOptions } from './file-storage.js';
// The one SHA-1 worker pool lives in @bt/metainfo/node (torrent creation runs on it too);
// re-exported so a storage's users need not import it from there.
export { createHashPool, HashPool } from '@bt/metainfo/node';
export type { HashPoolOptions, PieceCheck, PieceCheckResult } from '@bt/metainfo/node';
export { validateLayout } from './layout.js';
export type { LayoutFile, TorrentLayout } from './layout.js';
export { createMemoryStorage } from './memory-storage.js';
export type { MemoryStorageOptions } from './memory-storage.js';
export { isSafeSegment } from './path-safety.js';
export { PART_FILE_NAME, partFileLayout, partFileOffset } from './part-file.js';
export type { PartFileLayout } from './part-file.js';
export { DEFAULT_CACHE_SIZE, PieceStorage } from './piece-storage.js';
export type { PieceStorageOptions } from './piece-storage.js';
export { measureSpace } from './space.js';
export type { SpaceReport } from './space.js';
export type {
  PieceVerdict,
  RecheckOptions,
  RecheckProgress,
  Storage,
  StorageBackend,
  WriteBlockOptions,
} from './storage.js';
