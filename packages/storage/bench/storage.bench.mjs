// Benchmark: @bt/storage against its anchors, side by side in one run.
// - recheck of a 1 GiB single-file torrent and of a 1 GiB torrent of 2,000 files (data in the
//   page cache) vs single-core `openssl speed -evp sha1` (target >= 1.6x);
// - a 1 GiB download written through the storage (16 KiB blocks, verified, fsynced at close)
//   vs a plain sequential fs write of the same bytes, fsynced (target >= 80%);
// - peak RSS of a whole 4 GiB download through the storage in a child process (< 200 MB).
// BENCH_QUICK=1 shrinks everything for CI. Data lives in a temp folder, removed at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createFileStorage, createHashPool } from '../dist/index.js';
import { download, fileSizes, makeContent } from './content.mjs';

const quick = process.env.BENCH_QUICK === '1';
const MiB = 1024 * 1024;
const size = quick ? 128 * MiB : 1024 * MiB;
const rssSize = quick ? 512 * MiB : 4096 * MiB;
const pieceLength = MiB;
const runs = quick ? 2 : 3;
const root = mkdtempSync(join(tmpdir(), 'bt-storage-bench-'));
const results = [];
const gb = (bytes, seconds) => `${(bytes / seconds / 1e9).toFixed(2)} GB/s`;

function openssl() {
  const output = execFileSync(
    'openssl',
    ['speed', '-evp', 'sha1', '-bytes', '1048576', '-seconds', quick ? '1' : '3'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const match = /^sha1\s+([\d.]+)k/m.exec(output);
  if (!match) throw new Error(`cannot read openssl output:\n${output}`);
  return Number(match[1]) * 1000;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function ratio(what, ours, anchor, target, unit = 'x') {
  const value = ours / anchor;
  const pass = value >= target;
  results.push(pass);
  console.log(
    `RATIO ${what}: ours ${gb(ours, 1)} vs anchor ${gb(anchor, 1)} = ${value.toFixed(2)}${unit} (target >= ${target}${unit}) ${pass ? 'PASS' : 'FAIL'}`,
  );
}

async function writeThrough(content, directory, pool) {
  const storage = await createFileStorage({
    layout: content.layout,
    directory,
    hashPool: pool,
    checkpointInterval: 0,
  });
  const started = performance.now();
  await download(storage, content, { inFlight: 8 });
  await storage.close();
  return (performance.now() - started) / 1000;
}

function plainWrite(content, path) {
  const started = performance.now();
  const fd = openSync(path, 'w');
  for (let index = 0; index < content.pieceCount; index++) writeSync(fd, content.pieceBytes(index));
  fsyncSync(fd);
  closeSync(fd);
  return (performance.now() - started) / 1000;
}

async function recheckSpeed(content, directory, pool) {
  const storage = await createFileStorage({
    layout: content.layout,
    directory,
    hashPool: pool,
    readOnly: true,
  });
  const times = [];
  for (let run = 0; run < runs + 1; run++) {
    const started = performance.now();
    const complete = await storage.recheck();
    times.push((performance.now() - started) / 1000);
    if (!complete.isFull())
      throw new Error(`recheck found ${complete.count()}/${complete.length} pieces`);
  }
  await storage.close();
  // The first run warms the page cache and the workers.
  return content.layout.length / median(times.slice(1));
}

try {
  console.log(
    `@bt/storage bench${quick ? ' (quick)' : ''}: ${size / MiB} MiB torrents, ${pieceLength / MiB} MiB pieces, ${createHashPool().size} hash workers`,
  );
  const pool = createHashPool();

  // Writes: plain sequential fs vs through the storage (alternating, best of each).
  const single = makeContent({ length: size, pieceLength });
  const plainTimes = [];
  const oursTimes = [];
  for (let run = 0; run < runs; run++) {
    const plainPath = join(root, 'plain.bin');
    plainTimes.push(plainWrite(single, plainPath));
    rmSync(plainPath);
    const directory = join(root, `write-${run}`);
    oursTimes.push(await writeThrough(single, directory, pool));
    if (run < runs - 1) rmSync(directory, { recursive: true });
  }
  const plainRate = size / Math.min(...plainTimes);
  const oursRate = size / Math.min(...oursTimes);
  console.log(
    `write  plain fs: ${plainTimes.map((t) => gb(size, t)).join(', ')}; storage: ${oursTimes.map((t) => gb(size, t)).join(', ')}`,
  );
  ratio('write 1 GiB download vs plain sequential fs write', oursRate, plainRate, 0.8);

  // Recheck of the single file just written (in the page cache) vs openssl on one core.
  const anchorBefore = openssl();
  const singleRate = await recheckSpeed(single, join(root, `write-${runs - 1}`), pool);
  console.log(
    `recheck single file: ${gb(singleRate, 1)}; openssl sha1 one core: ${gb(anchorBefore, 1)}`,
  );
  ratio('recheck 1 GiB single file vs openssl sha1 (1 core)', singleRate, anchorBefore, 1.6);
  rmSync(join(root, `write-${runs - 1}`), { recursive: true });

  // Recheck of 2,000 files.
  const many = makeContent({ length: size, pieceLength, files: fileSizes(size, 2000) });
  const manyDirectory = join(root, 'many');
  await writeThrough(many, manyDirectory, pool);
  const anchorMany = openssl();
  const manyRate = await recheckSpeed(many, manyDirectory, pool);
  console.log(
    `recheck 2,000 files: ${gb(manyRate, 1)}; openssl sha1 one core: ${gb(anchorMany, 1)}`,
  );
  ratio('recheck 1 GiB of 2,000 files vs openssl sha1 (1 core)', manyRate, anchorMany, 1.6);
  rmSync(manyDirectory, { recursive: true });
  await pool.close();

  // Peak RSS of a whole download, in a fresh process.
  const child = spawnSync(
    process.execPath,
    [join(import.meta.dirname, 'rss-child.mjs'), `${rssSize}`, join(root, 'rss')],
    {
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(`rss child failed: ${child.stderr}`);
  const { maxRssBytes, seconds } = JSON.parse(child.stdout);
  const rssPass = maxRssBytes < 200 * MiB;
  results.push(rssPass);
  console.log(
    `RSS ${rssSize / MiB} MiB download through the storage: peak RSS ${(maxRssBytes / MiB).toFixed(1)} MiB in ${seconds.toFixed(1)} s (${gb(rssSize, seconds)}) (target < 200 MiB) ${rssPass ? 'PASS' : 'FAIL'}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(results.every(Boolean) ? 'all targets met' : 'SOME TARGETS MISSED');
