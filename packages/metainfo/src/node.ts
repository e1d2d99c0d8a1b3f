/**
 * @bt/metainfo/node: creating torrents, which reads files and hashes on worker threads, so it
 * needs Node (20.19+). Everything pure (reading, magnet links, the path policy, piece
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
