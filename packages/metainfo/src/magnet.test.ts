import { describe, expect, it } from 'vitest';
import { InvalidMagnetError } from './errors.js';
import { formatMagnet, isFileSelected, magnetFromMetainfo, parseMagnet } from './magnet.js';
import { parseTorrent } from './parse-torrent.js';
import { makeTorrent } from '../test/make-torrent.js';

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
const BASE32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK';

function expectMagnetError(uri: string, code: string, parameter?: string): void {
  try {
    parseMagnet(uri);
  } catch (error) {
    expect(InvalidMagnetError.isInstance(error)).toBe(true);
    expect((error as InvalidMagnetError).code).toBe(code);
    if (parameter !== undefined) expect((error as InvalidMagnetError).parameter).toBe(parameter);
    return;
  }
  throw new Error(`expected ${uri} to be refused`);
}

describe('parseMagnet', () => {
  it('reads hex and base32 info-hashes alike', () => {
    const hex = parseMagnet(`magnet:?xt=urn:btih:${HEX}`);
    const base32 = parseMagnet(`magnet:?xt=urn:btih:${BASE32}`);
    expect(hex.infoHashHex).toBe(HEX);
    expect(base32.infoHashHex).toBe(HEX);
    expect(parseMagnet(`magnet:?xt=urn:btih:${HEX.toUpperCase()}`).infoHashHex).toBe(HEX);
  });

  it('reads every parameter', () => {
    const magnet = parseMagnet(
      `magnet:?xt=urn:btih:${HEX}&dn=Big+Buck%20Bunny&xl=276445467` +
        '&tr=udp%3A%2F%2Ftracker.example%3A1337&tr=wss://tracker.example&tr.1=http://t/a&tr=http://t/a' +
        '&ws=https%3A%2F%2Fseed.example%2Ffile&x.pe=192.0.2.1:6881&x.pe=[2001:DB8::1]:51413&x.pe=peer.example:80' +
        '&so=0,2,4-6,5,7&kt=big+bunny&xs=http://cache.example/x.torrent&x.foo=bar&unknown=1',
    );
    expect(magnet).toMatchObject({
      infoHashHex: HEX,
      name: 'Big Buck Bunny',
      length: 276445467,
      trackers: ['udp://tracker.example:1337', 'wss://tracker.example', 'http://t/a'],
      webSeeds: ['https://seed.example/file'],
      peers: [
        { host: '192.0.2.1', port: 6881 },
        { host: '2001:db8::1', port: 51413 },
        { host: 'peer.example', port: 80 },
      ],
      selectOnly: [
        { first: 0, last: 0 },
        { first: 2, last: 2 },
        { first: 4, last: 7 },
      ],
      keywords: ['big', 'bunny'],
      exactSources: ['http://cache.example/x.torrent'],
    });
    expect(isFileSelected(magnet.selectOnly, 5)).toBe(true);
    expect(isFileSelected(magnet.selectOnly, 3)).toBe(false);
    expect(isFileSelected(undefined, 3)).toBe(true);
  });

  it('recognises v2 (btmh) and hybrid links', () => {
    const v2 = `1220${'ab'.repeat(32)}`;
    const only = parseMagnet(`magnet:?xt=urn:btmh:${v2}&dn=v2`);
    expect(only.infoHash).toBeUndefined();
    expect(only.infoHashV2Hex).toBe('ab'.repeat(32));
    const hybrid = parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:${v2}`);
    expect(hybrid.infoHashHex).toBe(HEX);
    expect(hybrid.infoHashV2?.length).toBe(32);
  });

  it('refuses malformed links with the parameter named', () => {
    expectMagnetError('http://example.com', 'not-a-magnet');
    expectMagnetError('magnet:?dn=nothing', 'missing-info-hash', 'xt');
    expectMagnetError('magnet:?xt=urn:sha1:abc', 'missing-info-hash');
    expectMagnetError('magnet:?xt=urn:btih:1234', 'invalid-info-hash', 'xt');
    expectMagnetError(`magnet:?xt=urn:btih:${'g'.repeat(40)}`, 'invalid-info-hash');
    expectMagnetError(`magnet:?xt=urn:btmh:1114${'ab'.repeat(20)}`, 'invalid-info-hash');
    expectMagnetError(
      `magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${'0'.repeat(40)}`,
      'conflicting-info-hash',
    );
    expectMagnetError(`magnet:?xt=urn:btih:${HEX}&dn=%E0%A4%A`, 'invalid-encoding', 'dn');
    expectMagnetError(`magnet:?xt=urn:btih:${HEX}&tr=not a url`, 'invalid-parameter', 'tr');
    expectMagnetError(`magnet:?xt=urn:btih:${HEX}&x.pe=1.2.3.4`, 'invalid-parameter', 'x.pe');
    expectMagnetError(`magnet:?xt=urn:btih:${HEX}&x.pe=1.2.3.4:70000`, 'invalid-parameter', 'x.pe');
    expectMagnetError(`magnet:?xt=urn:btih:${HEX}&xl=-5`, 'invalid-parameter', 'xl');
    expectMagnetError(`magnet:?xt=urn:btih:${HEX}&so=3-1`, 'invalid-parameter', 'so');
    expectMagnetError(`magnet:?xt=urn:btih:${HEX}&so=a`, 'invalid-parameter', 'so');
  });
});

describe('formatMagnet', () => {
  it('round-trips through parseMagnet', () => {
    const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i * 7);
    const uri = formatMagnet({
      infoHash,
      name: 'a name & more/ü',
      length: 1234,
      trackers: ['udp://t.example:80/announce?x=1&y=2', 'http://u/a'],
      webSeeds: ['http://seed/'],
      peers: [
        { host: '10.0.0.1', port: 1 },
        { host: '::1', port: 2 },
      ],
      selectOnly: [
        { first: 1, last: 1 },
        { first: 3, last: 9 },
      ],
    });
    const back = parseMagnet(uri);
    expect(back.infoHash).toEqual(infoHash);
    expect(back.name).toBe('a name & more/ü');
    expect(back.length).toBe(1234);
    expect(back.trackers).toEqual(['udp://t.example:80/announce?x=1&y=2', 'http://u/a']);
    expect(back.webSeeds).toEqual(['http://seed/']);
    expect(back.peers).toEqual([
      { host: '10.0.0.1', port: 1 },
      { host: '::1', port: 2 },
    ]);
    expect(uri).toContain('&so=1,3-9');
  });

  it('builds the link of a torrent', () => {
    const metainfo = parseTorrent(
      makeTorrent({ name: 'x y', top: { 'announce-list': [['http://a/'], ['udp://b:1']] } }),
    );
    const magnet = parseMagnet(magnetFromMetainfo(metainfo));
    expect(magnet.infoHashHex).toBe(metainfo.infoHashHex);
    expect(magnet.name).toBe('x y');
    expect(magnet.trackers).toEqual(['http://a/', 'udp://b:1']);
    expect(magnet.length).toBe(metainfo.length);
  });

  it('refuses an info-hash of the wrong size', () => {
    expect(() => formatMagnet({ infoHash: new Uint8Array(19) })).toThrow(InvalidMagnetError);
  });
});
