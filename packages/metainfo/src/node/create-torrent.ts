/**
 * Creating `.torrent` files (BEP 3, 12, 19, 27) from a file or a folder tree (Node only).
 * Files are listed in a deterministic order, hashed on every core by `hash-pool.ts`, and the
 * result is canonical bencode, parsed back through `parseInfo` so the caller gets the same
 * typed `Metainfo` a reader would.
 */
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { encode, type EncodableValue } from '@bt/bencode';
import { withRawValue } from '../encode-torrent.js';
import { CreateTorrentError } from '../errors.js';
import type { HashPool } from './hash-pool.js';
import { fileRootFromLeaves, fileRootFromPieceLayer, pieceLayerFromLeaves } from '../merkle.js';
import { hashFileLeaves, hashPieces, planJobs } from './piece-hashing.js';
import { parseTorrent } from '../parse-torrent.js';
import { choosePieceLength } from '../piece-length.js';
import type { Metainfo } from '../types.js';

/** One file to put in a torrent: where it goes in the torrent, and where to read it. */
export interface CreateTorrentFile {
  /** Path segments inside the torrent (for a single-file torrent, ignored: the name is used). */
  path: string[];
  /** The file on disk. */
  source: string;
}

/** An explicit file list, instead of a path to walk. */
export interface CreateTorrentFiles {
  name: string;
  files: CreateTorrentFile[];
  /** Write a single-file torrent (needs exactly one file). Default: multi-file. */
  singleFile?: boolean;
}

export interface CreateTorrentProgress {
  hashedBytes: number;
  totalBytes: number;
}

export interface CreateTorrentOptions {
  /** The torrent's name. Default: the base name of the input path. */
  name?: string;
  /** A power of two from 16 KiB to 256 MiB. Default: `choosePieceLength(total)`. */
  pieceLength?: number;
  /**
   * Trackers by tier (BEP 12): each entry is a tier, a string being a one-tracker tier.
   * The first tracker also becomes `announce`.
   */
  trackers?: readonly (string | readonly string[])[];
  /** BEP 19 web seeds (`url-list`). */
  webSeeds?: readonly string[];
  /** BEP 27: set `private=1`. */
  private?: boolean;
  /**
   * `v1` (BEP 3, the default), `v2` (BEP 52: a file tree of SHA-256 merkle roots and piece
   * layers) or `hybrid` (both, with BEP 47 padding so both views agree: what libtorrent writes).
   */
  version?: 'v1' | 'v2' | 'hybrid';
  comment?: string;
  /** `info.source`, which changes the info-hash (private trackers ask for it). */
  source?: string;
  /** Default `bt`. Empty string: none. */
  createdBy?: string;
  /** Seconds since the epoch or a Date; `null` writes none (reproducible output). Default: now. */
  creationDate?: number | Date | null;
  /** Threads to hash on, in a pool of its own. Default: the number of cores. */
  workers?: number;
  /** A hash pool to run on (a session's, say), left open; `workers` is then ignored. */
  hashPool?: HashPool;
  onProgress?: (progress: CreateTorrentProgress) => void;
  signal?: AbortSignal;
}

export interface CreatedTorrent {
  /** The `.torrent` file: canonical bencode. */
  torrent: Uint8Array;
  metainfo: Metainfo;
}

const MIN_PIECE_LENGTH = 16 * 1024;
const MAX_PIECE_LENGTH = 256 * 1024 * 1024;

interface ListedFile {
  path: string[];
  source: string;
  length: number;
}

/**
 * Creates a torrent of a file or folder (walked recursively, entries sorted by name as UTF-8
 * bytes, symbolic links to files followed, symbolic links to folders skipped), or of an
 * explicit file list.
 * @throws CreateTorrentError; the signal's reason when aborted.
 */
