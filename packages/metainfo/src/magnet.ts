/**
 * Magnet links (BEP 9): `xt=urn:btih:` info-hashes in hex or base32, `dn`, `tr` (every one),
 * `ws` web seeds (BEP 19), `x.pe` peer addresses, `xl`, `so` file selection (BEP 53), and
 * `xt=urn:btmh:` v2 multihashes (BEP 52).
 * Pure string handling; no I/O.
 */
import { fromBase32, fromHex, toHex } from '@bt/primitives';
import { InvalidMagnetError } from './errors.js';
import type { Metainfo } from './types.js';

/** A peer address from `x.pe`: an IP literal or a host name, and a port. */
export interface MagnetPeer {
  host: string;
  port: number;
}

/** An inclusive range of file indices from BEP 53 `so` (`first === last` for one index). */
export interface FileIndexRange {
  first: number;
  last: number;
}

export interface Magnet {
  /** The v1 info-hash (`urn:btih:`), when the link has one. */
  infoHash?: Uint8Array;
  infoHashHex?: string;
  /**
   * The v2 info-hash (`urn:btmh:1220...`: SHA-256 multihash, BEP 52), when the link has one. A
   * link with only this one names a v2 torrent, whose peers know it by this hash truncated to 20 bytes.
   */
  infoHashV2?: Uint8Array;
  infoHashV2Hex?: string;
  /** `dn`: the display name. */
  name?: string;
  /** `tr`: trackers, in the link's order, duplicates removed. */
  trackers: string[];
  /** `ws`: web seeds (BEP 19). */
  webSeeds: string[];
  /** `x.pe`: peers to contact directly. */
  peers: MagnetPeer[];
  /** `xl`: the exact total length in bytes. */
  length?: number;
  /** `so` (BEP 53): the files to download, as index ranges; absent means all. */
  selectOnly?: FileIndexRange[];
  /** `xs`, `as`: where the `.torrent` itself can be fetched. */
  exactSources: string[];
  /** `kt`: search keywords. */
  keywords?: string[];
}

/** What `formatMagnet` needs: an info-hash and optionally the rest. */
export interface MagnetInput {
  /** The v1 info-hash (20 bytes); may be left out when `infoHashV2` is given (a v2-only torrent). */
  infoHash?: Uint8Array;
  /** The v2 info-hash (32 bytes, BEP 52), written as `xt=urn:btmh:1220...`. */
  infoHashV2?: Uint8Array;
  name?: string;
  trackers?: readonly string[];
  webSeeds?: readonly string[];
  peers?: readonly MagnetPeer[];
  length?: number;
  selectOnly?: readonly FileIndexRange[];
}

const MAX_FILE_INDEX = 0xffffffff;

/**
 * Parses a magnet link.
 * @throws InvalidMagnetError naming the parameter at fault.
 */
export function parseMagnet(uri: string): Magnet {
  if (typeof uri !== 'string' || !/^magnet:\?/i.test(uri.trim())) {
    throw new InvalidMagnetError('not-a-magnet', '', "a magnet link starts with 'magnet:?'");
  }
  const magnet: Magnet = { trackers: [], webSeeds: [], peers: [], exactSources: [] };
  let sawTopic = false;
  for (const part of uri.trim().slice(8).split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    // BEP 9 and the magnet draft allow numbered repeats: `tr.1=...`, `xt.2=...`.
    const rawKey = (equals < 0 ? part : part.slice(0, equals)).toLowerCase();
    const key = rawKey === 'x.pe' ? rawKey : rawKey.replace(/\.\d+$/, '');
    const rawValue = equals < 0 ? '' : part.slice(equals + 1);
    const value = decodeComponent(rawValue, key, key === 'dn' || key === 'kt');
    switch (key) {
      case 'xt':
        sawTopic = readTopic(magnet, value) || sawTopic;
        break;
      case 'dn':
        magnet.name = value;
        break;
      case 'tr':
        addUnique(magnet.trackers, checkUrl(value, 'tr'));
        break;
      case 'ws':
        addUnique(magnet.webSeeds, checkUrl(value, 'ws'));
        break;
      case 'xs':
      case 'as':
        addUnique(magnet.exactSources, checkUrl(value, key));
        break;
      case 'x.pe':
        magnet.peers.push(parsePeer(value));
        break;
      case 'xl':
        if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
          throw new InvalidMagnetError(
            'invalid-parameter',
            'xl',
            `not a byte count: ${quote(value)}`,
          );
        }
        magnet.length = Number(value);
        break;
      case 'so':
        magnet.selectOnly = parseSelectOnly(value);
        break;
      case 'kt':
        magnet.keywords = value.split(/\s+/).filter((word) => word !== '');
        break;
      default:
        // Unknown parameters (and `x.` extensions) are ignored, as the magnet draft says.
        break;
    }
  }
  if (!sawTopic) {
    throw new InvalidMagnetError(
      'missing-info-hash',
      'xt',
      'no BitTorrent info-hash (xt=urn:btih:... or xt=urn:btmh:...)',
    );
  }
  return magnet;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

