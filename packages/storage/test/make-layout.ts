/** Test helper: a torrent layout with real SHA-1 piece hashes over known content. */
import { createHash, randomBytes } from 'node:crypto';
import type { LayoutFile, TorrentLayout } from '../src/index.js';

export interface FileSpec {
  path: string[];
  length: number;
  padding?: boolean;
}

export interface TestTorrent {
  layout: TorrentLayout;
  /** The whole content, padding as zeros. */
  data: Uint8Array;
}

export function hashPieces(data: Uint8Array, pieceLength: number): Uint8Array {
  const count = Math.ceil(data.length / pieceLength);
  const pieces = new Uint8Array(count * 20);
  for (let index = 0; index < count; index++) {
    const digest = createHash('sha1')
      .update(data.subarray(index * pieceLength, Math.min(data.length, (index + 1) * pieceLength)))
      .digest();
    pieces.set(digest, index * 20);
  }
  return pieces;
}

/** A layout over random content; `files` omitted means a single file of `length` bytes. */
export function makeTorrent(options: {
  name?: string;
  pieceLength: number;
  files?: FileSpec[];
  length?: number;
  data?: Uint8Array;
}): TestTorrent {
  const specs = options.files ?? [
    { path: [options.name ?? 'content.bin'], length: options.length ?? 0 },
  ];
  const total = specs.reduce((sum, spec) => sum + spec.length, 0);
  const data = options.data ?? new Uint8Array(randomBytes(total));
  let offset = 0;
  const files: LayoutFile[] = specs.map((spec) => {
    const file = { path: spec.path, length: spec.length, offset, padding: spec.padding === true };
    if (spec.padding === true) data.fill(0, offset, offset + spec.length);
    offset += spec.length;
    return file;
  });
  return {
    layout: {
      name: options.name ?? 'content.bin',
      multiFile: options.files !== undefined,
      pieceLength: options.pieceLength,
      length: total,
      pieces: hashPieces(data, options.pieceLength),
      files,
    },
    data,
  };
}

/** Splits piece `index` of `data` into blocks of `blockSize` bytes. */
export function blocksOf(
  torrent: TestTorrent,
  index: number,
  blockSize: number,
): { offset: number; bytes: Uint8Array }[] {
  const { layout, data } = torrent;
  const start = index * layout.pieceLength;
  const end = Math.min(layout.length, start + layout.pieceLength);
  const blocks: { offset: number; bytes: Uint8Array }[] = [];
  for (let offset = 0; start + offset < end; offset += blockSize) {
    blocks.push({
      offset,
      bytes: data.slice(start + offset, Math.min(end, start + offset + blockSize)),
    });
  }
  return blocks;
}
