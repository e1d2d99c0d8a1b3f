/**
 * Child process of v2.bench.mjs: rechecks a file against its torrent the way the storage does
 * (every piece read and hashed on the worker pool, one job per batch of pieces, each checked
 * with `pieceVerification`: SHA-1, or the BEP 52 merkle root) and reports time, CPU and the
 * number of good pieces as one JSON line.
 */
import { readFileSync } from 'node:fs';
import { filesInPiece, parseTorrent, pieceCount, pieceVerification } from '../dist/index.js';
import { createHashPool } from '../dist/node.js';

const [torrentPath, dataPath] = process.argv.slice(2);
const metainfo = parseTorrent(readFileSync(torrentPath));
const pool = createHashPool();
const started = performance.now();
const cpuBefore = process.cpuUsage();
const batches = [];
let batch = [];
for (let index = 0; index < pieceCount(metainfo); index++) {
  const { expected, hash } = pieceVerification(metainfo, index);
  const parts = filesInPiece(metainfo, index).map((span) => [
    metainfo.files[span.fileIndex].padding ? null : dataPath,
    span.fileOffset,
    span.length,
  ]);
  batch.push({ index, expected, parts, hash });
  if (batch.length * metainfo.pieceLength >= 8 * 1024 * 1024) {
    batches.push(batch);
    batch = [];
  }
}
if (batch.length > 0) batches.push(batch);
const results = (await Promise.all(batches.map((pieces) => pool.checkPieces(pieces)))).flat();
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
await pool.close();
process.stdout.write(
  `${JSON.stringify({
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    good: results.filter((result) => result.status === 'ok').length,
    pieces: results.length,
  })}\n`,
);
