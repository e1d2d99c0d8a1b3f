import { createHash } from 'node:crypto';
import { decode, encode, locate } from '@bt/bencode';
import { describe, expect, it } from 'vitest';
import { InvalidTorrentError } from './errors.js';
import { parseGeneric, parseInfo, parseTorrent } from './parse-torrent.js';
import { isSafePathSegment } from './path-policy.js';
import { makeTorrent } from '../test/make-torrent.js';

function expectInvalid(bytes: Uint8Array, code: string, field?: string): InvalidTorrentError {
  try {
    parseTorrent(bytes);
  } catch (error) {
    expect(InvalidTorrentError.isInstance(error)).toBe(true);
    const invalid = error as InvalidTorrentError;
    expect(invalid.code).toBe(code);
    if (field !== undefined) expect(invalid.field).toBe(field);
    return invalid;
  }
  throw new Error('expected parseTorrent to throw');
}

describe('parseTorrent', () => {
  it('reads a single-file torrent', () => {
    const bytes = makeTorrent({ name: 'file.bin', length: 40_000, pieceLength: 16384 });
    const metainfo = parseTorrent(bytes);
    expect(metainfo.name).toBe('file.bin');
    expect(metainfo.multiFile).toBe(false);
    expect(metainfo.length).toBe(40_000);
    expect(metainfo.pieceCount).toBe(3);
    expect(metainfo.files).toEqual([
      { path: ['file.bin'], length: 40_000, offset: 0, padding: false },
    ]);
    expect(metainfo.announce).toEqual([['http://tracker.example/announce']]);
    expect(metainfo.private).toBe(false);
  });

  it('computes the info-hash over the raw info bytes, even when they are not canonical', () => {
    // Keys out of order: a re-encoding would sort them and change the hash.
    const info =
      'd6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaa3:zzzi1e1:bi2ee';
    const bytes = new TextEncoder().encode(`d4:info${info}e`);
    const metainfo = parseTorrent(bytes);
    const expected = createHash('sha1').update(info).digest('hex');
    expect(metainfo.infoHashHex).toBe(expected);
    expect(Buffer.from(metainfo.infoBytes).toString()).toBe(info);
    expect(metainfo.info.get('zzz')).toBe(1);
  });

  it('reads a multi-file torrent with offsets, padding and attributes', () => {
    const bytes = makeTorrent({
      name: 'folder',
      pieceLength: 16384,
      files: [
        { path: ['a', 'one.txt'], length: 1000 },
        { path: ['.pad', '15384'], length: 15384, attr: 'p' },
        { path: ['b.bin'], length: 0 },
        { path: ['c.bin'], length: 20_000, attr: 'x' },
      ],
    });
    const metainfo = parseTorrent(bytes);
    expect(metainfo.multiFile).toBe(true);
    expect(metainfo.length).toBe(36_384);
    expect(metainfo.files.map((file) => [file.path.join('/'), file.offset, file.padding])).toEqual([
      ['a/one.txt', 0, false],
      ['.pad/15384', 1000, true],
      ['b.bin', 16384, false],
      ['c.bin', 16384, false],
    ]);
    expect(metainfo.files[3]!.attributes).toBe('x');
  });

  it('merges announce and announce-list the BEP 12 way', () => {
    const bytes = makeTorrent({
      top: {
        announce: 'http://ignored/announce',
        'announce-list': [['http://a/1', 'udp://b:80'], [], ['http://a/1', 'http://c/2']],
      },
    });
    expect(parseTorrent(bytes).announce).toEqual([['http://a/1', 'udp://b:80'], ['http://c/2']]);
    const lone = makeTorrent({ top: { announce: 'http://only/announce', 'announce-list': [] } });
    expect(parseTorrent(lone).announce).toEqual([['http://only/announce']]);
    const none = makeTorrent({ top: { announce: undefined } });
    expect(parseTorrent(none).announce).toEqual([]);
  });

  it('reads web seeds, private, dates, comments, source and utf-8 variants', () => {
    const bytes = makeTorrent({
      name: 'plain',
      info: { private: 1, source: 'SRC', 'name.utf-8': 'näme' },
      top: {
        'url-list': 'http://seed/file',
        httpseeds: ['http://h1/', 'http://h2/'],
        'creation date': 1_700_000_000,
        comment: 'hello',
        'created by': 'someone',
        encoding: 'UTF-8',
      },
    });
    const metainfo = parseTorrent(bytes);
    expect(metainfo.private).toBe(true);
    expect(metainfo.source).toBe('SRC');
    expect(metainfo.name).toBe('näme');
    expect(metainfo.urlList).toEqual(['http://seed/file']);
    expect(metainfo.httpSeeds).toEqual(['http://h1/', 'http://h2/']);
    expect(metainfo.creationDate).toBe(1_700_000_000);
    expect(metainfo.comment).toBe('hello');
    expect(metainfo.createdBy).toBe('someone');
    expect(metainfo.encoding).toBe('UTF-8');
  });

  it('prefers path.utf-8 and reads md5sum and symlink targets', () => {
    const bytes = makeTorrent({
      files: [{ path: ['x'], length: 10 }],
      info: {
        files: [
          {
            length: 10,
            path: [new Uint8Array([0xff, 0xfe])],
            'path.utf-8': ['dossier', 'café.txt'],
            md5sum: 'd41d8cd98f00b204e9800998ecf8427e',
          },
          { length: 0, path: ['link'], attr: 'l', 'symlink path': ['..', 'target'] },
        ],
      },
    });
    for (const metainfo of [parseTorrent(bytes), parseGeneric(bytes)]) {
      expect(metainfo.files[0]!.path).toEqual(['dossier', 'café.txt']);
      expect(metainfo.files[0]!.md5sum).toBe('d41d8cd98f00b204e9800998ecf8427e');
      expect(metainfo.files[1]!.attributes).toBe('l');
      expect(metainfo.files[1]!.symlinkPath).toEqual(['_', 'target']);
    }
  });

  it('reads names in a declared legacy encoding', () => {
    const gbk = new Uint8Array([0xd6, 0xd0, 0xce, 0xc4]); // "中文" in GBK
    const bytes = makeTorrent({ info: { name: gbk }, top: { encoding: 'GBK' } });
    expect(parseTorrent(bytes).name).toBe('中文');
  });

  it('marks a plain torrent as v1 without a v2 side', () => {
    const metainfo = parseTorrent(makeTorrent());
    expect(metainfo.hybrid).toBe(false);
    expect(metainfo.version).toBe('v1');
    expect(metainfo.v2).toBeUndefined();
  });

  it('keeps unknown keys, so writing the parts back gives the same info-hash', () => {
    const bytes = makeTorrent({ info: { 'x-custom': 'kept' }, top: { 'x-top': 5 } });
    const metainfo = parseTorrent(bytes);
    expect(metainfo.extra.get('x-top')).toBe(5);
    const rebuilt = encode(new Map([...metainfo.extra, ['info', metainfo.info]]));
    expect(parseTorrent(rebuilt).infoHashHex).toBe(metainfo.infoHashHex);
  });

  it('does not alias the input unless asked', () => {
    const bytes = makeTorrent();
    const metainfo = parseTorrent(bytes);
    const before = metainfo.pieces[0];
    bytes.fill(0);
    expect(metainfo.pieces[0]).toBe(before);
  });

  it('parses a bare info dictionary (BEP 9) with extras', () => {
    const bytes = makeTorrent({ name: 'x' });
    const span = locate(bytes, ['info'])!;
    const metainfo = parseInfo(bytes.subarray(span.start, span.end), { announce: [['udp://t:1']] });
    expect(metainfo.infoHashHex).toBe(parseTorrent(bytes).infoHashHex);
    expect(metainfo.announce).toEqual([['udp://t:1']]);
    expect(() => parseInfo(bytes.subarray(span.start, span.end + 1))).toThrow(InvalidTorrentError);
  });
});

