/** The pieces a torrent has, one cell per piece (grouped when there are many), on a canvas. */
import { useEffect, useRef } from 'preact/hooks';
import { decodePieces } from '../file-tree.js';

export interface PieceMapProps {
  pieces: string;
  pieceCount: number;
}

const CELLS = 1024;

export function PieceMap({ pieces, pieceCount }: PieceMapProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const have = decodePieces(pieces, pieceCount);
  let count = 0;
  for (const bit of have) count += bit;
  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context) return;
    const cells = Math.min(CELLS, Math.max(1, pieceCount));
    const columns = Math.min(cells, 64);
    const rows = Math.ceil(cells / columns);
    const size = 8;
    element.width = columns * size;
    element.height = rows * size;
    const style = getComputedStyle(element);
    const haveColor = style.getPropertyValue('--piece-have').trim() || '#2a7';
    const missingColor = style.getPropertyValue('--piece-missing').trim() || '#ddd';
    for (let cell = 0; cell < cells; cell++) {
      const from = Math.floor((cell * pieceCount) / cells);
      const to = Math.max(from + 1, Math.floor(((cell + 1) * pieceCount) / cells));
      let got = 0;
      for (let index = from; index < to; index++) got += have[index] ?? 0;
      const fraction = got / (to - from);
      context.fillStyle = missingColor;
      context.fillRect(
        (cell % columns) * size,
        Math.floor(cell / columns) * size,
        size - 1,
        size - 1,
      );
      if (fraction > 0) {
        context.globalAlpha = 0.35 + 0.65 * fraction;
        context.fillStyle = haveColor;
        context.fillRect(
          (cell % columns) * size,
          Math.floor(cell / columns) * size,
          size - 1,
          size - 1,
        );
        context.globalAlpha = 1;
      }
    }
  }, [pieces, pieceCount]);
  return (
    <figure class="piece-map">
      <canvas
        ref={canvas}
        role="img"
        aria-label={`Piece map: ${count} of ${pieceCount} pieces`}
        data-have={count}
      />
      <figcaption>
        {count} of {pieceCount} pieces
      </figcaption>
    </figure>
  );
}
