/**
 * The shape of a torrent's content as the storage needs it, and the arithmetic from pieces to
 * file ranges (BEP 3: pieces run over the files concatenated in order; BEP 47: padding files are
 * zeros never written to disk). `Metainfo` from @bt/metainfo satisfies `TorrentLayout`; the
 * span arithmetic lives here too so the storage checks its input again rather than trusting it.
 */
import { StorageError } from './errors.js';
import { isSafeSegment } from './path-safety.js';

/** One file of the content: its place in the concatenated content and its path. */
export interface LayoutFile {
  /** Path segments relative to the torrent's root folder (for a single-file torrent: ignored). */
  path: readonly string[];
  length: number;
  /** Byte offset of the file in the concatenated content. */
  offset: number;
  /** BEP 47 padding file: zeros, never written to disk. */
  padding?: boolean;
}

/** What the storage needs of a torrent. `Metainfo` from @bt/metainfo is one. */
export interface TorrentLayout {
  /** The torrent's name: the single file's name, or the root folder of a multi-file torrent. */
  name: string;
  multiFile: boolean;
  pieceLength: number;
  /** Total length of the content in bytes. */
  length: number;
  /** The concatenated 20-byte SHA-1 digests of the pieces. */
  pieces: Uint8Array;
  files: readonly LayoutFile[];
}

/** A contiguous range of one piece that lies in one file. */
export interface PieceSpan {
  fileIndex: number;
  /** Offset inside the file. */
  fileOffset: number;
  /** Offset inside the piece. */
  pieceOffset: number;
  length: number;
}

export const HASH_LENGTH = 20;

export function pieceCount(layout: TorrentLayout): number {
  return Math.floor(layout.pieces.length / HASH_LENGTH);
}

/** Size of piece `index` in bytes: `pieceLength`, except the last one. */
export function pieceSize(layout: TorrentLayout, index: number): number {
  const start = index * layout.pieceLength;
  return Math.max(0, Math.min(layout.pieceLength, layout.length - start));
}

/** The expected SHA-1 of piece `index`: a view into `layout.pieces`. */
export function pieceHash(layout: TorrentLayout, index: number): Uint8Array {
  return layout.pieces.subarray(index * HASH_LENGTH, (index + 1) * HASH_LENGTH);
}

/**
 * Checks the layout's arithmetic: positive piece length, file offsets contiguous and summing
 * to `length`, one hash per piece, and safe path segments. Throws `invalid-layout` or `unsafe-path`.
 */
export function validateLayout(layout: TorrentLayout): void {
  const fail = (message: string): never => {
    throw new StorageError('invalid-layout', message);
  };
  if (!Number.isSafeInteger(layout.pieceLength) || layout.pieceLength <= 0)
    fail(`invalid piece length ${layout.pieceLength}`);
  if (!Number.isSafeInteger(layout.length) || layout.length < 0)
    fail(`invalid length ${layout.length}`);
  if (layout.pieces.length % HASH_LENGTH !== 0) fail('pieces is not a multiple of 20 bytes');
  const expectedPieces = Math.ceil(layout.length / layout.pieceLength);
  if (pieceCount(layout) !== expectedPieces) {
    fail(`${pieceCount(layout)} piece hashes for ${expectedPieces} pieces`);
  }
  if (layout.files.length === 0) fail('no files');
  if (!layout.multiFile && layout.files.length !== 1)
    fail('a single-file torrent has exactly one file');
  if (!isSafeSegment(layout.name)) {
    throw new StorageError('unsafe-path', `unsafe torrent name ${JSON.stringify(layout.name)}`);
  }
  let offset = 0;
  layout.files.forEach((file, index) => {
    if (!Number.isSafeInteger(file.length) || file.length < 0)
      fail(`file ${index}: invalid length`);
    if (file.offset !== offset) fail(`file ${index}: offset ${file.offset}, expected ${offset}`);
    offset += file.length;
    if (layout.multiFile) {
      if (file.path.length === 0) fail(`file ${index}: empty path`);
      for (const segment of file.path) {
        if (!isSafeSegment(segment)) {
          throw new StorageError(
            'unsafe-path',
            `file ${index}: unsafe path segment ${JSON.stringify(segment)}`,
          );
        }
      }
    }
  });
  if (offset !== layout.length) fail(`files sum to ${offset} bytes, length is ${layout.length}`);
}

/** Path segments of file `fileIndex` relative to the download folder, the torrent's name first. */
export function fileSegments(layout: TorrentLayout, fileIndex: number): string[] {
  const file = layout.files[fileIndex] as LayoutFile;
  return layout.multiFile ? [layout.name, ...file.path] : [layout.name];
}

/**
 * Maps pieces to file spans with a binary search over file offsets. Zero-length files have no
 * spans. Padding files are included (flagged by the layout), so callers decide what to do.
 */
export class SpanMap {
  private readonly layout: TorrentLayout;
  private readonly ends: Float64Array;

  constructor(layout: TorrentLayout) {
    this.layout = layout;
    this.ends = new Float64Array(layout.files.length);
    layout.files.forEach((file, index) => {
      this.ends[index] = file.offset + file.length;
    });
  }

  /** Index of the first file whose end lies after `position`. */
  private fileAt(position: number): number {
    let low = 0;
    let high = this.ends.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.ends[middle] as number) > position) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** Spans covering `length` bytes from `pieceOffset` in piece `index`. */
  spans(
    index: number,
    pieceOffset = 0,
    length = pieceSize(this.layout, index) - pieceOffset,
  ): PieceSpan[] {
    const result: PieceSpan[] = [];
    let position = index * this.layout.pieceLength + pieceOffset;
    const end = position + length;
    let fileIndex = this.fileAt(position);
    while (position < end && fileIndex < this.layout.files.length) {
      const file = this.layout.files[fileIndex] as LayoutFile;
      const fileEnd = file.offset + file.length;
      if (fileEnd > position) {
        const take = Math.min(end, fileEnd) - position;
        result.push({
          fileIndex,
          fileOffset: position - file.offset,
          pieceOffset: position - index * this.layout.pieceLength,
          length: take,
        });
        position += take;
      }
      fileIndex++;
    }
    return result;
  }

  /** The first and last piece holding bytes of a file, or undefined for an empty file. */
  piecesOfFile(fileIndex: number): { first: number; last: number } | undefined {
    const file = this.layout.files[fileIndex];
    if (file === undefined || file.length === 0) return undefined;
    return {
      first: Math.floor(file.offset / this.layout.pieceLength),
      last: Math.floor((file.offset + file.length - 1) / this.layout.pieceLength),
    };
  }
}
