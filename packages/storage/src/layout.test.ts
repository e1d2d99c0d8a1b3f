import { describe, expect, it } from 'vitest';
import { makeTorrent } from '../test/make-layout.js';
import { Bitfield } from '@bt/primitives';
import { filesInPiece, piecesOfFile } from '@bt/metainfo';
import { fileCompletion, isSafeSegment, StorageError, validateLayout } from './index.js';
import { RangeSet } from './ranges.js';

function spansOf(files: number[], pieceLength: number) {
  const torrent = makeTorrent({
    name: 't',
    pieceLength,
    files: files.map((length, index) => ({ path: [`f${index}`], length })),
  });
  const layout = torrent.layout;
  return {
    torrent,
    map: {
      spans: (index: number, offset?: number, length?: number) =>
        filesInPiece(layout, index, offset, length),
      piecesOfFile: (index: number) => piecesOfFile(layout, index),
    },
  };
}

/** The storage's spans are @bt/metainfo's piece geometry over its `TorrentLayout`. */
describe('layout arithmetic', () => {
  it('maps one-byte pieces to single bytes of their file', () => {
    const { map } = spansOf([3, 2], 1);
    expect(map.spans(0)).toEqual([{ fileIndex: 0, fileOffset: 0, pieceOffset: 0, length: 1 }]);
    expect(map.spans(3)).toEqual([{ fileIndex: 1, fileOffset: 0, pieceOffset: 0, length: 1 }]);
    expect(map.spans(4)).toEqual([{ fileIndex: 1, fileOffset: 1, pieceOffset: 0, length: 1 }]);
  });

  it('gives the last piece its single byte', () => {
    const { torrent, map } = spansOf([33], 16);
    expect(torrent.layout.pieces.length).toBe(3 * 20);
    expect(map.spans(2)).toEqual([{ fileIndex: 0, fileOffset: 32, pieceOffset: 0, length: 1 }]);
  });

  it('spans a piece over many small files and skips empty ones', () => {
    const { map } = spansOf([5, 0, 1, 0, 3, 7, 0], 16);
    expect(map.spans(0)).toEqual([
      { fileIndex: 0, fileOffset: 0, pieceOffset: 0, length: 5 },
      { fileIndex: 2, fileOffset: 0, pieceOffset: 5, length: 1 },
      { fileIndex: 4, fileOffset: 0, pieceOffset: 6, length: 3 },
      { fileIndex: 5, fileOffset: 0, pieceOffset: 9, length: 7 },
    ]);
    expect(map.spans(0, 4, 4)).toEqual([
      { fileIndex: 0, fileOffset: 4, pieceOffset: 4, length: 1 },
      { fileIndex: 2, fileOffset: 0, pieceOffset: 5, length: 1 },
      { fileIndex: 4, fileOffset: 0, pieceOffset: 6, length: 2 },
    ]);
    expect(map.piecesOfFile(1)).toBeUndefined();
    expect(map.piecesOfFile(5)).toEqual({ first: 0, last: 0 });
  });

  it('finds the pieces of a file', () => {
    const { map } = spansOf([10, 30, 1], 8);
    expect(map.piecesOfFile(0)).toEqual({ first: 0, last: 1 });
    expect(map.piecesOfFile(1)).toEqual({ first: 1, last: 4 });
    expect(map.piecesOfFile(2)).toEqual({ first: 5, last: 5 });
  });

  it('rejects inconsistent layouts with a typed error', () => {
    const { layout } = makeTorrent({ pieceLength: 4, length: 10 });
    const cases = [
      { ...layout, pieceLength: 0 },
      { ...layout, length: 11 },
      { ...layout, pieces: layout.pieces.subarray(0, 40) },
      { ...layout, pieces: layout.pieces.subarray(0, 59) },
      { ...layout, files: [] },
      { ...layout, files: [{ path: ['a'], length: 10, offset: 1 }] },
    ];
    for (const bad of cases) {
      expect(() => validateLayout(bad)).toThrow(StorageError);
    }
  });

  it('rejects hostile paths', () => {
    for (const segment of [
      '',
      '.',
      '..',
      'a/b',
      'a\\b',
      'c:',
      'C:evil',
      'nul',
      'CON.txt',
      'a\0b',
      'x'.repeat(256),
      '\n',
    ]) {
      expect(isSafeSegment(segment), JSON.stringify(segment)).toBe(false);
    }
    for (const segment of ['a', '...', '.hidden', 'über', 'file.txt', 'with space'])
      expect(isSafeSegment(segment)).toBe(true);
    const torrent = makeTorrent({ name: 't', pieceLength: 4, files: [{ path: ['a'], length: 4 }] });
    for (const path of [['..', 'etc'], ['a', '..', '..'], ['/etc'], []]) {
      const layout = { ...torrent.layout, files: [{ path, length: 4, offset: 0 }] };
      expect(() => validateLayout(layout)).toThrow(StorageError);
    }
    expect(() => validateLayout({ ...torrent.layout, name: '..' })).toThrow(
      expect.objectContaining({ code: 'unsafe-path' }),
    );
  });

  it('counts the bytes of each file covered by complete pieces', () => {
    const { torrent } = spansOf([5, 0, 20], 8);
    const complete = new Bitfield(4);
    complete.set(0);
    complete.set(3);
    expect(
      fileCompletion(torrent.layout, complete).map((file) => [file.path, file.bytesComplete]),
    ).toEqual([
      ['t/f0', 5],
      ['t/f1', 0],
      ['t/f2', 3 + 1],
    ]);
  });
});

describe('range set', () => {
  it('merges blocks and knows when a piece is covered', () => {
    const ranges = new RangeSet();
    ranges.add(10, 20);
    ranges.add(30, 40);
    expect(ranges.covers(40)).toBe(false);
    ranges.add(0, 10);
    ranges.add(15, 35);
    expect(ranges.ranges()).toEqual([[0, 40]]);
    expect(ranges.covers(40)).toBe(true);
    expect(ranges.size()).toBe(40);
  });
});
