/**
 * Where the bytes of files nobody wants go when they share a piece with a wanted file (file
 * selection). A piece covering two files is verified whole (BEP 3), so downloading a wanted file
 * also fetches the edges of its unwanted neighbours; rather than creating those files with a few
 * bytes in them, the storage keeps such bytes in one part file inside the torrent's folder, as
 * libtorrent does with its `.parts` file. The part file has one slot per shared piece, in piece
 * order, each a whole piece long: piece `p`'s byte `o` lives at `slot(p) * pieceLength + o`.
 * Only the unwanted files' ranges of a slot are ever written (the file is sparse), and wanting a
 * file later copies its ranges out of the slots into the file. Pure arithmetic: no I/O here.
 */
import type { TorrentLayout } from './layout.js';

/** The part file's name inside the torrent's folder. */
export const PART_FILE_NAME = '.bt.parts';

export interface PartFileLayout {
  /**
   * Path segments of the part file relative to the download folder (`[name, '.bt.parts']`);
   * `undefined` when no piece covers two files (a single file, a v2 torrent), so none is needed.
   */
  path: string[] | undefined;
  /** Shared piece → its slot in the part file. */
  slots: ReadonlyMap<number, number>;
  pieceLength: number;
}

/** The shared pieces of `layout` (each covering bytes of two files or more, padding aside) and their slots. */
export function partFileLayout(
  layout: Pick<TorrentLayout, 'name' | 'multiFile' | 'pieceLength' | 'files'>,
): PartFileLayout {
  const { pieceLength } = layout;
  // a piece covered by two real files holds the end of one and the start of the next: only
  // a file's first and last piece can be shared
  const owners = new Map<number, number>();
  const shared = new Set<number>();
  layout.files.forEach((file, index) => {
    if (file.length === 0 || file.padding === true) return;
    const first = Math.floor(file.offset / pieceLength);
    const last = Math.floor((file.offset + file.length - 1) / pieceLength);
    for (const piece of first === last ? [first] : [first, last]) {
      const owner = owners.get(piece);
      if (owner !== undefined && owner !== index) shared.add(piece);
      else owners.set(piece, index);
    }
  });
  const slots = new Map<number, number>();
  [...shared].sort((a, b) => a - b).forEach((piece, slot) => slots.set(piece, slot));
  if (slots.size === 0 || !layout.multiFile) return { path: undefined, slots, pieceLength };
  // a torrent with a file of that very name at its top keeps ours beside it under another name
  let name = PART_FILE_NAME;
  const taken = new Set(
    layout.files.filter((file) => file.path.length >= 1).map((file) => file.path[0]),
  );
  while (taken.has(name)) name += '~';
  return { path: [layout.name, name], slots, pieceLength };
}

/** Where byte `pieceOffset` of piece `piece` lives in the part file; `undefined` for a piece with no slot. */
export function partFileOffset(
  parts: PartFileLayout,
  piece: number,
  pieceOffset: number,
): number | undefined {
  const slot = parts.slots.get(piece);
  return slot === undefined ? undefined : slot * parts.pieceLength + pieceOffset;
}
