/**
 * Reading `.torrent` files (BEP 3) into a validated `Metainfo`: the v1 info-hash over the raw
 * `info` bytes, the file layout of both modes, BEP 12 tiers, BEP 17/19 web seeds, BEP 27
 * private flag, BEP 47 file attributes, and the path policy (`path-policy.ts`) applied to
 * every name. Pure: no I/O.
 */
import {
  BencodeDecodeError,
  type BencodeDictionary,
  type BencodeValue,
  decode,
  decodePrefix,
  locate,
} from '@bt/bencode';
import { toHex } from '@bt/primitives';
import { InvalidTorrentError } from './errors.js';
import { type RawFile, scanTorrent } from './scan-torrent.js';
import { resolveCollisions, sanitizePathSegment } from './path-policy.js';
import { type RawV2File, readFileTree, readPieceLayers } from './file-tree.js';
import { nextPowerOfTwo, V2_BLOCK_SIZE } from './merkle.js';
import { sha1, sha256 } from '@bt/hash';
import { readText } from './text.js';
import type { Metainfo, TorrentFile, V2File } from './types.js';

export interface ParseTorrentOptions {
  /**
   * Copy the input first (default `true`), so the returned byte fields (`infoBytes`, `pieces`,
   * decoded values) are views of a private copy. With `false` they are views of `bytes`, which
   * the caller then must not change.
   */
  copy?: boolean;
}

/** What the top level of a torrent adds to an info dictionary, for `parseInfo`. */
export interface TorrentExtras {
  announce?: string[][];
  urlList?: string[];
  httpSeeds?: string[];
  /** Other top-level keys to keep (comment, created by...), as decoded values. */
  extra?: BencodeDictionary;
}

/**
 * Parses and validates a `.torrent` file.
 * @throws InvalidTorrentError naming the field at fault.
 */
export function parseTorrent(bytes: Uint8Array, options: ParseTorrentOptions = {}): Metainfo {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('parseTorrent expects a Uint8Array');
  // A plain Uint8Array copy: its views are cheaper than those of a Node Buffer.
  const own = options.copy === false ? bytes : new Uint8Array(bytes);
  const scanned = scanTorrent(own);
  if (scanned) {
    return buildMetainfo(
      scanned.info,
      scanned.files,
      own.subarray(scanned.infoStart, scanned.infoEnd),
      scanned.extra,
      readExtras(scanned.extra),
      { pieceLayersRequired: true },
    );
  }
  return parseGeneric(own);
}

/** The generic path: decode everything, then read it. Also the one that names every error. */
export function parseGeneric(own: Uint8Array): Metainfo {
  const { value: root, end } = decodeOrThrow(own, '');
  if (!(root instanceof Map)) {
    throw new InvalidTorrentError('not-a-dictionary', '', 'a torrent is a bencoded dictionary');
  }
  const info = root.get('info');
  if (info === undefined) throw missing('info');
  if (!(info instanceof Map)) throw wrongType('info', 'a dictionary');
  const span = locate(own.subarray(0, end), ['info'])!;
  const extra: BencodeDictionary = new Map(root);
  extra.delete('info');
  return buildMetainfo(
    info,
    undefined,
    own.subarray(span.start, span.end),
    extra,
    readExtras(extra),
    { pieceLayersRequired: true },
  );
}

/**
 * Parses a bare info dictionary, as BEP 9 delivers it from peers, with whatever the magnet
 * link or caller knows of the rest (trackers, web seeds).
 * @throws InvalidTorrentError naming the field at fault.
 */
export function parseInfo(infoBytes: Uint8Array, extras: TorrentExtras = {}): Metainfo {
  if (!(infoBytes instanceof Uint8Array)) throw new TypeError('parseInfo expects a Uint8Array');
  const own = new Uint8Array(infoBytes);
  const { value, end } = decodeOrThrow(own, 'info');
  if (end !== own.length) {
    throw new InvalidTorrentError(
      'not-bencode',
      'info',
      'unexpected bytes after the info dictionary',
    );
  }
  if (!(value instanceof Map)) throw wrongType('info', 'a dictionary');
  const extra = extras.extra ?? new Map<string | Uint8Array, BencodeValue>();
  const fromExtra = readExtras(extra);
  return buildMetainfo(
    value,
    undefined,
    own,
    extra,
    {
      ...fromExtra,
      announce: extras.announce ?? fromExtra.announce,
      urlList: extras.urlList ?? fromExtra.urlList,
      httpSeeds: extras.httpSeeds ?? fromExtra.httpSeeds,
    },
    { pieceLayersRequired: false },
  );
}

