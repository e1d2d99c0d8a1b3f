/**
 * Child process of create.bench.mjs and v2.bench.mjs: creates a torrent of one file (v1 by
 * default; `v2` or `hybrid` as the third argument; the fourth, if given, is where to write it) and reports the time and
 * the peak resident memory of this whole process (workers included) as one JSON line.
 */
import { writeFileSync } from 'node:fs';
import { createTorrent } from '../dist/node.js';

const [path, workers, version, out] = process.argv.slice(2);
const started = performance.now();
const cpuBefore = process.cpuUsage();
const { metainfo, torrent } = await createTorrent(path, {
  creationDate: null,
  workers: workers ? Number(workers) : undefined,
  version: version || 'v1',
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore); // every thread of the process: the workers too
if (out) writeFileSync(out, torrent);
process.stdout.write(
  `${JSON.stringify({
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    bytes: metainfo.length,
    pieceLength: metainfo.pieceLength,
    infoHash: metainfo.infoHashHex,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
