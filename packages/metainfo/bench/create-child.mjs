/**
 * Child process of create.bench.mjs: creates a torrent of one file and reports the time and
 * the peak resident memory of this whole process (workers included) as one JSON line.
 */
import { createTorrent } from '../dist/node.js';

const [path, workers] = process.argv.slice(2);
const started = performance.now();
const cpuBefore = process.cpuUsage();
const { metainfo } = await createTorrent(path, {
  creationDate: null,
  workers: workers ? Number(workers) : undefined,
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore); // every thread of the process: the workers too
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