function decodeOrThrow(bytes: Uint8Array, field: string): { value: BencodeValue; end: number } {
  try {
    return decodePrefix(bytes);
  } catch (error) {
    if (BencodeDecodeError.isInstance(error)) {
      throw new InvalidTorrentError('not-bencode', field, `not valid bencode: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

interface Extras {
  announce: string[][];
  urlList: string[];
  httpSeeds: string[];
  creationDate?: number;
  comment?: string;
  createdBy?: string;
  encoding?: string;
}

/** Top-level fields outside `info`. Optional and not hashed: wrong types are ignored, not fatal. */
function readExtras(top: BencodeDictionary): Extras {
  const encodingValue = top.get('encoding');
  const encoding = encodingValue instanceof Uint8Array ? readText(encodingValue) : undefined;
  const extras: Extras = {
    announce: readAnnounce(top, encoding),
    urlList: readUrlList(top.get('url-list'), encoding),
    httpSeeds: readUrlList(top.get('httpseeds'), encoding),
  };
  const date = top.get('creation date');
  if (typeof date === 'number' && Number.isSafeInteger(date)) extras.creationDate = date;
  const comment = textField(top, 'comment', encoding);
  if (comment !== undefined) extras.comment = comment;
  const createdBy = textField(top, 'created by', encoding);
  if (createdBy !== undefined) extras.createdBy = createdBy;
  if (encoding !== undefined) extras.encoding = encoding;
  return extras;
}

/** `key.utf-8` when present, else `key`, as text. */
function textField(
  dictionary: BencodeDictionary,
  key: string,
  encoding: string | undefined,
): string | undefined {
  const preferred = dictionary.get(`${key}.utf-8`);
  if (preferred instanceof Uint8Array) return readText(preferred);
  const value = dictionary.get(key);
  return value instanceof Uint8Array ? readText(value, encoding) : undefined;
}

/**
 * BEP 12: when `announce-list` is present (and holds any URL) it replaces `announce`. Tiers
 * keep their order; duplicate URLs and empty tiers are dropped.
 */
function readAnnounce(top: BencodeDictionary, encoding: string | undefined): string[][] {
  const tiers: string[][] = [];
  const seen = new Set<string>();
  const add = (tier: string[], value: BencodeValue): void => {
    if (!(value instanceof Uint8Array)) return;
    const url = readText(value, encoding).trim();
    if (url === '' || seen.has(url)) return;
    seen.add(url);
    tier.push(url);
  };
  const list = top.get('announce-list');
  if (Array.isArray(list)) {
    for (const entry of list) {
      const tier: string[] = [];
      // Some creators write a flat list of URLs: each one its own tier.
      if (Array.isArray(entry)) for (const url of entry) add(tier, url);
      else add(tier, entry);
      if (tier.length > 0) tiers.push(tier);
    }
  }
  if (tiers.length === 0) {
    const tier: string[] = [];
    add(tier, top.get('announce') ?? 0);
    if (tier.length > 0) tiers.push(tier);
  }
  return tiers;
}

/** BEP 19 `url-list` and BEP 17 `httpseeds`: one URL or a list of them. */
function readUrlList(value: BencodeValue | undefined, encoding: string | undefined): string[] {
  const urls: string[] = [];
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  for (const item of items) {
    if (!(item instanceof Uint8Array)) continue;
    const url = readText(item, encoding).trim();
    if (url !== '' && !urls.includes(url)) urls.push(url);
  }
  return urls;
}

function missing(field: string): InvalidTorrentError {
  return new InvalidTorrentError('missing-field', field, 'required field is missing');
}

function wrongType(field: string, expected: string): InvalidTorrentError {
  return new InvalidTorrentError('wrong-type', field, `expected ${expected}`);
}

/** A byte count: a non-negative integer JavaScript can count exactly. */
function readLength(value: BencodeValue | undefined, field: string): number {
  if (value === undefined) throw missing(field);
  if (typeof value === 'bigint') {
    throw new InvalidTorrentError('invalid-length', field, `length ${value} is too large`);
  }
  if (typeof value !== 'number') throw wrongType(field, 'an integer');
  if (value < 0) {
    throw new InvalidTorrentError('invalid-length', field, `length ${value} is negative`);
  }
  return value;
}

function readName(
  dictionary: BencodeDictionary,
  key: string,
  field: string,
  encoding: string | undefined,
): string {
  const preferred = dictionary.get(`${key}.utf-8`);
  if (preferred instanceof Uint8Array && preferred.length > 0) return readText(preferred);
  const value = dictionary.get(key);
  if (value === undefined) throw missing(field);
  if (!(value instanceof Uint8Array)) throw wrongType(field, 'a byte string');
  return readText(value, encoding);
}

/** Checks one `info.files` entry of the generic path and reads it into a `RawFile`. */
function fileFromMap(
  entry: BencodeValue | undefined,
  index: number,
  encoding: string | undefined,
): RawFile {
  if (!(entry instanceof Map)) throw wrongType(`info.files[${index}]`, 'a dictionary');
  const field = (name: string): string => `info.files[${index}].${name}`;
  const length = entry.get('length');
  const file: RawFile = {
    length:
      typeof length === 'number' && length >= 0 ? length : readLength(length, field('length')),
    path: [],
    attributes: undefined,
    md5sum: undefined,
    symlink: undefined,
  };
  const preferred = entry.get('path.utf-8');
  if (isByteStringList(preferred) && preferred.length > 0) {
    file.path = preferred.map((segment) => readText(segment));
  } else {
    const value = entry.get('path');
    if (value === undefined) throw missing(field('path'));
    if (!Array.isArray(value)) throw wrongType(field('path'), 'a list of byte strings');
    if (value.length === 0) {
      throw new InvalidTorrentError('invalid-path', field('path'), 'a file path has no segments');
    }
    file.path = value.map((segment, i) => {
      if (!(segment instanceof Uint8Array)) throw wrongType(field(`path[${i}]`), 'a byte string');
      return readText(segment, encoding);
    });
  }
  const attr = entry.get('attr');
  if (attr instanceof Uint8Array) file.attributes = readText(attr);
  const md5sum = entry.get('md5sum');
  if (md5sum instanceof Uint8Array) file.md5sum = readText(md5sum);
  const symlink = entry.get('symlink path');
  if (isByteStringList(symlink))
    file.symlink = symlink.map((segment) => readText(segment, encoding));
  return file;
}

function isByteStringList(value: BencodeValue | undefined): value is Uint8Array[] {
  return Array.isArray(value) && value.every((item) => item instanceof Uint8Array);
}

function sanitizePath(path: string[]): string[] {
  let changed = false;
  const safe = new Array<string>(path.length);
  for (let i = 0; i < path.length; i++) {
    const segment = sanitizePathSegment(path[i]!);
    if (segment !== path[i]) changed = true;
    safe[i] = segment;
  }
  return changed ? safe : path;
}

interface BuildOptions {
  /** A `.torrent` file must carry its `piece layers` (BEP 52); an info dictionary from peers cannot. */
  pieceLayersRequired: boolean;
}

function buildMetainfo(
  info: BencodeDictionary,
  scannedFiles: RawFile[] | undefined,
  infoBytes: Uint8Array,
  extra: BencodeDictionary,
  extras: Extras,
  options: BuildOptions,
): Metainfo {
  const encoding = extras.encoding;
  const metaVersion = info.get('meta version');
  // BEP 52: the version is checked before anything else, so a newer format is named as such.
  if (metaVersion !== undefined && metaVersion !== 2) {
    throw new InvalidTorrentError(
      'unsupported-meta-version',
      'info.meta version',
      `meta version ${typeof metaVersion === 'number' || typeof metaVersion === 'bigint' ? metaVersion : 'of the wrong type'} is not one bt reads (BEP 52 defines 2)`,
    );
  }
  const isV2 = metaVersion === 2;
  if (isV2 && !info.has('pieces')) {
    return buildV2Only(info, infoBytes, extra, extras, options);
  }
  const hybrid = isV2;

  const rawName = readName(info, 'name', 'info.name', encoding);
  if (rawName === '') throw new InvalidTorrentError('empty-name', 'info.name', 'the name is empty');
  const name = sanitizePathSegment(rawName);

  const pieceLength = info.get('piece length');
  if (pieceLength === undefined) throw missing('info.piece length');
  if (typeof pieceLength !== 'number' && typeof pieceLength !== 'bigint') {
    throw wrongType('info.piece length', 'an integer');
  }
  if (typeof pieceLength !== 'number' || pieceLength <= 0 || pieceLength > 0x7fffffff) {
    throw new InvalidTorrentError(
      'invalid-piece-length',
      'info.piece length',
      `piece length ${pieceLength} is not between 1 and 2^31-1`,
    );
  }

  const pieces = info.get('pieces');
  if (pieces === undefined) throw missing('info.pieces');
  if (!(pieces instanceof Uint8Array)) throw wrongType('info.pieces', 'a byte string');
  if (pieces.length % 20 !== 0) {
    throw new InvalidTorrentError(
      'invalid-pieces',
      'info.pieces',
      `${pieces.length} bytes is not a whole number of 20-byte SHA-1 hashes`,
    );
  }

  const files: TorrentFile[] = [];
  const list = scannedFiles ?? info.get('files');
  const multiFile = list !== undefined;
  let length = 0;
  if (multiFile) {
    if (!Array.isArray(list)) throw wrongType('info.files', 'a list of dictionaries');
    if (list.length === 0) {
      throw new InvalidTorrentError('empty-file-list', 'info.files', 'the file list is empty');
    }
    for (let index = 0; index < list.length; index++) {
      const raw = scannedFiles
        ? scannedFiles[index]!
        : fileFromMap(list[index] as BencodeValue, index, encoding);
      const rawPath = raw.path;
      const file: TorrentFile = {
        path: sanitizePath(rawPath),
        length: raw.length,
        offset: length,
        padding: false,
      };
      if (file.path !== rawPath) file.originalPath = rawPath;
      if (raw.attributes !== undefined) {
        file.attributes = raw.attributes;
        file.padding = raw.attributes.includes('p');
      }
      if (raw.md5sum !== undefined) file.md5sum = raw.md5sum;
      if (raw.symlink !== undefined) file.symlinkPath = raw.symlink.map(sanitizePathSegment);
      files.push(file);
      length += raw.length;
      if (!Number.isSafeInteger(length)) {
        throw new InvalidTorrentError(
          'invalid-length',
          `info.files[${index}].length`,
          'total length is too large',
        );
      }
    }
    const paths = files.map((file) => file.path);
    const renamed = resolveCollisions(paths, (index) => files[index]!.padding);
    for (const index of renamed) {
      const file = files[index]!;
      file.originalPath ??= file.path;
      file.path = paths[index]!;
    }
  } else {
    length = readLength(info.get('length'), 'info.length');
    const file: TorrentFile = { path: [name], length, offset: 0, padding: false };
    if (name !== rawName) file.originalPath = [rawName];
    const md5sum = info.get('md5sum');
    if (md5sum instanceof Uint8Array) file.md5sum = readText(md5sum);
    files.push(file);
  }

  const pieceCount = pieces.length / 20;
  const expected = length === 0 ? 0 : Math.ceil(length / pieceLength);
  if (pieceCount !== expected) {
    throw new InvalidTorrentError(
      'piece-count-mismatch',
      'info.pieces',
      `${pieceCount} piece hashes for ${length} bytes in pieces of ${pieceLength} (expected ${expected})`,
    );
  }

  const infoHash = sha1(infoBytes);
  let decodedInfo: BencodeDictionary | undefined;
  const metainfo: Metainfo = {
    infoHash,
    infoHashHex: toHex(infoHash),
    name,
    pieceLength,
    pieceCount,
    pieces,
    length,
    files,
    multiFile,
    private: info.get('private') === 1,
    announce: extras.announce,
    urlList: extras.urlList,
    httpSeeds: extras.httpSeeds,
    infoBytes,
    hybrid,
    version: hybrid ? 'hybrid' : 'v1',
    // Decoded again on first use: keeping the parse's dictionaries alive would make every
    // parse of a big torrent pay for promoting them all to the old generation.
    get info(): BencodeDictionary {
      return (decodedInfo ??= decode(infoBytes) as BencodeDictionary);
    },
    extra,
  };
  if (name !== rawName) metainfo.originalName = rawName;
  if (extras.creationDate !== undefined) metainfo.creationDate = extras.creationDate;
  if (extras.comment !== undefined) metainfo.comment = extras.comment;
  if (extras.createdBy !== undefined) metainfo.createdBy = extras.createdBy;
  if (extras.encoding !== undefined) metainfo.encoding = extras.encoding;
  const source = textField(info, 'source', encoding);
  if (source !== undefined) metainfo.source = source;
  if (hybrid) {
    const pieceLengthV2 = checkV2PieceLength(pieceLength);
    const rawFiles = readFileTree(info.get('file tree'));
    const layers = readPieceLayers(
      extra.get('piece layers'),
      rawFiles,
      pieceLengthV2,
      options.pieceLayersRequired,
    );
    metainfo.v2 = {
      ...v2Hashes(infoBytes),
      files: matchHybridFiles(files, rawFiles, multiFile, pieceLength, pieceCount),
      pieceLayers: layers,
    };
  }
  return metainfo;
}

function v2Hashes(infoBytes: Uint8Array): { infoHash: Uint8Array; infoHashHex: string } {
  const infoHash = sha256(infoBytes);
  return { infoHash, infoHashHex: toHex(infoHash) };
}

/** BEP 52: a power of two of at least 16 KiB. */
function checkV2PieceLength(pieceLength: BencodeValue | undefined): number {
  if (pieceLength === undefined) throw missing('info.piece length');
  if (typeof pieceLength !== 'number') throw wrongType('info.piece length', 'an integer');
  if (
    pieceLength < V2_BLOCK_SIZE ||
    pieceLength > 2 ** 30 ||
    nextPowerOfTwo(pieceLength) !== pieceLength
  ) {
    throw new InvalidTorrentError(
      'invalid-piece-length',
      'info.piece length',
      `piece length ${pieceLength} is not a power of two between 16 KiB and 1 GiB (BEP 52)`,
    );
  }
  return pieceLength;
}

/**
 * BEP 52 hybrid torrents: the v1 file list must be the v2 tree's files in the same order, with
 * BEP 47 padding files aligning each non-empty file to a piece boundary, and as many pieces.
 */
function matchHybridFiles(
  v1Files: readonly TorrentFile[],
  rawFiles: readonly RawV2File[],
  multiFile: boolean,
  pieceLength: number,
  pieceCount: number,
): V2File[] {
  const mismatch = (message: string): InvalidTorrentError =>
    new InvalidTorrentError('hybrid-mismatch', 'info.files', message);
  const real = v1Files.filter((file) => !file.padding);
  if (real.length !== rawFiles.length) {
    throw mismatch(`${real.length} v1 files but ${rawFiles.length} in the v2 file tree`);
  }
  const v2Files: V2File[] = [];
  let nextPiece = 0;
  for (let index = 0; index < real.length; index++) {
    const v1 = real[index]!;
    const raw = rawFiles[index]!;
    const name = raw.path.join('/');
    if (v1.length !== raw.length) {
      throw mismatch(`${name}: ${v1.length} bytes in v1, ${raw.length} in v2`);
    }
    if (multiFile && (v1.originalPath ?? v1.path).join('/') !== name) {
      throw mismatch(
        `file ${index + 1} is ${(v1.originalPath ?? v1.path).join('/')} in v1 but ${name} in v2`,
      );
    }
    const count = Math.ceil(raw.length / pieceLength);
    if (raw.length > 0 && v1.offset !== nextPiece * pieceLength) {
      throw mismatch(`${name} does not start on the piece boundary v2 puts it on`);
    }
    const file: V2File = {
      path: v1.path,
      length: raw.length,
      firstPiece: nextPiece,
      pieceCount: count,
      offset: v1.offset,
    };
    if (raw.piecesRoot) file.piecesRoot = raw.piecesRoot;
    if (raw.attributes !== undefined) file.attributes = raw.attributes;
    v2Files.push(file);
    nextPiece += count;
  }
  if (nextPiece !== pieceCount) {
    throw mismatch(`${pieceCount} v1 pieces but ${nextPiece} in v2`);
  }
  return v2Files;
}

/**
 * A v2-only torrent (BEP 52), with the v1-compatible view every layer reads: files in tree
 * order, a padding entry after each that does not end on a piece boundary (so every piece is
 * `piece length` long, as in libtorrent's view), the info-hash truncated to 20 bytes, and no
 * SHA-1 piece hashes.
 */
function buildV2Only(
  info: BencodeDictionary,
  infoBytes: Uint8Array,
  extra: BencodeDictionary,
  extras: Extras,
  options: BuildOptions,
): Metainfo {
  const rawName = readName(info, 'name', 'info.name', undefined);
  if (rawName === '') throw new InvalidTorrentError('empty-name', 'info.name', 'the name is empty');
  const name = sanitizePathSegment(rawName);
  const pieceLength = checkV2PieceLength(info.get('piece length'));
  const rawFiles = readFileTree(info.get('file tree'));
  const pieceLayers = readPieceLayers(
    extra.get('piece layers'),
    rawFiles,
    pieceLength,
    options.pieceLayersRequired,
  );
  const multiFile = !(rawFiles.length === 1 && rawFiles[0]!.path.length === 1);
  const files: TorrentFile[] = [];
  const owners: number[] = [];
  let offset = 0;
  for (let index = 0; index < rawFiles.length; index++) {
    const raw = rawFiles[index]!;
    const rawPath = multiFile ? raw.path : [rawName];
    const file: TorrentFile = {
      path: multiFile ? sanitizePath(rawPath) : [name],
      length: raw.length,
      offset,
      padding: false,
    };
    if (file.path.join('/') !== rawPath.join('/')) file.originalPath = rawPath;
    if (raw.attributes !== undefined) file.attributes = raw.attributes;
    owners[files.length] = index;
    files.push(file);
    offset += raw.length;
    const tail = raw.length % pieceLength;
    // After the last file too, as libtorrent does: peers then ask for whole 16 KiB blocks of
    // every piece, the last included, and the padding is served as zeros.
    if (tail !== 0) {
      const gap = pieceLength - tail;
      files.push({
        path: ['.pad', String(gap)],
        length: gap,
        offset,
        padding: true,
        attributes: 'p',
      });
      offset += gap;
    }
    if (!Number.isSafeInteger(offset)) {
      throw new InvalidTorrentError(
        'invalid-length',
        'info.file tree',
        'total length is too large',
      );
    }
  }
  const paths = files.map((file) => file.path);
  for (const index of resolveCollisions(paths, (i) => files[i]!.padding)) {
    const file = files[index]!;
    file.originalPath ??= file.path;
    file.path = paths[index]!;
  }
  const v2Files: V2File[] = [];
  for (let position = 0; position < files.length; position++) {
    const file = files[position]!;
    if (file.padding) continue;
    const raw = rawFiles[owners[position]!]!;
    const v2File: V2File = {
      path: file.path,
      length: file.length,
      firstPiece: Math.floor(file.offset / pieceLength),
      pieceCount: Math.ceil(file.length / pieceLength),
      offset: file.offset,
    };
    if (raw.piecesRoot) v2File.piecesRoot = raw.piecesRoot;
    if (raw.attributes !== undefined) v2File.attributes = raw.attributes;
    v2Files.push(v2File);
  }
  const hashes = v2Hashes(infoBytes);
  const infoHash = hashes.infoHash.slice(0, 20);
  let decodedInfo: BencodeDictionary | undefined;
  const metainfo: Metainfo = {
    infoHash,
    infoHashHex: toHex(infoHash),
    name,
    pieceLength,
    pieceCount: offset === 0 ? 0 : Math.ceil(offset / pieceLength),
    pieces: new Uint8Array(0),
    length: offset,
    files,
    multiFile,
    private: info.get('private') === 1,
    announce: extras.announce,
    urlList: extras.urlList,
    httpSeeds: extras.httpSeeds,
    infoBytes,
    hybrid: false,
    version: 'v2',
    v2: { ...hashes, files: v2Files, pieceLayers },
    get info(): BencodeDictionary {
      return (decodedInfo ??= decode(infoBytes) as BencodeDictionary);
    },
    extra,
  };
  if (name !== rawName) metainfo.originalName = rawName;
  if (extras.creationDate !== undefined) metainfo.creationDate = extras.creationDate;
  if (extras.comment !== undefined) metainfo.comment = extras.comment;
  if (extras.createdBy !== undefined) metainfo.createdBy = extras.createdBy;
  const source = textField(info, 'source', undefined);
  if (source !== undefined) metainfo.source = source;
  return metainfo;
}
