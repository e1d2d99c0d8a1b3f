// Bench helper: deterministic torrent content generated on the fly from a small random pool,
// so a 4 GiB download needs no 4 GiB buffer. Piece i is a window of the pool chosen by i.
import { createHash, randomBytes } from 'node:crypto';

export function makeContent({ length, pieceLength, files }) {
  const poolSize = 16 * 1024 * 1024;
  const pool = randomBytes(poolSize + pieceLength);
  const pieceCount = Math.ceil(length / pieceLength);
  const pieceBytes = (index) => {
    const size = Math.min(pieceLength, length - index * pieceLength);
    const start = (index * 7919 * 4099) % poolSize;
    return pool.subarray(start, start + size);
  };
  const pieces = new Uint8Array(pieceCount * 20);
  for (let index = 0; index < pieceCount; index++) {
    pieces.set(createHash('sha1').update(pieceBytes(index)).digest(), index * 20);
  }
  let offset = 0;
  const layoutFiles = (files ?? [{ path: ['content.bin'], length }]).map((file) => {
    const entry = { path: file.path, length: file.length, offset, padding: false };
    offset += file.length;
    return entry;
  });
  const layout = {
    name: files ? 'bench-set' : 'content.bin',
    multiFile: Boolean(files),
    pieceLength,
    length,
    pieces,
    files: layoutFiles,
  };
  return { layout, pieceBytes, pieceCount };
}

/** Splits `length` into `count` file sizes around the mean, summing exactly to `length`. */
export function fileSizes(length, count) {
  const sizes = [];
  let left = length;
  for (let index = 0; index < count; index++) {
    const remaining = count - index;
    const mean = left / remaining;
    const size =
      index === count - 1
        ? left
        : Math.max(0, Math.round(mean * (0.5 + ((index * 37) % 100) / 100)));
    sizes.push(size);
    left -= size;
  }
  return sizes.map((size, index) => ({
    path: [`dir-${index % 20}`, `file-${index}.dat`],
    length: size,
  }));
}

/** Drives a download like an engine would: `inFlight` pieces at once, 16 KiB blocks each. */
export async function download(storage, content, { inFlight = 8, blockSize = 16384, pieces } = {}) {
  const order = pieces ?? [...Array(content.pieceCount).keys()];
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < order.length) {
      const index = order[next++];
      const bytes = content.pieceBytes(index);
      for (let offset = 0; offset < bytes.length; offset += blockSize) {
        await storage.writeBlock(
          index,
          offset,
          bytes.subarray(offset, Math.min(bytes.length, offset + blockSize)),
        );
      }
      if (!(await storage.verifyPiece(index)).ok) failures++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  if (failures > 0) throw new Error(`${failures} pieces failed verification`);
}
