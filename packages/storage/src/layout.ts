/**
 * The shape of a torrent's content as the storage needs it (BEP 3: pieces run over the files
 * concatenated in order; BEP 47: padding files are zeros never written to disk), and its
 * validation: the storage checks its input again rather than trusting it. `Metainfo` from
 * @bt/metainfo satisfies `TorrentLayout`; the piece arithmetic over it (sizes, the file ranges
 * of a piece or block, the pieces of a file) is @bt/metainfo's one piece geometry.
 */
import { type PieceVerification, pieceVerification, type VerifiableTorrent } from '@bt/metainfo';
import { StorageError } from './errors.js';
import { isSafeSegment } from './path-safety.js';

/** One file of the content: its place in the concatenated content and its path. */
export interface LayoutFile {
  /** Path segments relative to the torrent's root folder (for a single-file torrent: ignored). */
  path: readonly string[];
  length: number;
  /** Byte offset of the file in the concatenated content. */
  offset: number;
  /** BEP 47 padding file: zeros, never written to disk. */
  padding?: boolean;
}

/** What the storage needs of a torrent. `Metainfo` from @bt/metainfo is one. */
export interface TorrentLayout {
  /** The torrent's name: the single file's name, or the root folder of a multi-file torrent. */
  name: string;
  multiFile: boolean;
  pieceLength: number;
  /** Total length of the content in bytes. */
  length: number;
  /** The concatenated 20-byte SHA-1 digests of the pieces (empty for a v2-only torrent). */
  pieces: Uint8Array;
  files: readonly LayoutFile[];
  /** BEP 52: a v2-only torrent's pieces are checked against `v2`'s merkle trees, not `pieces`. */
  version?: 'v1' | 'v2' | 'hybrid';
  /** The v2 side (files with their roots and places, piece layers), for v2-only torrents. */
  v2?: VerifiableTorrent['v2'];
}

/**
 * How to check piece `index` of `layout` (SHA-1, or a BEP 52 merkle root).
 * @throws StorageError `hashes-unknown` for a v2 piece whose piece layer is not known yet.
 */
export function verificationOf(layout: TorrentLayout, index: number): PieceVerification {
  const verification = pieceVerification(layout, index);
  if (verification === undefined) {
    throw new StorageError(
      'hashes-unknown',
      `piece ${index} cannot be checked: its file's piece layer (BEP 52) is not known`,
      { pieceIndex: index },
    );
  }
  return verification;
}

const HASH_LENGTH = 20;

/**
 * Checks the layout's arithmetic: positive piece length, file offsets contiguous and summing
 * to `length`, one hash per piece, and safe path segments. Throws `invalid-layout` or `unsafe-path`.
 */
export function validateLayout(layout: TorrentLayout): void {
  const fail = (message: string): never => {
    throw new StorageError('invalid-layout', message);
  };
  if (!Number.isSafeInteger(layout.pieceLength) || layout.pieceLength <= 0)
    fail(`invalid piece length ${layout.pieceLength}`);
  if (!Number.isSafeInteger(layout.length) || layout.length < 0)
    fail(`invalid length ${layout.length}`);
  const expectedPieces = Math.ceil(layout.length / layout.pieceLength);
  if (layout.version === 'v2') {
    if (layout.v2 === undefined) fail('a v2 torrent without its v2 side');
  } else {
    if (layout.pieces.length % HASH_LENGTH !== 0) fail('pieces is not a multiple of 20 bytes');
    const hashes = layout.pieces.length / HASH_LENGTH;
    if (hashes !== expectedPieces) fail(`${hashes} piece hashes for ${expectedPieces} pieces`);
  }
  if (layout.files.length === 0) fail('no files');
  // A single-file v2 torrent is followed by padding up to its last piece's end (BEP 52, as libtorrent reads it).
  if (!layout.multiFile && layout.files.filter((file) => file.padding !== true).length !== 1)
    fail('a single-file torrent has exactly one file');
  if (!isSafeSegment(layout.name)) {
    throw new StorageError('unsafe-path', `unsafe torrent name ${JSON.stringify(layout.name)}`);
  }
  let offset = 0;
  layout.files.forEach((file, index) => {
    if (!Number.isSafeInteger(file.length) || file.length < 0)
      fail(`file ${index}: invalid length`);
    if (file.offset !== offset) fail(`file ${index}: offset ${file.offset}, expected ${offset}`);
    offset += file.length;
    if (layout.multiFile) {
      if (file.path.length === 0) fail(`file ${index}: empty path`);
      for (const segment of file.path) {
        if (!isSafeSegment(segment)) {
          throw new StorageError(
            'unsafe-path',
            `file ${index}: unsafe path segment ${JSON.stringify(segment)}`,
          );
        }
      }
    }
  });
  if (offset !== layout.length) fail(`files sum to ${offset} bytes, length is ${layout.length}`);
}
