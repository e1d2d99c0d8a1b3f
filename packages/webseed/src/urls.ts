/**
 * The URLs of web seeds. BEP 19 (`url-list`): for a multi-file torrent, or a URL that ends in
 * `/`, the torrent's name and the file's path are appended, each part percent-encoded. BEP 17
 * (`httpseeds`): the script's URL gets `info_hash`, `piece` and `ranges` in its query.
 */
import { WebSeedError } from './errors.js';

/** The two kinds of web seed. */
export type WebSeedKind = 'url-list' | 'httpseeds';

/** One web seed of a torrent. */
export interface WebSeed {
  url: string;
  kind: WebSeedKind;
}

/** The web seeds a torrent names (both lists), valid URLs only, each once. */
export function webSeedsOf(torrent: {
  urlList?: readonly string[];
  httpSeeds?: readonly string[];
}): WebSeed[] {
  const seen = new Set<string>();
  const seeds: WebSeed[] = [];
  const add = (url: string, kind: WebSeedKind): void => {
    if (seen.has(url) || !isWebSeedUrl(url)) return;
    seen.add(url);
    seeds.push({ url, kind });
  };
  for (const url of torrent.urlList ?? []) add(url, 'url-list');
  for (const url of torrent.httpSeeds ?? []) add(url, 'httpseeds');
  return seeds;
}

/** True for an absolute `http:` or `https:` URL. */
export function isWebSeedUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

function checkedUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new WebSeedError('invalid-url', `not a URL: ${url}`, { url, cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new WebSeedError('invalid-url', `not an http(s) URL: ${url}`, { url });
  return parsed;
}

/**
 * BEP 19: the URL of one file. A single-file torrent's URL names the file itself unless it ends
 * in `/`; a multi-file torrent's URL is the folder holding `<name>/<path...>`.
 */
export function fileUrl(
  base: string,
  torrent: { name: string; multiFile: boolean },
  path: readonly string[],
): string {
  const parsed = checkedUrl(base);
  const endsInSlash = parsed.pathname.endsWith('/');
  if (!torrent.multiFile && !endsInSlash) return parsed.href;
  const parts = torrent.multiFile ? [torrent.name, ...path] : [torrent.name];
  const prefix = endsInSlash ? parsed.pathname : `${parsed.pathname}/`;
  parsed.pathname = prefix + parts.map(encodePathPart).join('/');
  return parsed.href;
}

/** RFC 3986: everything but unreserved characters percent-encoded (a `/` inside a name too). */
function encodePathPart(part: string): string {
  return encodeURIComponent(part).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Bytes percent-encoded one by one, as BEP 17 (and BEP 3 trackers) want the info-hash. */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9.\-_~]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * BEP 17: `<url>?info_hash=…&piece=N[&ranges=a-b,…]`, ranges inclusive within the piece. Keeps
 * a query the URL already has.
 */
export function httpSeedUrl(
  base: string,
  infoHash: Uint8Array,
  piece: number,
  ranges?: readonly { start: number; end: number }[],
): string {
  const parsed = checkedUrl(base);
  const query = [
    `info_hash=${percentEncodeBytes(infoHash)}`,
    `piece=${piece}`,
    ...(ranges && ranges.length > 0
      ? [`ranges=${ranges.map((range) => `${range.start}-${range.end}`).join(',')}`]
      : []),
  ].join('&');
  parsed.hash = '';
  const existing = parsed.search.length > 1 ? `${parsed.search.slice(1)}&` : '';
  return `${parsed.origin}${parsed.pathname}?${existing}${query}`;
}
