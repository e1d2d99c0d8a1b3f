/**
 * A fast path for reading torrents: walks the top level and the `info` dictionary directly
 * over the bytes and reads the file list, the big part of a big torrent, without building a
 * `Map` per file. It handles the well-formed shapes real torrents have; on anything else
 * (a wrong type, an unknown key in a file entry, a duplicate key, an odd integer) it returns
 * `undefined` and the caller takes the generic path, which raises the precise typed error.
 * Both paths produce the same result; tests hold them to it.
 */
import { type BencodeDictionary, type BencodeValue, decodePrefix, locate } from '@bt/bencode';
import { readText } from './text.js';

/** One entry of `info.files`, read and decoded to text (before the path policy). */
export interface RawFile {
  length: number;
  /** `path.utf-8` when present, else `path` in the torrent's encoding. */
  path: string[];
  attributes: string | undefined;
  md5sum: string | undefined;
  symlink: string[] | undefined;
}

export interface ScannedTorrent {
  /** The top level without `info`. */
  extra: BencodeDictionary;
  infoStart: number;
  infoEnd: number;
  /** The info dictionary without `files`. */
  info: BencodeDictionary;
  /** The file list, when the info dictionary has one. */
  files: RawFile[] | undefined;
}

const D = 0x64;
const E = 0x65;
const I = 0x69;
const L = 0x6c;
const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bails out of the fast path; one shared instance, never seen outside this module. */
class Unusual extends Error {
  override name = 'Unusual';
}
const UNUSUAL = new Unusual('not a shape the fast path reads');

class Scanner {
  position: number;
  /** Bounds of the last string read. */
  start = 0;
  end = 0;

  constructor(
    readonly bytes: Uint8Array,
    position: number,
  ) {
    this.position = position;
  }

  expect(byte: number): void {
    if (this.bytes[this.position] !== byte) throw UNUSUAL;
    this.position++;
  }

  atEnd(): boolean {
    if (this.position >= this.bytes.length) throw UNUSUAL;
    if (this.bytes[this.position] !== E) return false;
    this.position++;
    return true;
  }

  /** Reads a byte string's bounds into `start`/`end`. */
  string(): void {
    const bytes = this.bytes;
    let position = this.position;
    let length = 0;
    const digitsStart = position;
    for (;;) {
      const byte = bytes[position];
      if (byte === undefined) throw UNUSUAL;
      if (byte === COLON) break;
      if (byte < ZERO || byte > NINE || position - digitsStart >= 12) throw UNUSUAL;
      length = length * 10 + (byte - ZERO);
      position++;
    }
    if (position === digitsStart) throw UNUSUAL;
    this.start = position + 1;
    this.end = this.start + length;
    if (this.end > bytes.length) throw UNUSUAL;
    this.position = this.end;
  }

  view(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }

  /** A non-negative integer in plain form (no sign, no leading zero), within 2^53. */
  integer(): number {
    const bytes = this.bytes;
    this.expect(I);
    const digitsStart = this.position;
    let value = 0;
    for (;;) {
      const byte = bytes[this.position];
      if (byte === undefined) throw UNUSUAL;
      if (byte === E) break;
      if (byte < ZERO || byte > NINE || this.position - digitsStart >= 15) throw UNUSUAL;
      value = value * 10 + (byte - ZERO);
      this.position++;
    }
    const digits = this.position - digitsStart;
    if (digits === 0 || (digits > 1 && bytes[digitsStart] === ZERO)) throw UNUSUAL;
    this.position++;
    return value;
  }

  /** A list of byte strings, as text. */
  textList(encoding: string | undefined): string[] {
    this.expect(L);
    const list: string[] = [];
    while (!this.atEnd()) {
      this.string();
      list.push(readText(this.view(), encoding));
    }
    return list;
  }

  /** The key just read equals `name` (ASCII). */
  keyIs(name: string): boolean {
    if (this.end - this.start !== name.length) return false;
    for (let i = 0; i < name.length; i++) {
      if (this.bytes[this.start + i] !== name.charCodeAt(i)) return false;
    }
    return true;
  }

  keyText(): string {
    try {
      return utf8.decode(this.view());
    } catch {
      throw UNUSUAL;
    }
  }

