/**
 * Piece arithmetic over a torrent's concatenated content (BEP 3): the hash and size of a
 * piece, which byte ranges of which files a piece covers, which pieces a file covers, and
 * where a file lives relative to the download folder. The one piece geometry of the project:
 * storage, verification, file selection and the engine's picker all use these, so they agree.
 */

/** One piece's share of one file. */
export interface PieceFileRange {
  fileIndex: number;
  /** Where the range starts inside the file. */
  fileOffset: number;
  /** Where the range starts inside the piece. */
  pieceOffset: number;
  length: number;
}

/**
 * What piece arithmetic needs (BEP 3): the content's length, the piece length, and the files in
 * content order with their offsets. A `Metainfo` is one; so is `@bt/storage`'s `TorrentLayout`.
 * The number of pieces follows from the first two.
 */
export interface PieceGeometry {
  pieceLength: number;
  /** Total length of the content in bytes. */
  length: number;
  /** Files in content order: where each starts in the concatenated content, and its length. */
  files: readonly { readonly offset: number; readonly length: number }[];
}

type PieceLengths = Pick<PieceGeometry, 'pieceLength' | 'length'>;

/** How many pieces the content has: `ceil(length / pieceLength)`. */
export function pieceCount(geometry: PieceLengths): number {
  return Math.ceil(geometry.length / geometry.pieceLength);
}

function checkPiece(geometry: PieceLengths, index: number): void {
  const count = pieceCount(geometry);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`piece ${index} does not exist (the torrent has ${count})`);
  }
}

/** The 20-byte SHA-1 of piece `index`: a view of `pieces`. */
export function pieceHash(
  metainfo: PieceLengths & { readonly pieces: Uint8Array },
  index: number,
): Uint8Array {
  checkPiece(metainfo, index);
  return metainfo.pieces.subarray(index * 20, index * 20 + 20);
}

/** The size of piece `index`: `pieceLength`, except for a shorter last piece. */
export function pieceSize(geometry: PieceLengths, index: number): number {
  checkPiece(geometry, index);
  return Math.min(geometry.pieceLength, geometry.length - index * geometry.pieceLength);
}

/** Index of the first file whose end lies past `position` (files are in content order). */
function firstFileEndingAfter(geometry: Pick<PieceGeometry, 'files'>, position: number): number {
  const files = geometry.files;
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
 * The byte ranges of files that piece `index` covers, in order; with `pieceOffset` and `length`,
 * those of that part of the piece only (a block). Empty files cover nothing and never appear;
 * padding files do (their bytes are zeros; check `files[i].padding`).
 * @throws RangeError for a piece that does not exist or a part outside the piece.
 */
export function filesInPiece(
  geometry: PieceGeometry,
  index: number,
  pieceOffset = 0,
  length?: number,
): PieceFileRange[] {
  const size = pieceSize(geometry, index);
  const take = length ?? size - pieceOffset;
  if (
    !Number.isInteger(pieceOffset) ||
    !Number.isInteger(take) ||
    pieceOffset < 0 ||
    take < 0 ||
    pieceOffset + take > size
  ) {
    throw new RangeError(`bytes ${pieceOffset}+${take} are outside piece ${index} (${size} bytes)`);
  }
  const pieceStart = index * geometry.pieceLength;
  const start = pieceStart + pieceOffset;
  const end = start + take;
  const ranges: PieceFileRange[] = [];
  const files = geometry.files;
  for (
    let fileIndex = firstFileEndingAfter(geometry, start);
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
      pieceOffset: from - pieceStart,
      length: to - from,
    });
  }
  return ranges;
}

/** The first and last piece that file `fileIndex` touches; `undefined` for an empty file. */
export function piecesOfFile(
  geometry: Pick<PieceGeometry, 'files' | 'pieceLength'>,
  fileIndex: number,
): { first: number; last: number } | undefined {
  const file = geometry.files[fileIndex];
  if (file === undefined) throw new RangeError(`file ${fileIndex} does not exist`);
  if (file.length === 0) return undefined;
  return {
    first: Math.floor(file.offset / geometry.pieceLength),
    last: Math.floor((file.offset + file.length - 1) / geometry.pieceLength),
  };
}

/**
 * Where file `fileIndex` lives, as safe path segments relative to the download folder:
 * `[name, ...path]` for a multi-file torrent (its content sits in the folder `name`), `[name]`
 * for a single-file one. Join them with the platform's separator under the download folder.
 */
export function filePathSegments(
  metainfo: {
    readonly name: string;
    readonly multiFile: boolean;
    readonly files: readonly { readonly path: readonly string[] }[];
  },
  fileIndex: number,
): string[] {
  const file = metainfo.files[fileIndex];
  if (file === undefined) throw new RangeError(`file ${fileIndex} does not exist`);
  return metainfo.multiFile ? [metainfo.name, ...file.path] : [metainfo.name];
}
