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
import { hashPieces, planJobs } from './piece-hashing.js';
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

  const { jobs, totalPieces } = planJobs(
    files.map((file) => ({ source: file.source, length: file.length })),
    pieceLength,
  );
  const pieces = await hashPieces(jobs, totalPieces, {
    pieceLength,
    ...(options.hashPool === undefined ? {} : { pool: options.hashPool }),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onProgress: (hashedBytes) => options.onProgress?.({ hashedBytes, totalBytes: total }),
  });

  const info: Record<string, EncodableValue> = { name, 'piece length': pieceLength, pieces };
  if (singleFile) info.length = files[0]!.length;
  else info.files = files.map((file) => ({ length: file.length, path: file.path }));
  if (options.private) info.private = 1;
  if (options.source !== undefined && options.source !== '') info.source = options.source;
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
