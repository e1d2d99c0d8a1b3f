/**
 * @bt/metainfo: `.torrent` files and magnet links as typed, trustworthy values.
 *
 * - `parseTorrent` / `parseInfo`: validated metainfo, v1 (BEP 3), v2 and hybrid (BEP 52: file
 *   tree, piece layers checked against the roots, the SHA-256 info-hash), with the info-hash
 *   over the raw `info` bytes, BEP 12 tiers, BEP 17/19 web seeds, BEP 27 private, BEP 47 attributes.
 * - BEP 52 merkle trees (`merkleRoot`, `blockHashes`, `pieceRootFromLeaves`, ...).
 * - The path policy (`sanitizePathSegment`, `isSafePathSegment`): nothing from a torrent can
 *   point outside the download folder.
 * - Piece geometry, the one the storage and the engine use: `pieceCount`, `pieceHash`,
 *   `pieceSize`, `filesInPiece` (of a piece or a block), `piecesOfFile`, `filePathSegments`.
 * - Magnet links (BEP 9, BEP 53): `parseMagnet`, `formatMagnet`, `magnetFromMetainfo`.
 *
 * Pure: no Node built-ins are imported, so this entry runs in any JavaScript runtime. Creating
 * torrents (files, worker threads) is in `@bt/metainfo/node`.
 */
export {
  CreateTorrentError,
  HashPoolError,
  InvalidMagnetError,
  InvalidTorrentError,
  MetainfoError,
} from './errors.js';
export type {
  CreateTorrentErrorCode,
  HashPoolErrorCode,
  InvalidMagnetErrorCode,
  InvalidTorrentErrorCode,
  MetainfoErrorCode,
} from './errors.js';
export { parseInfo, parseTorrent } from './parse-torrent.js';
export type { ParseTorrentOptions, TorrentExtras } from './parse-torrent.js';
export { isSafePathSegment, sanitizePathSegment } from './path-policy.js';
export {
  filePathSegments,
  filesInPiece,
  pieceCount,
  pieceHash,
  pieceSize,
  piecesOfFile,
} from './pieces.js';
export type { PieceFileRange, PieceGeometry } from './pieces.js';
export type { Metainfo, MetainfoV2, TorrentFile, V2File } from './types.js';
export {
  blockHashes,
  fileRootFromLeaves,
  fileRootFromPieceLayer,
  merkleRoot,
  pieceLayerFromLeaves,
  pieceLayerLength,
  pieceRootFromLeaves,
  V2_BLOCK_SIZE,
  V2_HASH_LENGTH,
  zeroSubtreeRoot,
} from './merkle.js';
export { answerHashRequest, pieceLayerHeight, verifyHashAnswer } from './merkle-proof.js';
export type { HashRangeRequest } from './merkle-proof.js';
export { pieceVerification, v2FileOfPiece } from './piece-verification.js';
export type {
  PieceHashFunction,
  PieceVerification,
  VerifiableTorrent,
} from './piece-verification.js';
export { encodeTorrent } from './encode-torrent.js';
export { formatMagnet, isFileSelected, magnetFromMetainfo, parseMagnet } from './magnet.js';
export type { FileIndexRange, Magnet, MagnetInput, MagnetPeer } from './magnet.js';
export { choosePieceLength } from './piece-length.js';