export async function createTorrent(
  input: string | CreateTorrentFiles,
  options: CreateTorrentOptions = {},
): Promise<CreatedTorrent> {
  const { name, files, singleFile } = await listInput(input, options.name);
  if (name === '') throw new CreateTorrentError('invalid-option', 'the torrent name is empty');
  const total = files.reduce((sum, file) => sum + file.length, 0);
  if (files.length === 0 || total === 0) {
    throw new CreateTorrentError('no-files', 'nothing to share: no files, or only empty ones');
  }
  const pieceLength = options.pieceLength ?? choosePieceLength(total);
  if (
    !Number.isInteger(pieceLength) ||
    pieceLength < MIN_PIECE_LENGTH ||
    pieceLength > MAX_PIECE_LENGTH ||
    (pieceLength & (pieceLength - 1)) !== 0
  ) {
    throw new CreateTorrentError(
      'invalid-option',
      `piece length ${pieceLength} is not a power of two from 16 KiB to 256 MiB`,
    );
  }
  const tiers = (options.trackers ?? [])
    .map((tier) => (typeof tier === 'string' ? [tier] : [...tier]))
    .filter((tier) => tier.length > 0);
  for (const url of [...tiers.flat(), ...(options.webSeeds ?? [])]) {
    if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(url)) {
      throw new CreateTorrentError('invalid-option', `not a URL: ${JSON.stringify(url)}`);
    }
  }

  const version = options.version ?? 'v1';
  if (version !== 'v1' && version !== 'v2' && version !== 'hybrid') {
    throw new CreateTorrentError('invalid-option', `unknown torrent version ${String(version)}`);
  }
  if (version !== 'v1') sortAsTree(files);
  const v1Files: { path: string[]; source: string | null; length: number }[] =
    version === 'hybrid' && !singleFile ? withPadding(files, pieceLength) : files;
  const v1Total = v1Files.reduce((sum, file) => sum + file.length, 0);
  const work =
    (version === 'v1' ? total : 0) +
    (version === 'hybrid' ? v1Total : 0) +
    (version === 'v1' ? 0 : total);
  const pool = options.hashPool === undefined ? {} : { pool: options.hashPool };
  const workers = options.workers === undefined ? {} : { workers: options.workers };
  const signal = options.signal === undefined ? {} : { signal: options.signal };

  const info = new Map<string, EncodableValue>();
  let v1Done = 0;
  if (version !== 'v2') {
    const { jobs, totalPieces } = planJobs(v1Files, pieceLength);
    const pieces = await hashPieces(jobs, totalPieces, {
      pieceLength,
      ...pool,
      ...workers,
      ...signal,
      onProgress: (hashedBytes) => {
        v1Done = hashedBytes;
        options.onProgress?.({ hashedBytes, totalBytes: work });
      },
    });
    info.set('pieces', pieces);
    if (singleFile) info.set('length', files[0]!.length);
    else {
      info.set(
        'files',
        v1Files.map((file) =>
          file.source === null
            ? { attr: 'p', length: file.length, path: file.path }
            : { length: file.length, path: file.path },
        ),
      );
    }
  }
  let layers: Map<Uint8Array, Uint8Array> | undefined;
  if (version !== 'v1') {
    const leaves = await hashFileLeaves(files, {
      ...pool,
      ...workers,
      ...signal,
      onProgress: (hashedBytes) =>
        options.onProgress?.({ hashedBytes: v1Done + hashedBytes, totalBytes: work }),
    });
    layers = new Map();
    const tree = new Map<string, EncodableValue>();
    files.forEach((file, index) => {
      const entry = new Map<string, EncodableValue>([['length', file.length]]);
      if (file.length > 0) {
        // The root from the piece layer when there is one: a few hashes instead of every leaf.
        const layer =
          file.length > pieceLength
            ? pieceLayerFromLeaves(leaves[index]!, pieceLength, file.length)
            : undefined;
        const root = layer
          ? fileRootFromPieceLayer(layer, pieceLength)
          : fileRootFromLeaves(leaves[index]!);
        entry.set('pieces root', root);
        if (layer) layers!.set(root, layer);
      }
      let node = tree;
      const path = singleFile ? [name] : file.path;
      for (const segment of path.slice(0, -1)) {
        let next = node.get(segment);
        if (!(next instanceof Map)) node.set(segment, (next = new Map<string, EncodableValue>()));
        node = next as Map<string, EncodableValue>;
      }
      node.set(path[path.length - 1]!, new Map([['', entry]]));
    });
    info.set('file tree', tree);
    info.set('meta version', 2);
  }
  info.set('name', name);
  info.set('piece length', pieceLength);
  if (options.private) info.set('private', 1);
  if (options.source !== undefined && options.source !== '') info.set('source', options.source);
  const infoBytes = encode(info);

  const top = new Map<string, EncodableValue>();
  const trackers = tiers.flat();
  if (trackers.length > 0) top.set('announce', trackers[0]!);
  if (trackers.length > 1) top.set('announce-list', tiers);
  if (options.comment !== undefined && options.comment !== '') top.set('comment', options.comment);
  const createdBy = options.createdBy ?? 'bt';
  if (createdBy !== '') top.set('created by', createdBy);
  const date = options.creationDate === undefined ? new Date() : options.creationDate;
  if (date !== null) {
    top.set('creation date', date instanceof Date ? Math.floor(date.getTime() / 1000) : date);
  }
  if (options.webSeeds && options.webSeeds.length > 0) top.set('url-list', [...options.webSeeds]);
  if (layers !== undefined) top.set('piece layers', layers);
  const torrent = withRawValue(top, 'info', infoBytes);
  return { torrent, metainfo: parseTorrent(torrent, { copy: false }) };
}