function decodeComponent(text: string, key: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, ' ') : text);
  } catch {
    throw new InvalidMagnetError('invalid-encoding', key, `malformed %-encoding in ${quote(text)}`);
  }
}

function addUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function checkUrl(value: string, key: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value)) {
    throw new InvalidMagnetError('invalid-parameter', key, `not a URL: ${quote(value)}`);
  }
  return value;
}

/** Reads one `xt`; returns whether it was a BitTorrent topic (other URNs are ignored). */
function readTopic(magnet: Magnet, value: string): boolean {
  const lower = value.toLowerCase();
  if (lower.startsWith('urn:btih:')) {
    const text = value.slice(9);
    let hash: Uint8Array;
    if (/^[0-9a-f]{40}$/i.test(text)) hash = fromHex(text);
    else if (/^[a-z2-7]{32}$/i.test(text)) hash = fromBase32(text);
    else {
      throw new InvalidMagnetError(
        'invalid-info-hash',
        'xt',
        `urn:btih: needs 40 hex digits or 32 base32 characters, got ${quote(text)}`,
      );
    }
    const hex = toHex(hash);
    if (magnet.infoHashHex !== undefined && magnet.infoHashHex !== hex) {
      throw new InvalidMagnetError('conflicting-info-hash', 'xt', 'two different v1 info-hashes');
    }
    magnet.infoHash = hash;
    magnet.infoHashHex = hex;
    return true;
  }
  if (lower.startsWith('urn:btmh:')) {
    const text = value.slice(9);
    // A multihash: 0x12 (sha2-256), 0x20 (32 bytes), then the digest.
    if (!/^1220[0-9a-f]{64}$/i.test(text)) {
      throw new InvalidMagnetError(
        'invalid-info-hash',
        'xt',
        `urn:btmh: needs a SHA-256 multihash (1220 and 64 hex digits), got ${quote(text)}`,
      );
    }
    const hex = text.slice(4).toLowerCase();
    if (magnet.infoHashV2Hex !== undefined && magnet.infoHashV2Hex !== hex) {
      throw new InvalidMagnetError('conflicting-info-hash', 'xt', 'two different v2 info-hashes');
    }
    magnet.infoHashV2 = fromHex(hex);
    magnet.infoHashV2Hex = hex;
    return true;
  }
  return false;
}

function parsePeer(value: string): MagnetPeer {
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+)):(\d{1,5})$/i.exec(value);
  const port = match ? Number(match[3]) : 0;
  if (!match || port < 1 || port > 65535) {
    throw new InvalidMagnetError(
      'invalid-parameter',
      'x.pe',
      `expected HOST:PORT or [IPv6]:PORT, got ${quote(value)}`,
    );
  }
  return { host: (match[1] ?? match[2]!).toLowerCase(), port };
}

