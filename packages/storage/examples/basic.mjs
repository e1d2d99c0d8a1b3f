// A download through @bt/storage, a corrupt piece, a kill-free resume by recheck.
// Run after `pnpm build`: node examples/basic.mjs
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStorage, fileCompletion } from '../dist/index.js';

// A two-file torrent over random content (a Metainfo from @bt/metainfo has the same shape).
const pieceLength = 32 * 1024;
const content = randomBytes(200_000);
const pieces = [];
for (let offset = 0; offset < content.length; offset += pieceLength) {
  pieces.push(
    createHash('sha1')
      .update(content.subarray(offset, offset + pieceLength))
      .digest(),
  );
}
const layout = {
  name: 'example',
  multiFile: true,
  pieceLength,
  length: content.length,
  pieces: Buffer.concat(pieces),
  files: [
    { path: ['a.bin'], length: 120_000, offset: 0 },
    { path: ['sub', 'b.bin'], length: 80_000, offset: 120_000 },
  ],
};

const directory = mkdtempSync(join(tmpdir(), 'bt-storage-example-'));
try {
  const storage = await createFileStorage({ layout, directory });
  for (let index = 0; index < storage.pieceCount; index++) {
    const start = index * pieceLength;
    const piece = Buffer.from(
      content.subarray(start, Math.min(content.length, start + pieceLength)),
    );
    if (index === 3) piece[0] ^= 0xff; // a lying peer
    // the storage only stores blocks; the caller, which knows when it has them all, asks for
    // the verdict
    for (let offset = 0; offset < piece.length; offset += 16384)
      await storage.writeBlock(index, offset, piece.subarray(offset, offset + 16384));
    const verdict = await storage.verifyPiece(index);
    console.log(`piece ${index}: ${verdict.ok ? 'verified and written' : 'corrupt: discarded'}`);
  }
  await storage.close();

  // Later (or after a crash): start over the same folder and recheck.
  const again = await createFileStorage({ layout, directory });
  const complete = await again.recheck({
    onProgress: ({ checkedPieces, totalPieces }) =>
      console.log(`checked ${checkedPieces}/${totalPieces}`),
  });
  console.log(
    `complete pieces: ${complete.indices().join(', ')}; missing: ${complete.missing().join(', ')}`,
  );
  for (const file of fileCompletion(layout, complete)) {
    console.log(`${file.path}: ${file.bytesComplete}/${file.length} bytes`);
  }
  await again.close();
} finally {
  rmSync(directory, { recursive: true, force: true });
}