describe('parseTorrent validation', () => {
  it('rejects what is not a torrent', () => {
    expectInvalid(new TextEncoder().encode('hello'), 'not-bencode', '');
    expectInvalid(encode([1, 2]), 'not-a-dictionary');
    expectInvalid(encode({ announce: 'x' }), 'missing-field', 'info');
    expectInvalid(encode({ info: 'x' }), 'wrong-type', 'info');
  });

  it('names missing required fields', () => {
    const good = decode(makeTorrent()) as Map<string, Map<string, never>>;
    for (const key of ['name', 'piece length', 'pieces', 'length']) {
      const info = new Map(good.get('info'));
      info.delete(key);
      expectInvalid(encode(new Map([['info', info]])), 'missing-field', `info.${key}`);
    }
  });

  it('rejects pieces that are not whole hashes or do not match the length', () => {
    expectInvalid(
      makeTorrent({ info: { pieces: new Uint8Array(30) } }),
      'invalid-pieces',
      'info.pieces',
    );
    expectInvalid(makeTorrent({ info: { pieces: new Uint8Array(20) } }), 'piece-count-mismatch');
  });

  it('rejects bad lengths', () => {
    expectInvalid(makeTorrent({ info: { length: -1 } }), 'invalid-length', 'info.length');
    expectInvalid(makeTorrent({ info: { length: '12' } }), 'wrong-type', 'info.length');
    expectInvalid(makeTorrent({ info: { length: 2n ** 60n } }), 'invalid-length', 'info.length');
    expectInvalid(makeTorrent({ info: { 'piece length': 0 } }), 'invalid-piece-length');
    expectInvalid(makeTorrent({ info: { 'piece length': -16384 } }), 'invalid-piece-length');
    const files = makeTorrent({ files: [{ path: ['a'], length: 10 }] });
    const info = (decode(files) as Map<string, Map<string, unknown>>).get('info')!;
    info.set('files', [{ length: -5, path: ['a'] }]);
    expectInvalid(
      encode(new Map([['info', info]]) as never),
      'invalid-length',
      'info.files[0].length',
    );
  });

  it('rejects a total length beyond what can be counted exactly', () => {
    const huge = 2 ** 52;
    const info = new Map<string, unknown>([
      ['name', 'x'],
      ['piece length', 2 ** 30],
      ['pieces', new Uint8Array(20)],
      [
        'files',
        [
          new Map<string, unknown>([
            ['length', huge],
            ['path', ['a']],
          ]),
          new Map<string, unknown>([
            ['length', huge],
            ['path', ['b']],
          ]),
        ],
      ],
    ]);
    expectInvalid(
      encode(new Map([['info', info]]) as never),
      'invalid-length',
      'info.files[1].length',
    );
  });

  it('rejects empty names, empty file lists, empty paths and empty v2 file trees', () => {
    expectInvalid(makeTorrent({ name: '' }), 'empty-name', 'info.name');
    expectInvalid(
      makeTorrent({ files: [{ path: ['a'], length: 1 }], info: { files: [] } }),
      'empty-file-list',
    );
    expectInvalid(
      makeTorrent({ files: [{ path: [], length: 1 }] }),
      'invalid-path',
      'info.files[0].path',
    );
    expectInvalid(
      encode({ info: { name: 'v2', 'piece length': 16384, 'meta version': 2, 'file tree': {} } }),
      'empty-file-list',
      'info.file tree',
    );
  });
});

