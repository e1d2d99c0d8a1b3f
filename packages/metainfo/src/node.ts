/**
 * @bt/metainfo/node: creating torrents, and the one SHA-1 worker pool (`HashPool`) that torrent
 * creation and `@bt/storage` share, so it needs Node (20.19+). Everything pure (reading, magnet links, the path policy, piece
 * arithmetic) is in the main entry, `@bt/metainfo`, which runs in any JavaScript runtime.
 */
export { createTorrent } from './node/create-torrent.js';
export type {
  CreatedTorrent,
  CreateTorrentFile,
  CreateTorrentFiles,
  CreateTorrentOptions,
  CreateTorrentProgress,
} from './node/create-torrent.js';
export { createHashPool, HashPool } from './node/hash-pool.js';
export type {
  HashPoolOptions,
  HashRun,
  HashSegment,
  PieceCheck,
  PieceCheckResult,
} from './node/hash-pool.js';
