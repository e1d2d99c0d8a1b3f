import { encode } from '@bt/bencode';
import { describe, expect, it } from 'vitest';
import { HttpTrackerError } from './errors.js';
import { announceToScrapeUrl, buildScrapeUrl, parseScrapeResponse } from './scrape-codec.js';

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return HttpTrackerError.isInstance(error) ? error.code : 'not-typed';
  }
  return undefined;
}

describe('announceToScrapeUrl (BEP 48)', () => {
  it.each([
    ['http://example.com/announce', 'http://example.com/scrape'],
    ['http://example.com/x/announce', 'http://example.com/x/scrape'],
    ['http://example.com/announce.php', 'http://example.com/scrape.php'],
    ['http://example.com/a/announce?x2%0644', 'http://example.com/a/scrape?x2%0644'],
    [
      'https://example.com:8443/p/announce?passkey=1',
      'https://example.com:8443/p/scrape?passkey=1',
    ],
  ])('%s -> %s', (announce, scrape) => {
    expect(announceToScrapeUrl(announce)).toBe(scrape);
  });

  it.each([
    'http://example.com/a',
    'http://example.com/announce?x=2/4',
    'http://example.com/x%064announce',
    'http://example.com/',
  ])('%s has no scrape', (announce) => {
    // `?x=2/4`: the slash is in the query, so the path's last segment is `announce`: supported.
    if (announce.includes('?x=2/4'))
      expect(announceToScrapeUrl(announce)).toBe('http://example.com/scrape?x=2/4');
    else expect(code(() => announceToScrapeUrl(announce))).toBe('scrape-unsupported');
  });

  it('rejects what is not a URL', () => {
    expect(code(() => announceToScrapeUrl('announce'))).toBe('invalid-url');
  });
});

describe('scrape request and response', () => {
  const a = new Uint8Array(20).fill(0xaa);
  const b = new TextEncoder().encode('abcdefghijklmnopqrst'); // valid UTF-8: decoded as a string key

  it('sends every info-hash', () => {
    expect(buildScrapeUrl('http://t/scrape', [a, b])).toBe(
      `http://t/scrape?info_hash=${'%AA'.repeat(20)}&info_hash=abcdefghijklmnopqrst`,
    );
  });

  it('reads files keyed by raw hashes, whether or not the key is valid UTF-8', () => {
    const body = encode({
      files: new Map<Uint8Array, unknown>([
        [a, { complete: 1, downloaded: 2, incomplete: 3 }],
        [b, { complete: 4, incomplete: 5, name: 'x' }],
      ]) as never,
    });
    const result = parseScrapeResponse(body);
    expect(result.files).toEqual([
      { infoHash: b, complete: 4, downloaded: 0, incomplete: 5, name: 'x' },
      { infoHash: a, complete: 1, downloaded: 2, incomplete: 3 },
    ]);
  });

  it('types failures and garbage', () => {
    expect(code(() => parseScrapeResponse(encode({ 'failure reason': 'no' })))).toBe(
      'failure-reason',
    );
    expect(code(() => parseScrapeResponse(new TextEncoder().encode('d5:files')))).toBe(
      'malformed-response',
    );
    expect(code(() => parseScrapeResponse(encode({ files: 3 })))).toBe('malformed-response');
    expect(code(() => parseScrapeResponse(encode({ files: new Map([[a, 5]]) as never })))).toBe(
      'malformed-response',
    );
    expect(
      code(() =>
        parseScrapeResponse(encode({ files: new Map([[a, { complete: 'x' }]]) as never })),
      ),
    ).toBe('malformed-response');
    expect(parseScrapeResponse(encode({})).files).toEqual([]);
  });
});
