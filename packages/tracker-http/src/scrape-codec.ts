/**
 * The pure client side of an HTTP scrape (BEP 48): the announce-to-scrape URL rule, the
 * request URL for several info-hashes at once, and the `files` dictionary of the response.
 */
import { getDictionary, getText, isDictionary } from '@bt/bencode';
import type { ScrapeFile, ScrapeResult } from '@bt/primitives';
import { appendQuery, decodeTrackerBody, throwOnFailure } from './announce-codec.js';
import { HttpTrackerError } from './errors.js';
import { percentEncodeBytes } from './percent.js';

/**
 * BEP 48: the scrape URL is the announce URL with the `announce` that starts its last path
 * segment replaced by `scrape` (query kept). A tracker whose announce URL does not follow that
 * pattern does not support scrape.
 * @throws HttpTrackerError `scrape-unsupported` (or `invalid-url` for a URL that cannot be read).
 */
export function announceToScrapeUrl(announceUrl: string): string {
  const queryStart = announceUrl.search(/[?#]/);
  const path = queryStart < 0 ? announceUrl : announceUrl.slice(0, queryStart);
  const rest = queryStart < 0 ? '' : announceUrl.slice(queryStart);
  const slash = path.lastIndexOf('/');
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i.test(path) || slash < 0) {
    throw new HttpTrackerError('invalid-url', `not a tracker URL: ${announceUrl}`, {
      url: announceUrl,
    });
  }
  const segment = path.slice(slash + 1);
  if (!segment.startsWith('announce')) {
    throw new HttpTrackerError(
      'scrape-unsupported',
      `this tracker has no scrape URL (BEP 48: the last path segment must start with 'announce'): ${announceUrl}`,
      { url: announceUrl },
    );
  }
  return `${path.slice(0, slash + 1)}scrape${segment.slice('announce'.length)}${rest}`;
}

/** The scrape request URL: one `info_hash` parameter per hash. */
export function buildScrapeUrl(scrapeUrl: string, infoHashes: readonly Uint8Array[]): string {
  for (const infoHash of infoHashes) {
    if (infoHash.length !== 20) throw new RangeError('an info-hash is 20 bytes');
  }
  return appendQuery(
    scrapeUrl,
    infoHashes.map((infoHash) => `info_hash=${percentEncodeBytes(infoHash)}`).join('&'),
  );
}

function count(entry: Map<string | Uint8Array, unknown>, key: string): number {
  const value = entry.get(key);
  if (value === undefined) return 0;
  if (typeof value !== 'number' && typeof value !== 'bigint') {
    throw new HttpTrackerError('malformed-response', `scrape '${key}' is not an integer`);
  }
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new HttpTrackerError(
      'malformed-response',
      `scrape '${key}' is out of range: ${String(value)}`,
    );
  }
  return number;
}

/**
 * Reads a scrape response: `files`, keyed by 20-byte info-hashes, each with complete,
 * downloaded and incomplete (a missing count reads as 0; a few trackers leave `downloaded` out).
 * Entries whose key is not 20 bytes are skipped.
 * @throws HttpTrackerError `failure-reason` or `malformed-response`.
 */
export function parseScrapeResponse(body: Uint8Array): ScrapeResult {
  const dictionary = decodeTrackerBody(body);
  throwOnFailure(dictionary);
  const files = getDictionary(dictionary, 'files');
  if (files === undefined) {
    if (dictionary.has('files'))
      throw new HttpTrackerError('malformed-response', "scrape 'files' is not a dictionary");
    return { files: [] };
  }
  const result: ScrapeFile[] = [];
  const encoder = new TextEncoder();
  for (const [key, entry] of files) {
    // The decoder keeps keys that are valid UTF-8 as strings: their UTF-8 bytes are the hash.
    const infoHash = typeof key === 'string' ? encoder.encode(key) : key.slice();
    if (infoHash.length !== 20) continue;
    if (!isDictionary(entry))
      throw new HttpTrackerError('malformed-response', 'a scrape entry is not a dictionary');
    const file: ScrapeFile = {
      infoHash,
      complete: count(entry, 'complete'),
      downloaded: count(entry, 'downloaded'),
      incomplete: count(entry, 'incomplete'),
    };
    const name = getText(entry, 'name');
    if (name !== undefined) file.name = name;
    result.push(file);
  }
  return { files: result };
}
