/** Choosing a piece length the way mainstream creators do. Pure. */

export const MIN_AUTO_PIECE_LENGTH = 16 * 1024;
export const MAX_AUTO_PIECE_LENGTH = 16 * 1024 * 1024;

/**
 * The piece length for `totalLength` bytes: the smallest power of two from 16 KiB to 16 MiB
 * that keeps the torrent at 2,000 pieces or fewer, so mid-sized content lands between about
 * 1,000 and 2,000 pieces (small content just gets 16 KiB pieces, huge content 16 MiB).
 */
export function choosePieceLength(totalLength: number): number {
  let pieceLength = MIN_AUTO_PIECE_LENGTH;
  while (pieceLength < MAX_AUTO_PIECE_LENGTH && totalLength / pieceLength > 2000) pieceLength *= 2;
  return pieceLength;
}
