/**
 * Request planning: which HTTP requests fetch a run of the torrent's bytes from a web seed.
 * BEP 19 maps the run onto the files it spans (one ranged GET per file, a long run across
 * pieces in one request); BEP 47 padding files are never requested but filled with zeros here.
 * BEP 17 asks the seed's script for one piece at a time, with `ranges` for part of one.
 */
import { fileUrl, httpSeedUrl, type WebSeed } from './urls.js';

/** What planning needs of a torrent (the `Metainfo` of `@bt/metainfo` is one). */
export interface WebSeedTorrent {
  infoHash: Uint8Array;
  name: string;
  multiFile: boolean;
  pieceLength: number;
  length: number;
  files: readonly { path: readonly string[]; length: number; offset: number; padding?: boolean }[];
}

/** One part of a run: bytes from one HTTP request, or zeros that need none (padding). */
export type WebSeedSegment =
  | {
      kind: 'http';
      url: string;
      /** The `Range` to ask for (inclusive `end`); none for BEP 17, whose query names it. */
      range?: { start: number; end: number };
      /** Bytes the body must have. */
      length: number;
    }
  | { kind: 'zeros'; length: number };

/**
 * The segments that fetch `length` bytes of the torrent from `offset` (torrent byte offsets,
 * `offset + length` within the torrent), in order. For BEP 17 the run must lie within one piece.
 */
export function planRun(
  torrent: WebSeedTorrent,
  seed: WebSeed,
  offset: number,
  length: number,
): WebSeedSegment[] {
  if (
    !(Number.isSafeInteger(offset) && Number.isSafeInteger(length)) ||
    offset < 0 ||
    length <= 0 ||
    offset + length > torrent.length
  )
    throw new RangeError(
      `run ${offset}+${length} is outside the torrent (${torrent.length} bytes)`,
    );
  if (seed.kind === 'httpseeds') {
    const piece = Math.floor(offset / torrent.pieceLength);
    const begin = offset - piece * torrent.pieceLength;
    if (begin + length > torrent.pieceLength)
      throw new RangeError(`a BEP 17 run stays within one piece (${offset}+${length})`);
    const whole = begin === 0 && length === pieceSizeOf(torrent, piece);
    return [
      {
        kind: 'http',
        url: httpSeedUrl(
          seed.url,
          torrent.infoHash,
          piece,
          whole ? undefined : [{ start: begin, end: begin + length - 1 }],
        ),
        length,
      },
    ];
  }
  const segments: WebSeedSegment[] = [];
  const end = offset + length;
  let position = offset;
  for (let index = fileAt(torrent, offset); position < end; index++) {
    const file = torrent.files[index]!;
    const fileEnd = file.offset + file.length;
    if (file.length === 0 || fileEnd <= position) continue;
    const take = Math.min(end, fileEnd) - position;
    if (file.padding) {
      segments.push({ kind: 'zeros', length: take });
    } else {
      const start = position - file.offset;
      segments.push({
        kind: 'http',
        url: fileUrl(seed.url, torrent, file.path),
        range: { start, end: start + take - 1 },
        length: take,
      });
    }
    position += take;
  }
  return segments;
}

function pieceSizeOf(torrent: WebSeedTorrent, piece: number): number {
  return Math.min(torrent.pieceLength, torrent.length - piece * torrent.pieceLength);
}

/** The index of the file holding byte `offset` (the first non-empty one at it). */
function fileAt(torrent: WebSeedTorrent, offset: number): number {
  const { files } = torrent;
  let low = 0;
  let high = files.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (files[middle]!.offset <= offset) low = middle;
    else high = middle - 1;
  }
  // back to the first file starting at the same offset (empty files share it)
  while (low > 0 && files[low - 1]!.offset === files[low]!.offset) low--;
  return low;
}
