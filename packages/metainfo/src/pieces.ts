/**
 * Piece arithmetic over a torrent's concatenated content (BEP 3): the hash and size of a
 * piece, which byte ranges of which files a piece covers, which pieces a file covers, and
 * where a file lives relative to the download folder. Storage, verification and file
 * selection all use these, so they agree.
 */
import type { Metainfo } from './types.js';

/** One piece's share of one file. */
export interface PieceFileRange {
  fileIndex: number;
  /** Where the range starts inside the file. */
  fileOffset: number;
  /** Where the range starts inside the piece. */
  pieceOffset: number;
  length: number;
}

type PieceLayout = Pick<Metainfo, 'pieceLength' | 'pieceCount' | 'length'>;

function checkPiece(metainfo: PieceLayout, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= metainfo.pieceCount) {
    throw new RangeError(`piece ${index} does not exist (the torrent has ${metainfo.pieceCount})`);
  }
}

/** The 20-byte SHA-1 of piece `index`: a view of `metainfo.pieces`. */
export function pieceHash(
  metainfo: Pick<Metainfo, 'pieces' | 'pieceLength' | 'pieceCount' | 'length'>,
  index: number,
): Uint8Array {
  checkPiece(metainfo, index);
  return metainfo.pieces.subarray(index * 20, index * 20 + 20);
}

/** The size of piece `index`: `pieceLength`, except for a shorter last piece. */
export function pieceSize(metainfo: PieceLayout, index: number): number {
  checkPiece(metainfo, index);
  if (index < metainfo.pieceCount - 1) return metainfo.pieceLength;
  return metainfo.length - index * metainfo.pieceLength;
}

/** Index of the first file whose end lies past `position` (files are in content order). */
function firstFileEndingAfter(metainfo: Pick<Metainfo, 'files'>, position: number): number {
  const files = metainfo.files;
  let low = 0;
  let high = files.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const file = files[middle]!;
    if (file.offset + file.length > position) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The byte ranges of files that piece `index` covers, in order. Empty files cover nothing
 * and never appear; padding files do (their bytes are zeros; check `files[i].padding`).
 */
export function filesInPiece(
  metainfo: Pick<Metainfo, 'files' | 'pieceLength' | 'pieceCount' | 'length'>,
  index: number,
): PieceFileRange[] {
  const start = index * metainfo.pieceLength;
  const end = start + pieceSize(metainfo, index);
  const ranges: PieceFileRange[] = [];
  const files = metainfo.files;
  for (
    let fileIndex = firstFileEndingAfter(metainfo, start);
    fileIndex < files.length;
    fileIndex++
  ) {
    const file = files[fileIndex]!;
    if (file.offset >= end) break;
    if (file.length === 0) continue;
    const from = Math.max(start, file.offset);
    const to = Math.min(end, file.offset + file.length);
    ranges.push({
      fileIndex,
      fileOffset: from - file.offset,
      pieceOffset: from - start,
      length: to - from,
    });
  }
  return ranges;
}

/** The first and last piece that file `fileIndex` touches; `undefined` for an empty file. */
export function piecesOfFile(
  metainfo: Pick<Metainfo, 'files' | 'pieceLength'>,
  fileIndex: number,
): { first: number; last: number } | undefined {
  const file = metainfo.files[fileIndex];
  if (file === undefined) throw new RangeError(`file ${fileIndex} does not exist`);
  if (file.length === 0) return undefined;
  return {
    first: Math.floor(file.offset / metainfo.pieceLength),
    last: Math.floor((file.offset + file.length - 1) / metainfo.pieceLength),
  };
}

/**
 * Where file `fileIndex` lives, as safe path segments relative to the download folder:
 * `[name, ...path]` for a multi-file torrent (its content sits in the folder `name`), `[name]`
 * for a single-file one. Join them with the platform's separator under the download folder.
 */
export function filePathSegments(
  metainfo: Pick<Metainfo, 'files' | 'name' | 'multiFile'>,
  fileIndex: number,
): string[] {
  const file = metainfo.files[fileIndex];
  if (file === undefined) throw new RangeError(`file ${fileIndex} does not exist`);
  return metainfo.multiFile ? [metainfo.name, ...file.path] : [metainfo.name];
}
