import { describe, expect, it } from 'vitest';
import { parseTorrent } from './parse-torrent.js';
import {
  filePathSegments,
  filesInPiece,
  pieceCount,
  pieceHash,
  pieceSize,
  piecesOfFile,
} from './pieces.js';
import { makeTorrent } from '../test/make-torrent.js';

const multi = parseTorrent(
  makeTorrent({
    name: 'root',
    pieceLength: 10,
    files: [
      { path: ['a'], length: 5 },
      { path: ['empty'], length: 0 },
      { path: ['b'], length: 12 },
      { path: ['dir', 'c'], length: 3 },
      { path: ['tail-empty'], length: 0 },
    ],
  }),
);

describe('piece helpers', () => {
  it('sizes pieces, the last one shorter', () => {
    expect(multi.pieceCount).toBe(2);
    expect(pieceSize(multi, 0)).toBe(10);
    expect(pieceSize(multi, 1)).toBe(10);
    const odd = parseTorrent(makeTorrent({ length: 25, pieceLength: 10 }));
    expect(pieceSize(odd, 2)).toBe(5);
    expect(() => pieceSize(odd, 3)).toThrow(RangeError);
    expect(() => pieceSize(odd, -1)).toThrow(RangeError);
  });

  it('returns 20-byte views of the piece hashes', () => {
    expect(pieceHash(multi, 1)).toEqual(multi.pieces.subarray(20, 40));
    expect(pieceHash(multi, 1).buffer).toBe(multi.pieces.buffer);
  });

  it('maps pieces to file ranges, skipping empty files', () => {
    expect(filesInPiece(multi, 0)).toEqual([
      { fileIndex: 0, fileOffset: 0, pieceOffset: 0, length: 5 },
      { fileIndex: 2, fileOffset: 0, pieceOffset: 5, length: 5 },
    ]);
    expect(filesInPiece(multi, 1)).toEqual([
      { fileIndex: 2, fileOffset: 5, pieceOffset: 0, length: 7 },
      { fileIndex: 3, fileOffset: 0, pieceOffset: 7, length: 3 },
    ]);
  });

  it('maps files to pieces', () => {
    expect(piecesOfFile(multi, 0)).toEqual({ first: 0, last: 0 });
    expect(piecesOfFile(multi, 1)).toBeUndefined();
    expect(piecesOfFile(multi, 2)).toEqual({ first: 0, last: 1 });
    expect(piecesOfFile(multi, 3)).toEqual({ first: 1, last: 1 });
    expect(() => piecesOfFile(multi, 9)).toThrow(RangeError);
  });

  it('agrees both ways on every byte', () => {
    let covered = 0;
    for (let piece = 0; piece < multi.pieceCount; piece++) {
      for (const range of filesInPiece(multi, piece)) {
        const span = piecesOfFile(multi, range.fileIndex)!;
        expect(piece).toBeGreaterThanOrEqual(span.first);
        expect(piece).toBeLessThanOrEqual(span.last);
        covered += range.length;
      }
    }
    expect(covered).toBe(multi.length);
  });

  it('places files under the name for multi-file torrents only', () => {
    expect(filePathSegments(multi, 3)).toEqual(['root', 'dir', 'c']);
    const single = parseTorrent(makeTorrent({ name: 'one.iso', length: 5 }));
    expect(filePathSegments(single, 0)).toEqual(['one.iso']);
  });
});

describe('piece geometry of any shape (what the storage and the engine use)', () => {
  // Not a Metainfo: the shape @bt/storage's TorrentLayout has.
  const geometry = {
    pieceLength: 16,
    length: 33,
    files: [
      { offset: 0, length: 5 },
      { offset: 5, length: 0 },
      { offset: 5, length: 20 },
      { offset: 25, length: 8 },
    ],
  };

  it('counts and sizes pieces from the lengths alone', () => {
    expect(pieceCount(geometry)).toBe(3);
    expect([0, 1, 2].map((index) => pieceSize(geometry, index))).toEqual([16, 16, 1]);
  });

  it('gives the file ranges of a block inside a piece', () => {
    expect(filesInPiece(geometry, 0, 4, 4)).toEqual([
      { fileIndex: 0, fileOffset: 4, pieceOffset: 4, length: 1 },
      { fileIndex: 2, fileOffset: 0, pieceOffset: 5, length: 3 },
    ]);
    expect(filesInPiece(geometry, 1, 8)).toEqual([
      { fileIndex: 2, fileOffset: 19, pieceOffset: 8, length: 1 },
      { fileIndex: 3, fileOffset: 0, pieceOffset: 9, length: 7 },
    ]);
    expect(filesInPiece(geometry, 2)).toEqual([
      { fileIndex: 3, fileOffset: 7, pieceOffset: 0, length: 1 },
    ]);
  });

  it('refuses a block outside its piece', () => {
    expect(() => filesInPiece(geometry, 2, 0, 2)).toThrow(RangeError);
    expect(() => filesInPiece(geometry, 0, -1, 2)).toThrow(RangeError);
    expect(() => filesInPiece(geometry, 3)).toThrow(RangeError);
  });
});