async function listInput(
  input: string | CreateTorrentFiles,
  nameOverride: string | undefined,
): Promise<{ name: string; files: ListedFile[]; singleFile: boolean }> {
  if (typeof input !== 'string') {
    const files: ListedFile[] = [];
    for (const file of input.files) {
      const info = await statOrThrow(file.source);
      if (!info.isFile()) {
        throw new CreateTorrentError('read-failed', `${file.source}: not a regular file`, {
          path: file.source,
        });
      }
      if (file.path.length === 0 || file.path.some((segment) => segment === '')) {
        throw new CreateTorrentError('invalid-option', `empty path for ${file.source}`);
      }
      files.push({ path: [...file.path], source: file.source, length: info.size });
    }
    const singleFile = input.singleFile === true;
    if (singleFile && files.length !== 1) {
      throw new CreateTorrentError(
        'invalid-option',
        'a single-file torrent needs exactly one file',
      );
    }
    return { name: nameOverride ?? input.name, files, singleFile };
  }
  const root = resolve(input);
  const info = await statOrThrow(root);
  const name = nameOverride ?? basename(root);
  if (info.isFile())
    return { name, files: [{ path: [name], source: root, length: info.size }], singleFile: true };
  if (!info.isDirectory()) {
    throw new CreateTorrentError('read-failed', `${input}: neither a file nor a folder`, {
      path: input,
    });
  }
  const files: ListedFile[] = [];
  await walk(root, [], files);
  return { name, files, singleFile: false };
}

const utf8 = new TextEncoder();

/**
 * BEP 52 lists files in the order of the file tree: depth first, names sorted as bytes. An
 * explicit file list is put in that order (a walked folder already is).
 * @throws CreateTorrentError when one path is both a file and a folder, or appears twice.
 */
function sortAsTree(files: ListedFile[]): void {
  files.sort((a, b) => {
    const length = Math.min(a.path.length, b.path.length);
    for (let i = 0; i < length; i++) {
      const order = compareNames(a.path[i]!, b.path[i]!);
      if (order !== 0) return order;
    }
    return a.path.length - b.path.length;
  });
  for (let i = 1; i < files.length; i++) {
    const previous = files[i - 1]!.path;
    const current = files[i]!.path;
    if (
      previous.length <= current.length &&
      previous.every((segment, at) => segment === current[at])
    ) {
      throw new CreateTorrentError(
        'invalid-option',
        `${previous.join('/')} is both a file and a folder (or listed twice)`,
      );
    }
  }
}

/** A hybrid's v1 file list: BEP 47 padding after each file that does not end on a piece boundary. */
function withPadding(
  files: readonly ListedFile[],
  pieceLength: number,
): { path: string[]; source: string | null; length: number }[] {
  const out: { path: string[]; source: string | null; length: number }[] = [];
  for (const file of files) {
    out.push(file);
    const tail = file.length % pieceLength;
    if (tail !== 0) {
      const gap = pieceLength - tail;
      out.push({ path: ['.pad', String(gap)], source: null, length: gap });
    }
  }
  return out;
}

function compareNames(a: string, b: string): number {
  const left = utf8.encode(a);
  const right = utf8.encode(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) if (left[i] !== right[i]) return left[i]! - right[i]!;
  return left.length - right.length;
}

async function walk(folder: string, prefix: string[], out: ListedFile[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new CreateTorrentError('read-failed', `${folder}: cannot list the folder`, {
      cause: error,
      path: folder,
    });
  }
  entries.sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    const segments = [...prefix, entry.name];
    if (entry.isDirectory()) {
      await walk(path, segments, out);
    } else if (entry.isFile()) {
      out.push({ path: segments, source: path, length: (await statOrThrow(path)).size });
    } else if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => undefined);
      // Links to files are followed; links to folders are skipped (no loops, no escapes).
      if (target?.isFile()) out.push({ path: segments, source: path, length: target.size });
    }
  }
}

async function statOrThrow(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    throw new CreateTorrentError('read-failed', `${path}: cannot read it`, { cause: error, path });
  }
}
