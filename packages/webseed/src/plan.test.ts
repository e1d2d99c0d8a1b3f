import { describe, expect, it } from 'vitest';
import { planRun, type WebSeedTorrent } from './plan.js';
import { fileUrl, httpSeedUrl, percentEncodeBytes, webSeedsOf } from './urls.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, index) => index * 13);

function multi(files: { path: string[]; length: number; padding?: boolean }[]): WebSeedTorrent {
  let offset = 0;
  const placed = files.map((file) => {
    const entry = { ...file, offset };
    offset += file.length;
    return entry;
  });
  return {
    infoHash,
    name: 'album',
    multiFile: true,
    pieceLength: 16,
    length: offset,
    files: placed,
  };
}

describe('fileUrl (BEP 19)', () => {
  it('names a single file by the URL itself, or appends the name to a folder URL', () => {
    const torrent = { name: 'a b.iso', multiFile: false };
    expect(fileUrl('http://h/x/a.iso', torrent, ['a b.iso'])).toBe('http://h/x/a.iso');
    expect(fileUrl('http://h/x/', torrent, ['a b.iso'])).toBe('http://h/x/a%20b.iso');
  });

  it('appends the name and the path of a multi-file torrent, each part encoded', () => {
    const torrent = { name: 'album', multiFile: true };
    expect(fileUrl('http://h/m', torrent, ['cd 1', "it's#1?.flac"])).toBe(
      'http://h/m/album/cd%201/it%27s%231%3F.flac',
    );
    expect(fileUrl('http://h/m/', torrent, ['a/b'])).toBe('http://h/m/album/a%2Fb');
  });

  it('refuses what is not http(s)', () => {
    expect(() => fileUrl('ftp://h/x', { name: 'x', multiFile: false }, ['x'])).toThrow(
      expect.objectContaining({ code: 'invalid-url' }),
    );
  });
});

describe('httpSeedUrl (BEP 17)', () => {
  it('percent-encodes the info-hash and lists inclusive ranges', () => {
    const url = httpSeedUrl('http://h/seed.php?t=1', infoHash, 8, [{ start: 0, end: 16383 }]);
    expect(url).toBe(
      `http://h/seed.php?t=1&info_hash=${percentEncodeBytes(infoHash)}&piece=8&ranges=0-16383`,
    );
    expect(percentEncodeBytes(Uint8Array.of(0x41, 0x20, 0xff, 0x2e))).toBe('A%20%FF.');
  });
});

describe('webSeedsOf', () => {
  it('keeps valid http(s) URLs of both lists, each once', () => {
    expect(
      webSeedsOf({
        urlList: ['http://a/', 'http://a/', 'javascript:alert(1)', 'not a url'],
        httpSeeds: ['https://b/seed'],
      }),
    ).toEqual([
      { url: 'http://a/', kind: 'url-list' },
      { url: 'https://b/seed', kind: 'httpseeds' },
    ]);
  });
});

describe('planRun', () => {
  const torrent = multi([
    { path: ['one'], length: 10 },
    { path: ['.pad', '6'], length: 6, padding: true },
    { path: ['empty'], length: 0 },
    { path: ['two'], length: 20 },
  ]);
  const seed = { url: 'http://h/', kind: 'url-list' as const };

  it('spans files with one range each, padding as zeros never requested', () => {
    expect(planRun(torrent, seed, 4, 30)).toEqual([
      { kind: 'http', url: 'http://h/album/one', range: { start: 4, end: 9 }, length: 6 },
      { kind: 'zeros', length: 6 },
      { kind: 'http', url: 'http://h/album/two', range: { start: 0, end: 17 }, length: 18 },
    ]);
  });

  it('asks one file for a run inside it, across pieces', () => {
    expect(planRun(torrent, seed, 16, 20)).toEqual([
      { kind: 'http', url: 'http://h/album/two', range: { start: 0, end: 19 }, length: 20 },
    ]);
  });

  it('asks a BEP 17 script for a whole piece, or ranges of one', () => {
    const script = { url: 'http://h/s', kind: 'httpseeds' as const };
    const encoded = percentEncodeBytes(infoHash);
    expect(planRun(torrent, script, 16, 16)).toEqual([
      { kind: 'http', url: `http://h/s?info_hash=${encoded}&piece=1`, length: 16 },
    ]);
    expect(planRun(torrent, script, 34, 2)).toEqual([
      { kind: 'http', url: `http://h/s?info_hash=${encoded}&piece=2&ranges=2-3`, length: 2 },
    ]);
    expect(() => planRun(torrent, script, 10, 10)).toThrow(RangeError);
  });

  it('refuses runs outside the torrent', () => {
    expect(() => planRun(torrent, seed, 30, 7)).toThrow(RangeError);
    expect(() => planRun(torrent, seed, -1, 2)).toThrow(RangeError);
    expect(() => planRun(torrent, seed, 0, 0)).toThrow(RangeError);
  });
});
