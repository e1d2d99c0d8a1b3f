/** Hand-made malformed and hostile torrents (test/fixtures), and mutation fuzzing. */
import { readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  filePathSegments,
  InvalidTorrentError,
  isSafePathSegment,
  type Metainfo,
  parseTorrent,
} from '../src/index.js';
import { parseGeneric } from '../src/parse-torrent.js';
import { makeTorrent } from './make-torrent.js';

const fixture = (name: string): Uint8Array =>
  readFileSync(join(import.meta.dirname, 'fixtures', name));

const downloadFolder = resolve('/srv/downloads');

/** Every file of a parsed torrent resolves inside the download folder. */
function expectContained(metainfo: Metainfo): void {
  for (let index = 0; index < metainfo.files.length; index++) {
    const segments = filePathSegments(metainfo, index);
    for (const segment of segments) expect(isSafePathSegment(segment)).toBe(true);
    const target = resolve(downloadFolder, ...segments);
    expect(target.startsWith(downloadFolder + sep)).toBe(true);
  }
}

describe('hostile fixtures are made safe', () => {
  it('path traversal and absolute paths', () => {
    const metainfo = parseTorrent(fixture('traversal.torrent'));
    expectContained(metainfo);
    expect(metainfo.name).toBe('_');
    expect(metainfo.files.map((file) => file.path.join('/'))).toEqual([
      '_/_/etc/passwd',
      '_abs/olute',
      'C_/x',
      'a_.._.._b',
    ]);
  });

  it('Windows device names, trailing dots and reserved characters', () => {
    const metainfo = parseTorrent(fixture('windows-names.torrent'));
    expectContained(metainfo);
    expect(metainfo.name).toBe('_CON');
    expect(metainfo.files.map((file) => file.path.join('/'))).toEqual([
      '_aux.txt',
      '_LPT1',
      'name',
      'q_uestion_',
    ]);
  });

  it('control characters and empty segments', () => {
    const control = parseTorrent(fixture('control-chars.torrent'));
    expectContained(control);
    expect(control.name).toBe('nul_name');
    expect(control.files.map((file) => file.path.join('/'))).toEqual(['line_feed', 'bell_', 'ok']);
    const empty = parseTorrent(fixture('empty-segments.torrent'));
    expectContained(empty);
    expect(empty.files.map((file) => file.path.join('/'))).toEqual(['_/x', '_/y', 'z/_']);
  });

  it('case-insensitive and file/folder collisions', () => {
    const metainfo = parseTorrent(fixture('collisions.torrent'));
    expectContained(metainfo);
    const folded = metainfo.files.map((file) => file.path.join('/').toLowerCase());
    expect(new Set(folded).size).toBe(folded.length);
    expect(metainfo.files.map((file) => file.path.join('/'))).toEqual([
      'File.txt',
      'FILE.1.TXT',
      'file.2.txt',
      'd',
      'd.1/inner',
    ]);
  });
});

describe('malformed fixtures get typed errors naming the field', () => {
  it.each([
    ['bad-pieces.torrent', 'invalid-pieces', 'info.pieces'],
    ['piece-count.torrent', 'piece-count-mismatch', 'info.pieces'],
    ['negative-length.torrent', 'invalid-length', 'info.files[0].length'],
    ['empty-file-list.torrent', 'empty-file-list', 'info.files'],
    ['empty-name.torrent', 'empty-name', 'info.name'],
    ['v2-only.torrent', 'empty-file-list', 'info.file tree'],
    ['not-bencode.torrent', 'not-bencode', ''],
    ['truncated.torrent', 'not-bencode', ''],
    ['huge-string.torrent', 'not-bencode', ''],
    ['deep-nesting.torrent', 'not-bencode', ''],
  ])('%s: %s', (name, code, field) => {
    let caught: unknown;
    try {
      parseTorrent(fixture(name));
    } catch (error) {
      caught = error;
    }
    expect(InvalidTorrentError.isInstance(caught)).toBe(true);
    expect((caught as InvalidTorrentError).code).toBe(code);
    expect((caught as InvalidTorrentError).field).toBe(field);
  });
});

describe('fuzzing', () => {
  const seeds = [
    makeTorrent({
      files: [
        { path: ['a', 'b'], length: 20_000 },
        { path: ['c'], length: 5 },
      ],
    }),
    makeTorrent({ name: 'single', length: 50_000, top: { 'announce-list': [['http://a/']] } }),
  ];

  it('the fast path and the generic path agree on every input', () => {
    const outcome = (parse: () => Metainfo): unknown => {
      try {
        const { info: _info, ...rest } = parse();
        return rest;
      } catch (error) {
        if (!InvalidTorrentError.isInstance(error)) throw error;
        return { code: error.code, field: error.field };
      }
    };
    const withExtras = makeTorrent({
      files: [
        { path: ['a', 'B'], length: 20_000, attr: 'x' },
        { path: ['.pad', '1'], length: 5, attr: 'p' },
        { path: ['a', 'b'], length: 5 },
      ],
      top: { encoding: 'UTF-8', 'url-list': ['http://s/'] },
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds, withExtras),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        (seed, edits) => {
          const bytes = seed.slice();
          for (const [position, value] of edits) bytes[position % bytes.length] = value;
          expect(outcome(() => parseTorrent(bytes))).toEqual(outcome(() => parseGeneric(bytes)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('mutated torrents parse or throw InvalidTorrentError, and never escape', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (seed, edits) => {
          const bytes = seed.slice();
          for (const [position, value] of edits) bytes[position % bytes.length] = value;
          try {
            expectContained(parseTorrent(bytes));
          } catch (error) {
            if (!InvalidTorrentError.isInstance(error)) throw error;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random path segments always come out safe and contained', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { minLength: 1, maxLength: 4 }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
        (paths, name) => {
          const metainfo = parseTorrent(
            makeTorrent({ name, files: paths.map((path) => ({ path, length: 1 })) }),
          );
          expectContained(metainfo);
          const keys = metainfo.files.map((file) =>
            file.path.join('/').normalize('NFC').toLowerCase(),
          );
          expect(new Set(keys).size).toBe(keys.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
