/** How much of each file the complete pieces cover: what `bt verify` and front-ends show. */
import type { Bitfield } from '@bt/primitives';
import { filePathSegments, piecesOfFile } from '@bt/metainfo';
import type { TorrentLayout } from './layout.js';

export interface FileCompletion {
  fileIndex: number;
  /** Path relative to the download folder, `/`-separated, the torrent's name first. */
  path: string;
  length: number;
  /** Bytes of the file inside complete pieces. */
  bytesComplete: number;
  padding: boolean;
}

export function fileCompletion(layout: TorrentLayout, complete: Bitfield): FileCompletion[] {
  return layout.files.map((file, fileIndex) => {
    let bytesComplete = 0;
    const range = piecesOfFile(layout, fileIndex);
    if (range !== undefined) {
      for (let index = range.first; index <= range.last; index++) {
        if (!complete.has(index)) continue;
        const pieceStart = index * layout.pieceLength;
        const pieceEnd = Math.min(pieceStart + layout.pieceLength, layout.length);
        bytesComplete +=
          Math.min(pieceEnd, file.offset + file.length) - Math.max(pieceStart, file.offset);
      }
    }
    return {
      fileIndex,
      path: filePathSegments(layout, fileIndex).join('/'),
      length: file.length,
      bytesComplete,
      padding: file.padding === true,
    };
  });
}
