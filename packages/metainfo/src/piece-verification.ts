/**
 * How to check one piece, for every torrent version: the expected digest and the function that
 * computes it. v1 and hybrid torrents use SHA-1 over the whole piece (BEP 3; a hybrid's v1 and
 * v2 views hash the same bytes); a v2-only torrent uses the SHA-256 merkle root of the piece's
 * 16 KiB blocks, only over the file's bytes (a v2 piece never spans files: the rest is padding),
 * checked against the file's piece layer or, for a file of one piece, its `pieces root` (BEP 52).
 */
import { toHex } from '@bt/primitives';
import { nextPowerOfTwo, V2_BLOCK_SIZE, V2_HASH_LENGTH } from './merkle.js';
import { pieceHash } from './pieces.js';
import type { MetainfoV2, V2File } from './types.js';

/** The digest a piece is checked with. */
export type PieceHashFunction =
  | { readonly algorithm: 'sha1' }
  | {
      /**
       * BEP 52: SHA-256 of each 16 KiB block, then a merkle tree `width` leaves wide
       * (zero-padded). `sha1+sha256-merkle` (a hybrid torrent, BEP 52's upgrade path: a piece
       * must match both formats): the SHA-1 of the whole piece, then that root, 52 bytes.
       */
      readonly algorithm: 'sha256-merkle' | 'sha1+sha256-merkle';
      /** Bytes of the piece that belong to the file (a prefix); the rest is never hashed. */
      readonly dataLength: number;
      /** Leaves of the subtree the piece's hash is the root of: a power of two. */
      readonly width: number;
    };

/** What checking a piece needs. */
export interface PieceVerification {
  expected: Uint8Array;
  hash: PieceHashFunction;
}

const SHA1: PieceHashFunction = { algorithm: 'sha1' };

/** What `pieceVerification` reads: the v1 fields, and the v2 side when there is one. */
export interface VerifiableTorrent {
  readonly pieceLength: number;
  readonly length: number;
  readonly pieces: Uint8Array;
  readonly version?: 'v1' | 'v2' | 'hybrid';
  readonly v2?: Pick<MetainfoV2, 'files' | 'pieceLayers'>;
}

/**
 * How to check piece `index`. `undefined` for a piece of a v2-only torrent whose file's piece
 * layer is not known yet (the torrent came from a magnet link and the hashes were not fetched).
 */
export function pieceVerification(
  torrent: VerifiableTorrent,
  index: number,
): PieceVerification | undefined {
  if (torrent.v2 === undefined || (torrent.version !== 'v2' && torrent.version !== 'hybrid')) {
    return { expected: pieceHash(torrent, index), hash: SHA1 };
  }
  const merkle = v2Verification(torrent as VerifiableTorrent & { v2: object }, index);
  if (torrent.version === 'v2') return merkle;
  // A hybrid: both formats when the v2 hashes are known (BEP 52), else SHA-1 alone.
  const sha1 = pieceHash(torrent, index);
  if (merkle === undefined || merkle.hash.algorithm === 'sha1') {
    return { expected: sha1, hash: SHA1 };
  }
  const expected = new Uint8Array(20 + V2_HASH_LENGTH);
  expected.set(sha1);
  expected.set(merkle.expected, 20);
  return { expected, hash: { ...merkle.hash, algorithm: 'sha1+sha256-merkle' } };
}

function v2Verification(
  torrent: VerifiableTorrent & Required<Pick<VerifiableTorrent, 'v2'>>,
  index: number,
): PieceVerification | undefined {
  const file = v2FileOfPiece(torrent.v2.files, index);
  if (!file?.piecesRoot) throw new RangeError(`piece ${index} belongs to no file`);
  const within = index - file.firstPiece;
  const dataLength = Math.min(torrent.pieceLength, file.length - within * torrent.pieceLength);
  if (file.length <= torrent.pieceLength) {
    const blocks = Math.ceil(file.length / V2_BLOCK_SIZE);
    return {
      expected: file.piecesRoot,
      hash: { algorithm: 'sha256-merkle', dataLength, width: nextPowerOfTwo(blocks) },
    };
  }
  const layer = torrent.v2.pieceLayers.get(toHex(file.piecesRoot));
  if (layer === undefined) return undefined;
  return {
    expected: layer.subarray(within * V2_HASH_LENGTH, (within + 1) * V2_HASH_LENGTH),
    hash: {
      algorithm: 'sha256-merkle',
      dataLength,
      width: torrent.pieceLength / V2_BLOCK_SIZE,
    },
  };
}

/** The v2 file piece `index` belongs to (binary search over the files' first pieces). */
export function v2FileOfPiece(files: readonly V2File[], index: number): V2File | undefined {
  let low = 0;
  let high = files.length - 1;
  let found: V2File | undefined;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const file = files[middle]!;
    if (file.firstPiece <= index) {
      if (index < file.firstPiece + file.pieceCount) found = file;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}