describe('hostile paths', () => {
  it('can never point outside the download folder', () => {
    const hostile = [
      ['..', '..', 'etc', 'passwd'],
      ['/etc/passwd'],
      ['C:\\Windows', 'system32'],
      ['a', '', 'b'],
      ['.', 'x'],
      ['nul\u0000byte'],
      ['CON'],
      ['aux.txt'],
      ['line\nbreak'],
      ['trailing. . '],
      ['x'.repeat(400)],
    ];
    const metainfo = parseTorrent(
      makeTorrent({ name: '..', files: hostile.map((path) => ({ path, length: 1 })) }),
    );
    expect(metainfo.name).toBe('_');
    expect(metainfo.originalName).toBe('..');
    for (const file of metainfo.files) {
      for (const segment of file.path) expect(isSafePathSegment(segment)).toBe(true);
    }
    expect(metainfo.files.map((file) => file.path.join('/'))).toEqual([
      '_/_/etc/passwd',
      '_etc_passwd',
      'C__Windows/system32',
      'a/_/b',
      '_/x',
      'nul_byte',
      '_CON',
      '_aux.txt',
      'line_break',
      'trailing',
      'x'.repeat(255),
    ]);
    expect(metainfo.files[0]!.originalPath).toEqual(['..', '..', 'etc', 'passwd']);
  });

  it('renames colliding paths, case-insensitively and file-versus-folder', () => {
    const metainfo = parseTorrent(
      makeTorrent({
        files: [
          { path: ['Readme.txt'], length: 1 },
          { path: ['README.TXT'], length: 1 },
          { path: ['readme.txt'], length: 1 },
          { path: ['dir'], length: 1 },
          { path: ['dir', 'inner'], length: 1 },
          { path: ['dir', 'other'], length: 1 },
          { path: ['sub', 'x'], length: 1 },
          { path: ['sub'], length: 1 },
          { path: ['.pad', '1'], length: 1, attr: 'p' },
          { path: ['.pad', '1'], length: 1, attr: 'p' },
          { path: ['a?'], length: 1 },
          { path: ['a*'], length: 1 },
        ],
      }),
    );
    expect(metainfo.files.map((file) => file.path.join('/'))).toEqual([
      'Readme.txt',
      'README.1.TXT',
      'readme.2.txt',
      'dir',
      'dir.1/inner',
      'dir.1/other',
      'sub/x',
      'sub.1',
      '.pad/1',
      '.pad/1',
      'a_',
      'a_.1',
    ]);
    expect(metainfo.files[1]!.originalPath).toEqual(['README.TXT']);
    expect(metainfo.files[11]!.originalPath).toEqual(['a*']);
  });
});
