/**
 * BEP 52's `file tree` and `piece layers`: the v2 file list (nested dictionaries whose empty
 * key marks a file), each file's merkle root, and the per-file layer of piece hashes, checked
 * against the roots. Pure.
 */
import type { BencodeDictionary, BencodeValue } from '@bt/bencode';
import { toHex } from '@bt/primitives';
import { InvalidTorrentError } from './errors.js';
import { fileRootFromPieceLayer, pieceLayerLength, V2_HASH_LENGTH } from './merkle.js';
import { readText } from './text.js';

/** One file of the v2 tree, in tree order, before the path policy. */
export interface RawV2File {
  /** Path segments from the tree root. */
  path: string[];
  length: number;
  /** The file's merkle root; absent for an empty file. */
  piecesRoot: Uint8Array | undefined;
  attributes: string | undefined;
}

const encoder = new TextEncoder();

function keyText(key: string | Uint8Array): string {
  return typeof key === 'string' ? key : readText(key);
}

/** Dictionary keys as bytes (the decoder gives valid UTF-8 keys as text). */
export function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? encoder.encode(key) : key;
}

function invalid(field: string, message: string): InvalidTorrentError {
  return new InvalidTorrentError('invalid-file-tree', field, message);
}

/** Reads `info.file tree` into its files, depth first in key order (the tree's order). */
export function readFileTree(tree: BencodeValue | undefined): RawV2File[] {
  const field = 'info.file tree';
  if (tree === undefined)
    throw new InvalidTorrentError('missing-field', field, 'required field is missing');
  if (!(tree instanceof Map))
    throw new InvalidTorrentError('wrong-type', field, 'expected a dictionary');
  if (tree.has('')) throw invalid(field, 'the root of the file tree must not be a file');
  const files: RawV2File[] = [];
  // Iterative, so a deeply nested hostile tree costs heap, never call stack.
  const stack: {
    node: BencodeDictionary;
    path: string[];
    keys: (string | Uint8Array)[];
    next: number;
  }[] = [{ node: tree, path: [], keys: [...tree.keys()], next: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.keys.length) {
      stack.pop();
      continue;
    }
    const key = frame.keys[frame.next++]!;
    const segment = keyText(key);
    const path = [...frame.path, segment];
    const where = `${field}/${path.join('/')}`;
    if (segment === '') throw invalid(where, 'an empty path segment');
    const child = frame.node.get(key)!;
    if (!(child instanceof Map))
      throw invalid(where, 'an entry of the file tree is not a dictionary');
    const properties = child.get('');
    if (properties !== undefined) {
      if (child.size !== 1) throw invalid(where, 'a file entry has siblings beside its "" key');
      files.push(readFile(properties, path, where));
      continue;
    }
    stack.push({ node: child, path, keys: [...child.keys()], next: 0 });
  }
  if (files.length === 0)
    throw new InvalidTorrentError('empty-file-list', field, 'the file tree holds no file');
  return files;
}

function readFile(properties: BencodeValue, path: string[], where: string): RawV2File {
  if (!(properties instanceof Map))
    throw invalid(where, 'the "" entry of a file is not a dictionary');
  const length = properties.get('length');
  if (length === undefined)
    throw new InvalidTorrentError('missing-field', `${where}.length`, 'required field is missing');
  if (
    typeof length === 'bigint' ||
    (typeof length === 'number' && (length < 0 || !Number.isSafeInteger(length)))
  ) {
    throw new InvalidTorrentError(
      'invalid-length',
      `${where}.length`,
      `length ${length} is out of range`,
    );
  }
  if (typeof length !== 'number')
    throw new InvalidTorrentError('wrong-type', `${where}.length`, 'expected an integer');
  const root = properties.get('pieces root');
  let piecesRoot: Uint8Array | undefined;
  if (length > 0) {
    if (root === undefined)
      throw new InvalidTorrentError(
        'missing-field',
        `${where}.pieces root`,
        'a non-empty file needs its merkle root',
      );
    if (!(root instanceof Uint8Array) || root.length !== V2_HASH_LENGTH) {
      throw invalid(`${where}.pieces root`, 'a merkle root is 32 bytes');
    }
    piecesRoot = root;
  }
  const attr = properties.get('attr');
  return {
    path,
    length,
    piecesRoot,
    attributes: attr instanceof Uint8Array ? readText(attr) : undefined,
  };
}

/**
 * Reads the top-level `piece layers` (roots to concatenated hashes) and checks, for every file
 * longer than a piece, that its layer is there, has the right length and hashes to its root.
 * With `required` false (an info dictionary from a peer, BEP 9), missing layers are allowed:
 * they are fetched later with hash requests; a layer that is present is still checked.
 * @returns the layers by the hex of their root, each a view of the input.
 */
export function readPieceLayers(
  value: BencodeValue | undefined,
  files: readonly RawV2File[],
  pieceLength: number,
  required: boolean,
): Map<string, Uint8Array> {
  const field = 'piece layers';
  const given = new Map<string, Uint8Array>();
  if (value !== undefined) {
    if (!(value instanceof Map))
      throw new InvalidTorrentError('wrong-type', field, 'expected a dictionary');
    for (const [key, layer] of value) {
      const root = keyBytes(key);
      if (root.length !== V2_HASH_LENGTH)
        throw layerError(field, 'a key of piece layers is not a 32-byte root');
      if (!(layer instanceof Uint8Array))
        throw new InvalidTorrentError('wrong-type', field, 'a piece layer is a byte string');
      given.set(toHex(root), layer);
    }
  }
  const layers = new Map<string, Uint8Array>();
  for (const file of files) {
    const count = pieceLayerLength(file.length, pieceLength);
    if (count === 0 || !file.piecesRoot) continue;
    const hex = toHex(file.piecesRoot);
    if (layers.has(hex)) continue; // identical files share a root and a layer
    const layer = given.get(hex);
    const where = `${field}[${file.path.join('/')}]`;
    if (layer === undefined) {
      if (required)
        throw layerError(where, 'the piece layer of a file longer than a piece is missing');
      continue;
    }
    if (layer.length !== count * V2_HASH_LENGTH) {
      throw layerError(
        where,
        `${layer.length} bytes where ${count} hashes of 32 bytes were expected`,
      );
    }
    const computed = fileRootFromPieceLayer(layer, pieceLength);
    if (toHex(computed) !== hex)
      throw layerError(where, 'the piece layer does not hash to the pieces root');
    layers.set(hex, layer);
  }
  return layers;
}

function layerError(field: string, message: string): InvalidTorrentError {
  return new InvalidTorrentError('invalid-piece-layers', field, message);
}
