import { decode } from '@bt/bencode';
import { describe, expect, it } from 'vitest';
import { encodeTorrent, withRawValue } from './encode-torrent.js';
import { parseTorrent } from './parse-torrent.js';
import { makeTorrent } from '../test/make-torrent.js';

describe('encodeTorrent', () => {
  it('writes the info dictionary back byte for byte, unknown keys and all', () => {
    // Unsorted info keys: only a raw copy keeps the info-hash.
    const info =
      'd6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaa1:bi2ee';
    const bytes = new TextEncoder().encode(`d1:zi9e8:announce8:http://x4:info${info}e`);
    const metainfo = parseTorrent(bytes);
    const written = encodeTorrent(metainfo);
    const again = parseTorrent(written);
    expect(again.infoHashHex).toBe(metainfo.infoHashHex);
    expect(again.extra.get('z')).toBe(9);
    expect(again.announce).toEqual([['http://x']]);
  });

  it('writes edited top-level fields', () => {
    const metainfo = parseTorrent(makeTorrent({ top: { comment: 'old' } }));
    metainfo.announce = [['http://a/'], ['http://b/', 'udp://c:1']];
    metainfo.urlList = ['http://seed/'];
    metainfo.comment = 'new';
    const again = parseTorrent(encodeTorrent(metainfo));
    expect(again.announce).toEqual(metainfo.announce);
    expect(again.urlList).toEqual(['http://seed/']);
    expect(again.comment).toBe('new');
    expect(again.infoHashHex).toBe(metainfo.infoHashHex);
  });

  it('splices raw values into canonical order without being fooled by look-alike bytes', () => {
    const dictionary = new Map<string, Uint8Array | number>([
      ['a', new TextEncoder().encode('4:infoi0e')],
      ['z', 1],
    ]);
    const raw = new TextEncoder().encode('le');
    const encoded = withRawValue(dictionary, 'info', raw);
    expect(new TextDecoder().decode(encoded)).toBe('d1:a9:4:infoi0e4:infole1:zi1ee');
    expect(decode(encoded, { strict: true })).toBeInstanceOf(Map);
  });
});