/** BEP 53: `0,2,4-7`: indices and inclusive ranges, merged and sorted. */
function parseSelectOnly(value: string): FileIndexRange[] {
  const ranges: FileIndexRange[] = [];
  for (const item of value.split(',')) {
    const match = /^(\d{1,10})(?:-(\d{1,10}))?$/.exec(item.trim());
    const first = match ? Number(match[1]) : NaN;
    const last = match?.[2] !== undefined ? Number(match[2]) : first;
    if (!match || first > last || last > MAX_FILE_INDEX) {
      throw new InvalidMagnetError(
        'invalid-parameter',
        'so',
        `expected file indices and ranges like 0,2,4-7, got ${quote(value)}`,
      );
    }
    ranges.push({ first, last });
  }
  ranges.sort((a, b) => a.first - b.first);
  const merged: FileIndexRange[] = [];
  for (const range of ranges) {
    const previous = merged[merged.length - 1];
    if (previous && range.first <= previous.last + 1)
      previous.last = Math.max(previous.last, range.last);
    else merged.push({ ...range });
  }
  return merged;
}

/** True when file `index` is selected by BEP 53 ranges (all files when there are none). */
export function isFileSelected(
  selectOnly: readonly FileIndexRange[] | undefined,
  index: number,
): boolean {
  if (selectOnly === undefined) return true;
  return selectOnly.some((range) => index >= range.first && index <= range.last);
}

/** Characters kept as they are in magnet values, for readable links. */
function encodeComponent(text: string): string {
  return encodeURIComponent(text).replace(/%2F/g, '/').replace(/%3A/g, ':');
}

/**
 * Writes a magnet link: `xt` (v1 hex, then the v2 multihash), then `dn`, `xl`, every `tr`,
 * `ws`, `x.pe` and `so`.
 */
export function formatMagnet(input: MagnetInput): string {
  const parts: string[] = [];
  if (input.infoHash !== undefined || input.infoHashV2 === undefined) {
    if (!(input.infoHash instanceof Uint8Array) || input.infoHash.length !== 20) {
      throw new InvalidMagnetError('invalid-info-hash', 'xt', 'a v1 info-hash is 20 bytes');
    }
    parts.push(`xt=urn:btih:${toHex(input.infoHash)}`);
  }
  if (input.infoHashV2 !== undefined) {
    if (!(input.infoHashV2 instanceof Uint8Array) || input.infoHashV2.length !== 32) {
      throw new InvalidMagnetError('invalid-info-hash', 'xt', 'a v2 info-hash is 32 bytes');
    }
    // BEP 52: a multihash, 0x12 (SHA-256) and 0x20 (32 bytes) before the digest.
    parts.push(`xt=urn:btmh:1220${toHex(input.infoHashV2)}`);
  }
  if (input.name !== undefined && input.name !== '')
    parts.push(`dn=${encodeComponent(input.name)}`);
  if (input.length !== undefined) parts.push(`xl=${input.length}`);
  for (const tracker of input.trackers ?? []) parts.push(`tr=${encodeComponent(tracker)}`);
  for (const seed of input.webSeeds ?? []) parts.push(`ws=${encodeComponent(seed)}`);
  for (const peer of input.peers ?? []) {
    const host = peer.host.includes(':') ? `[${peer.host}]` : peer.host;
    parts.push(`x.pe=${host}:${peer.port}`);
  }
  if (input.selectOnly && input.selectOnly.length > 0) {
    const ranges = input.selectOnly.map((range) =>
      range.first === range.last ? `${range.first}` : `${range.first}-${range.last}`,
    );
    parts.push(`so=${ranges.join(',')}`);
  }
  return `magnet:?${parts.join('&')}`;
}

/**
 * The magnet link of a parsed torrent: info-hash (v1, v2 or both for a hybrid), name, length,
 * every tracker, web seeds.
 */
export function magnetFromMetainfo(metainfo: Metainfo): string {
  return formatMagnet({
    ...(metainfo.version === 'v2' ? {} : { infoHash: metainfo.infoHash }),
    ...(metainfo.v2 ? { infoHashV2: metainfo.v2.infoHash } : {}),
    name: metainfo.originalName ?? metainfo.name,
    length: metainfo.length,
    trackers: metainfo.announce.flat(),
    webSeeds: metainfo.urlList,
  });
}
