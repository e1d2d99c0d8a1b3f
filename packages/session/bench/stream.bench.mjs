// Streaming latency: a libtorrent seeder (libtorrent-peer.py, loopback) of one file (256 MiB,
// 1 MiB pieces), reached by a magnet's x.pe. Per run, interleaved: libtorrent adds the magnet
// and its time to its first verified piece is the anchor; then `bt stream <magnet>` (the
// built CLI, a new process) and an HTTP client that asks for the file as soon as the URL is
// printed: the time from starting `bt stream` to the first byte served, and then from a seek
// (a new Range request at 70% of the file) to the first byte there. Medians of BENCH_RUNS (3);
// prints the RATIO lines (ours over libtorrent's first piece; lower is better).
// BENCH_QUICK=1 shrinks the payload to 32 MiB; BENCH_SIZE_MB and BENCH_RUNS override.
// Needs `pnpm build` first, mktorrent and /usr/bin/python3 with python3-libtorrent.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTorrent } from '@bt/metainfo';
import { freePort, median, MiB, preparePayload, ratio, start } from './bench-helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bt = join(here, '..', '..', '..', 'apps', 'cli', 'dist', 'bt.js');
const quick = process.env.BENCH_QUICK === '1';
const size = Number(process.env.BENCH_SIZE_MB ?? (quick ? 32 : 256)) * MiB;
const runs = Number(process.env.BENCH_RUNS ?? 3);

const { work, seedDir, torrentFile } = await preparePayload('bt-bench-stream-', size, [
  '-a',
  'http://127.0.0.1:9/announce',
]);
const { infoHashHex } = parseTorrent(new Uint8Array(await readFile(torrentFile)));
const seedPort = await freePort();
const seeder = start('/usr/bin/python3', [
  join(here, 'libtorrent-peer.py'),
  'seed',
  torrentFile,
  seedDir,
  String(seedPort),
]);
await seeder.waitFor(/listening \d+/);
const magnet = `magnet:?xt=urn:btih:${infoHashHex}&dn=payload.bin&x.pe=127.0.0.1:${seedPort}`;

/** Resolves with the ms from `started` to the first byte of the answer to `Range: bytes=<from>-`. */
function firstByte(url, from, started) {
  return new Promise((resolve, reject) => {
    const asked = request(url, { headers: { Range: `bytes=${from}-` } }, (response) => {
      if (response.statusCode !== 206) reject(new Error(`HTTP ${response.statusCode}`));
      response.once('data', () => {
        const ms = performance.now() - started;
        asked.destroy();
        resolve(ms);
      });
      response.once('error', () => undefined);
    });
    asked.on('error', (error) => {
      if (!asked.destroyed) reject(error);
    });
    asked.end();
  });
}

async function libtorrentRun(index) {
  const dir = join(work, `lt-${index}`);
  await mkdir(dir);
  const leech = start('/usr/bin/python3', [
    join(here, 'libtorrent-peer.py'),
    'first-piece',
    magnet,
    dir,
  ]);
  await leech.waitFor(/"firstPiece"/);
  const line = leech
    .output()
    .split('\n')
    .find((each) => each.includes('"firstPiece"'));
  await leech.exited;
  leech.forget();
  await rm(dir, { recursive: true, force: true });
  const { metadata, firstPiece } = JSON.parse(line);
  return { metadata: metadata * 1000, firstPiece: firstPiece * 1000 };
}

async function oursRun(index) {
  const dir = join(work, `bt-${index}`);
  await mkdir(dir);
  const started = performance.now();
  const child = start(process.execPath, [
    bt,
    'stream',
    magnet,
    '--json',
    '-o',
    dir,
    '--peer-port',
    '0',
    '--no-dht',
    '--no-lpd',
    '--state-dir',
    join(work, 'state'),
  ]);
  await child.waitFor(/"type":"stream-ready"/);
  const ready = performance.now() - started;
  const url = JSON.parse(
    child
      .output()
      .split('\n')
      .find((line) => line.includes('"stream-ready"')),
  ).url;
  const first = await firstByte(url, 0, started);
  const seekAt = performance.now();
  const seek = await firstByte(url, Math.floor(size * 0.7), seekAt);
  await child.stop();
  await rm(dir, { recursive: true, force: true });
  return { ready, first, seek };
}

const lt = [];
const ours = [];
for (let index = 0; index < runs; index++) {
  const anchor = await libtorrentRun(index);
  const run = await oursRun(index);
  lt.push(anchor);
  ours.push(run);
  console.log(
    `run ${index + 1}: libtorrent metadata ${anchor.metadata.toFixed(0)} ms, first piece ${anchor.firstPiece.toFixed(0)} ms; ` +
      `bt stream URL ${run.ready.toFixed(0)} ms, first byte ${run.first.toFixed(0)} ms, seek to first byte ${run.seek.toFixed(0)} ms`,
  );
}
await seeder.stop();
await rm(work, { recursive: true, force: true });

const anchor = median(lt.map((each) => each.firstPiece));
const first = median(ours.map((each) => each.first));
const seek = median(ours.map((each) => each.seek));
console.log(
  `stream ${size / MiB} MiB, 1 MiB pieces, libtorrent seeder by x.pe (medians of ${runs}): ` +
    `libtorrent first piece ${anchor.toFixed(0)} ms (metadata ${median(lt.map((each) => each.metadata)).toFixed(0)} ms); ` +
    `bt stream to first byte ${first.toFixed(0)} ms (URL printed ${median(ours.map((each) => each.ready)).toFixed(0)} ms), seek to first byte ${seek.toFixed(0)} ms`,
);
// ours includes starting a Node process; libtorrent's is timed from its add
ratio('stream magnet to first byte (vs libtorrent first piece)', first, anchor, 20, false);
ratio('stream seek to first byte (vs libtorrent first piece)', seek, anchor, 3, false);
