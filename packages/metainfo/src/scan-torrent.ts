/**
 * The fast path for reading torrents, on `@bt/bencode`'s pull reader: one pass over the bytes
 * that reads the file list, the big part of a big torrent, without building a `Map` per file.
 * It takes the well-formed shapes real torrents have; on anything else (a wrong type, an
 * unknown key in a file entry, malformed bencode, `encoding` after `info`) it returns
 * `undefined` and the caller takes the generic path, which raises the precise typed error.
 * Both paths produce the same result; a property test holds them to it.
 */
import { BencodeDecodeError, type BencodeDictionary, BencodeReader } from '@bt/bencode';
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

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bails out of the fast path; one shared instance, never seen outside this module. */
class Unusual extends Error {
  override name = 'Unusual';
}
const UNUSUAL = new Unusual('not a shape the fast path reads');

/** The fast path; `undefined` when the input needs the generic one. */
export function scanTorrent(bytes: Uint8Array): ScannedTorrent | undefined {
  try {
    return scan(new BencodeReader(bytes, { prefix: true }));
  } catch (error) {
    // A malformed value: the generic path reports it, naming the field.
    if (error === UNUSUAL || BencodeDecodeError.isInstance(error)) return undefined;
    throw error;
  }
}

function scan(reader: BencodeReader): ScannedTorrent {
  if (reader.next() !== 'dictionary-start') throw UNUSUAL;
  const extra: BencodeDictionary = new Map();
  let infoStart = -1;
  let infoEnd = -1;
  let info: BencodeDictionary | undefined;
  let files: RawFile[] | undefined;
  while (reader.next() === 'string') {
    if (reader.stringIs('info')) {
      if (reader.next() !== 'dictionary-start') throw UNUSUAL;
      infoStart = reader.start;
      const declared = extra.get('encoding');
      const encoding = declared instanceof Uint8Array ? readText(declared) : undefined;
      info = new Map();
      files = scanInfo(reader, info, encoding);
      infoEnd = reader.end;
      continue;
    }
    const key = keyText(reader);
    // The file names were read already, without the encoding that applies to them.
    if (key === 'encoding' && info !== undefined) throw UNUSUAL;
    extra.set(key, reader.readValue());
  }
  if (info === undefined) throw UNUSUAL;
  return { extra, infoStart, infoEnd, info, files };
}

/** Reads the info dictionary's entries into `info`, all but `files`, which it returns. */
function scanInfo(
  reader: BencodeReader,
  info: BencodeDictionary,
  encoding: string | undefined,
): RawFile[] | undefined {
  let files: RawFile[] | undefined;
  while (reader.next() === 'string') {
    if (reader.stringIs('files')) files = scanFiles(reader, encoding);
    else info.set(keyText(reader), reader.readValue());
  }
  return files;
}

function scanFiles(reader: BencodeReader, encoding: string | undefined): RawFile[] {
  if (reader.next() !== 'list-start') throw UNUSUAL;
  const files: RawFile[] = [];
  for (let token = reader.next(); token !== 'list-end'; token = reader.next()) {
    if (token !== 'dictionary-start') throw UNUSUAL;
    let length = -1;
    let path: string[] | undefined;
    let pathUtf8: string[] | undefined;
    let attributes: string | undefined;
    let md5sum: string | undefined;
    let symlink: string[] | undefined;
    while (reader.next() === 'string') {
      if (reader.stringIs('length')) {
        if (reader.next() !== 'integer') throw UNUSUAL;
        const value = reader.integer;
        if (typeof value !== 'number' || value < 0) throw UNUSUAL;
        length = value;
      } else if (reader.stringIs('path')) {
        path = textList(reader, encoding);
      } else if (reader.stringIs('path.utf-8')) {
        pathUtf8 = textList(reader, undefined);
      } else if (reader.stringIs('attr')) {
        if (reader.next() !== 'string') throw UNUSUAL;
        attributes = readText(reader.bytes());
      } else if (reader.stringIs('md5sum')) {
        if (reader.next() !== 'string') throw UNUSUAL;
        md5sum = readText(reader.bytes());
      } else if (reader.stringIs('symlink path')) {
        symlink = textList(reader, encoding);
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

/** A list of byte strings, as text. */
function textList(reader: BencodeReader, encoding: string | undefined): string[] {
  if (reader.next() !== 'list-start') throw UNUSUAL;
  const list: string[] = [];
  for (let token = reader.next(); token !== 'list-end'; token = reader.next()) {
    if (token !== 'string') throw UNUSUAL;
    list.push(readText(reader.bytes(), encoding));
  }
  return list;
}

/** The key just read, as text; keys that are not UTF-8 take the generic path. */
function keyText(reader: BencodeReader): string {
  try {
    return utf8.decode(reader.bytes());
  } catch {
    throw UNUSUAL;
  }
}
