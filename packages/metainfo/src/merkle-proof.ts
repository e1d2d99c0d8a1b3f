/**
 * BEP 52 hash requests, both sides, pure: which hashes answer a request for a run of a file's
 * piece layer (the run, then one uncle hash per proof layer up toward the root, the first
 * log2(length) - 1 proof layers left out because the run itself covers them), and checking such
 * an answer against the file's `pieces root`.
 */
import {
  merkleRoot,
  nextPowerOfTwo,
  V2_BLOCK_SIZE,
  V2_HASH_LENGTH,
  zeroSubtreeRoot,
} from './merkle.js';
import { sha256Pair } from '@bt/hash';

/** A run of hashes of one layer of a file's tree (as a BEP 52 `hash request` names it). */
export interface HashRangeRequest {
  /** Levels above the leaves (16 KiB blocks): 0 for the leaves, log2(piece length / 16 KiB) for pieces. */
  baseLayer: number;
  index: number;
  length: number;
  proofLayers: number;
}

/** The levels above the leaves of the layer whose hashes each cover one piece. */
export function pieceLayerHeight(pieceLength: number): number {
  return Math.log2(pieceLength / V2_BLOCK_SIZE);
}

/** The layers of the tree above a piece layer: [0] the layer padded to a power of two, then up to the root. */
function layersAbove(layer: Uint8Array, pieceLength: number): Uint8Array[][] {
  const count = layer.length / V2_HASH_LENGTH;
  const width = nextPowerOfTwo(count);
  let pad = zeroSubtreeRoot(pieceLayerHeight(pieceLength));
  const base: Uint8Array[] = [];
  for (let i = 0; i < width; i++) {
    base.push(i < count ? layer.subarray(i * V2_HASH_LENGTH, (i + 1) * V2_HASH_LENGTH) : pad);
  }
  const layers = [base];
  while (layers[layers.length - 1]!.length > 1) {
    const below = layers[layers.length - 1]!;
    const next: Uint8Array[] = [];
    for (let i = 0; i < below.length; i += 2) next.push(sha256Pair(below[i]!, below[i + 1]!));
    layers.push(next);
    pad = sha256Pair(pad, pad);
  }
  return layers;
}

/**
 * The answer to a request for hashes of a file's piece layer, or `undefined` when it cannot be
 * served from the piece layer (another base layer, a range outside the layer, a length that is
 * not a power of two, an index that is not a multiple of it): answer those with `hash reject`.
 */
export function answerHashRequest(
  layer: Uint8Array,
  pieceLength: number,
  request: HashRangeRequest,
): Uint8Array | undefined {
  if (request.baseLayer !== pieceLayerHeight(pieceLength)) return undefined;
  const count = layer.length / V2_HASH_LENGTH;
  const width = nextPowerOfTwo(count);
  const { index, length, proofLayers } = request;
  if (length < 1 || nextPowerOfTwo(length) !== length || index % length !== 0 || index >= width) {
    return undefined;
  }
  const layers = layersAbove(layer, pieceLength);
  const run = Math.min(length, width - index);
  const height = layers.length - 1;
  const first = Math.log2(run);
  const uncles: Uint8Array[] = [];
  for (let level = first; level <= Math.min(proofLayers, height - 1); level++) {
    uncles.push(layers[level]![(index >> level) ^ 1]!);
  }
  const out = new Uint8Array((run + uncles.length) * V2_HASH_LENGTH);
  for (let i = 0; i < run; i++) out.set(layers[0]![index + i]!, i * V2_HASH_LENGTH);
  uncles.forEach((hash, i) => out.set(hash, (run + i) * V2_HASH_LENGTH));
  return out;
}

/**
 * Checks an answer to a hash request against the file's root: the run's subtree root, combined
 * with each uncle in turn, must reach `piecesRoot`. `layerCount` is the number of hashes of the
 * file's piece layer (ceil(file length / piece length)). Returns the run's hashes when the answer
 * is proven, `undefined` otherwise (a lying or broken peer).
 */
export function verifyHashAnswer(
  piecesRoot: Uint8Array,
  layerCount: number,
  request: HashRangeRequest,
  hashes: Uint8Array,
): Uint8Array | undefined {
  const width = nextPowerOfTwo(layerCount);
  const height = Math.log2(width);
  const { index, length } = request;
  if (length < 1 || nextPowerOfTwo(length) !== length || index % length !== 0 || index >= width) {
    return undefined;
  }
  const run = Math.min(length, width - index);
  const first = Math.log2(run);
  const uncleCount = hashes.length / V2_HASH_LENGTH - run;
  // every layer from the run's subtree root up to below the root needs its uncle
  if (!Number.isInteger(uncleCount) || uncleCount !== height - first) return undefined;
  const runHashes = hashes.subarray(0, run * V2_HASH_LENGTH);
  let node = merkleRoot(runHashes, run, new Uint8Array(V2_HASH_LENGTH));
  for (let level = first; level < height; level++) {
    const at = (run + level - first) * V2_HASH_LENGTH;
    const uncle = hashes.subarray(at, at + V2_HASH_LENGTH);
    node = ((index >> level) & 1) === 0 ? sha256Pair(node, uncle) : sha256Pair(uncle, node);
  }
  for (let i = 0; i < V2_HASH_LENGTH; i++) if (node[i] !== piecesRoot[i]) return undefined;
  return runHashes;
}