  /** Decodes any value generically; `maxDepth` keeps the generic decoder's depth limit. */
  value(maxDepth: number): BencodeValue {
    const { value, end } = decodePrefix(this.bytes.subarray(this.position), { maxDepth });
    this.position += end;
    return value;
  }

  skip(maxDepth: number): void {
    const span = locate(this.bytes.subarray(this.position), [], { maxDepth });
    if (span === undefined) throw UNUSUAL;
    this.position += span.end;
  }
}

/** The fast path; `undefined` when the input needs the generic one. */
export function scanTorrent(bytes: Uint8Array): ScannedTorrent | undefined {
  try {
    return scan(bytes);
  } catch (error) {
    if (error === UNUSUAL) return undefined;
    // A malformed value the generic decoder met: the generic path reports it properly.
    if (typeof error === 'object' && error !== null && 'offset' in error) return undefined;
    throw error;
  }
}

function scan(bytes: Uint8Array): ScannedTorrent {
  const scanner = new Scanner(bytes, 0);
  scanner.expect(D);
  const extra: BencodeDictionary = new Map();
  let infoStart = -1;
  let infoEnd = -1;
  while (!scanner.atEnd()) {
    scanner.string();
    if (scanner.keyIs('info')) {
      if (infoStart >= 0 || bytes[scanner.position] !== D) throw UNUSUAL;
      infoStart = scanner.position;
      scanner.skip(255);
      infoEnd = scanner.position;
      continue;
    }
    const key = scanner.keyText();
    if (extra.has(key)) throw UNUSUAL;
    extra.set(key, scanner.value(255));
  }
  if (infoStart < 0) throw UNUSUAL;

  const declared = extra.get('encoding');
  const encoding = declared instanceof Uint8Array ? readText(declared) : undefined;
  const info: BencodeDictionary = new Map();
  let files: RawFile[] | undefined;
  const inner = new Scanner(bytes, infoStart + 1);
  while (!inner.atEnd()) {
    inner.string();
    if (inner.keyIs('files')) {
      if (files !== undefined) throw UNUSUAL;
      files = scanFiles(inner, encoding);
      continue;
    }
    const key = inner.keyText();
    if (info.has(key)) throw UNUSUAL;
    info.set(key, inner.value(254));
  }
  return { extra, infoStart, infoEnd, info, files };
}

function scanFiles(scanner: Scanner, encoding: string | undefined): RawFile[] {
  scanner.expect(L);
  const files: RawFile[] = [];
  while (!scanner.atEnd()) {
    scanner.expect(D);
    let length = -1;
    let path: string[] | undefined;
    let pathUtf8: string[] | undefined;
    let attributes: string | undefined;
    let md5sum: string | undefined;
    let symlink: string[] | undefined;
    while (!scanner.atEnd()) {
      scanner.string();
      if (scanner.keyIs('length')) {
        if (length >= 0) throw UNUSUAL;
        length = scanner.integer();
      } else if (scanner.keyIs('path')) {
        if (path) throw UNUSUAL;
        path = scanner.textList(encoding);
      } else if (scanner.keyIs('path.utf-8')) {
        if (pathUtf8) throw UNUSUAL;
        pathUtf8 = scanner.textList(undefined);
      } else if (scanner.keyIs('attr')) {
        if (attributes !== undefined) throw UNUSUAL;
        scanner.string();
        attributes = readText(scanner.view());
      } else if (scanner.keyIs('md5sum')) {
        if (md5sum !== undefined) throw UNUSUAL;
        scanner.string();
        md5sum = readText(scanner.view());
      } else if (scanner.keyIs('symlink path')) {
        if (symlink) throw UNUSUAL;
        symlink = scanner.textList(encoding);
      } else {
        throw UNUSUAL;
      }
    }
    // The generic path names the field when one is missing or empty.
    if (length < 0) throw UNUSUAL;
    const chosen = pathUtf8 !== undefined && pathUtf8.length > 0 ? pathUtf8 : path;
    if (chosen === undefined || chosen.length === 0) throw UNUSUAL;
    files.push({ length, path: chosen, attributes, md5sum, symlink });
  }
  if (files.length === 0) throw UNUSUAL;
  return files;
}
