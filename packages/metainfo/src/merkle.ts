/**
 * BEP 52 merkle trees: SHA-256 over 16 KiB blocks, branching factor 2, leaves beyond the end of
 * a file set to 32 zero bytes. A file's `pieces root` is the root of its tree; its `piece layers`
 * entry is the layer of the tree where one hash covers `piece length` bytes. Pure.
 */
import { sha256, sha256Pair } from '@bt/hash';

/** BEP 52: the leaves of every tree hash 16 KiB blocks (the last one of a file may be shorter). */
export const V2_BLOCK_SIZE = 16_384;

/** Length of one SHA-256 hash. */
export const V2_HASH_LENGTH = 32;

const zeroLeaf = new Uint8Array(V2_HASH_LENGTH);

/** The smallest power of two that is at least `count` (and at least 1). */
export function nextPowerOfTwo(count: number): number {
  let width = 1;
  while (width < count) width *= 2;
  return width;
}

/** The root of a subtree of `2^height` zero leaves: what pads a layer `height` above the leaves. */
export function zeroSubtreeRoot(height: number): Uint8Array {
  let hash: Uint8Array = zeroLeaf;
  for (let level = 0; level < height; level++) hash = sha256Pair(hash, hash);
  return hash;
}

/**
 * The root over `hashes` (concatenated 32-byte hashes) as the first entries of a layer `width`
 * wide (a power of two), the rest being `padding`.
 */
export function merkleRoot(hashes: Uint8Array, width: number, padding: Uint8Array): Uint8Array {
  const count = hashes.length / V2_HASH_LENGTH;
  if (!Number.isInteger(count))
    throw new RangeError('hashes is not a whole number of 32-byte hashes');
  if (width < 1 || nextPowerOfTwo(width) !== width || count > width) {
    throw new RangeError(`width ${width} is not a power of two of at least ${count}`);
  }
  let layer: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    layer.push(hashes.subarray(i * V2_HASH_LENGTH, (i + 1) * V2_HASH_LENGTH));
  }
  let pad = padding;
  let size = width;
  while (size > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < layer.length; i += 2) {
      next.push(sha256Pair(layer[i]!, i + 1 < layer.length ? layer[i + 1]! : pad));
    }
    pad = sha256Pair(pad, pad);
    layer = next;
    size /= 2;
  }
  return layer[0] ?? pad;
}

/** Leaf hashes (concatenated) of `data`'s 16 KiB blocks. */
export function blockHashes(data: Uint8Array): Uint8Array {
  const count = Math.ceil(data.length / V2_BLOCK_SIZE);
  const out = new Uint8Array(count * V2_HASH_LENGTH);
  for (let i = 0; i < count; i++) {
    out.set(sha256(data.subarray(i * V2_BLOCK_SIZE, (i + 1) * V2_BLOCK_SIZE)), i * V2_HASH_LENGTH);
  }
  return out;
}

/** Number of 16 KiB blocks per piece: `pieceLength` is a power of two of at least 16 KiB. */
export function blocksPerPiece(pieceLength: number): number {
  return pieceLength / V2_BLOCK_SIZE;
}

/** How many hashes a file's `piece layers` entry holds (none for a file of one piece or less). */
export function pieceLayerLength(fileLength: number, pieceLength: number): number {
  return fileLength > pieceLength ? Math.ceil(fileLength / pieceLength) : 0;
}

/** A file's `pieces root` from the leaf hashes of all its blocks. */
export function fileRootFromLeaves(leaves: Uint8Array): Uint8Array {
  return merkleRoot(leaves, nextPowerOfTwo(leaves.length / V2_HASH_LENGTH), zeroLeaf);
}

/** A file's `pieces root` from its piece layer (for a file longer than one piece). */
export function fileRootFromPieceLayer(layer: Uint8Array, pieceLength: number): Uint8Array {
  const height = Math.log2(blocksPerPiece(pieceLength));
  return merkleRoot(layer, nextPowerOfTwo(layer.length / V2_HASH_LENGTH), zeroSubtreeRoot(height));
}

/**
 * The hash of one piece of a file from the leaf hashes of its blocks: the subtree root over
 * `piece length / 16 KiB` leaves, zero-padded (what the file's piece layer holds). For a file
 * of one piece or less, the piece hash is the file's `pieces root` and the tree is only as wide
 * as the file needs.
 */
export function pieceRootFromLeaves(
  leaves: Uint8Array,
  pieceLength: number,
  fileLength: number,
): Uint8Array {
  if (fileLength <= pieceLength) return fileRootFromLeaves(leaves);
  return merkleRoot(leaves, blocksPerPiece(pieceLength), zeroLeaf);
}

/** The piece layer of a file from the leaf hashes of all its blocks. */
export function pieceLayerFromLeaves(
  leaves: Uint8Array,
  pieceLength: number,
  fileLength: number,
): Uint8Array {
  const count = pieceLayerLength(fileLength, pieceLength);
  const perPiece = blocksPerPiece(pieceLength) * V2_HASH_LENGTH;
  const out = new Uint8Array(count * V2_HASH_LENGTH);
  for (let piece = 0; piece < count; piece++) {
    out.set(
      merkleRoot(
        leaves.subarray(piece * perPiece, (piece + 1) * perPiece),
        perPiece / V2_HASH_LENGTH,
        zeroLeaf,
      ),
      piece * V2_HASH_LENGTH,
    );
  }
  return out;
}
