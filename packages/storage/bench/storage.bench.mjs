// Benchmark: @bt/storage against its anchors, side by side in one run.
// - recheck of a 1 GiB single-file torrent and of a 1 GiB torrent of 2,000 files (data in the
//   page cache) vs single-core `openssl speed -evp sha1 -bytes 1048576` (target >= 1.6x);
// - a 1 GiB download written through the storage (16 KiB blocks, 8 pieces in flight, verified,
//   fsynced at close) vs a plain sequential fs write of the same bytes, fsynced (target >= 80%),
//   alternating, best of each;
// - peak RSS of a whole 4 GiB download through the storage in a child process (< 200 MB);
// - for information: the hash pool on shared memory (zero copy) vs transferred vs copied buffers.
// `openssl speed` divides by CPU time unless given `-elapsed`; our figures are wall-clock, so
// both openssl figures are printed (they differ when the machine is busy), with the load average.
// BENCH_QUICK=1 shrinks everything for CI. Data lives in a temp folder, removed at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createFileStorage, createHashPool } from '../dist/index.js';
import { download, fileSizes, makeContent } from './content.mjs';

const quick = process.env.BENCH_QUICK === '1';
const MiB = 1024 * 1024;
const size = quick ? 128 * MiB : 1024 * MiB;
const rssSize = quick ? 512 * MiB : 4096 * MiB;
const pieceLength = MiB;
const runs = quick ? 2 : 4;
const root = mkdtempSync(join(tmpdir(), 'bt-storage-bench-'));
const results = [];
const gb = (bytesPerSecond) => `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

function openssl(elapsed) {
  const args = [
    'speed',
    ...(elapsed ? ['-elapsed'] : []),
    '-evp',
    'sha1',
    '-bytes',
    '1048576',
    '-seconds',
    quick ? '1' : '3',
  ];
  const output = execFileSync('openssl', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const match = /^sha1\s+([\d.]+)k/m.exec(output);
  if (!match) throw new Error(`cannot read openssl output:\n${output}`);
  return Number(match[1]) * 1000;
}

function ratio(what, ours, anchor, target) {
  const value = ours / anchor;
  const pass = value >= target;
  results.push(pass);
  console.log(
    `RATIO ${what}: ours ${gb(ours)} vs anchor ${gb(anchor)} = ${value.toFixed(2)}x (target >= ${target}x) ${pass ? 'PASS' : 'FAIL'}`,
  );
}

/** Wall-clock seconds and process CPU seconds (all threads) of a download through the storage. */
async function writeThrough(content, directory, pool) {
  const storage = await createFileStorage({
    layout: content.layout,
    directory,
    hashPool: pool,
    checkpointInterval: 0,
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await download(storage, content, { inFlight: 8 });
  await storage.close();
  return { wall: (performance.now() - started) / 1000, cpu: cpuSeconds(cpu) };
}

function plainWrite(content, path) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const fd = openSync(path, 'w');
  for (let index = 0; index < content.pieceCount; index++) writeSync(fd, content.pieceBytes(index));
  fsyncSync(fd);
  closeSync(fd);
  return { wall: (performance.now() - started) / 1000, cpu: cpuSeconds(cpu) };
}

function cpuSeconds(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** Best wall-clock rate of `runs` rechecks after one warm-up run (the least disturbed one). */
async function recheckRate(content, directory, pool) {
  const storage = await createFileStorage({
    layout: content.layout,
    directory,
    hashPool: pool,
    readOnly: true,
  });
  const times = [];
  for (let run = 0; run <= runs; run++) {
    const started = performance.now();
    const complete = await storage.recheck();
    times.push((performance.now() - started) / 1000);
    if (!complete.isFull())
      throw new Error(`recheck found ${complete.count()}/${complete.length} pieces`);
  }
  await storage.close();
  return content.layout.length / Math.min(...times.slice(1));
}

async function recheckAgainstOpenssl(label, content, directory, pool) {
  const cpuAnchor = openssl(false);
  const rate = await recheckRate(content, directory, pool);
  const wallAnchor = openssl(true);
  console.log(
    `recheck ${label}: ${gb(rate)}; openssl sha1 on one core: ${gb(cpuAnchor)} per CPU second, ${gb(wallAnchor)} wall-clock (-elapsed) -> ${(rate / wallAnchor).toFixed(2)}x of the wall-clock figure`,
  );
  ratio(`recheck ${size / MiB} MiB ${label} vs openssl sha1 (1 core)`, rate, cpuAnchor, 1.6);
}

/** Hash-pool digests of 1 MiB pieces: shared memory (zero copy), transferred, copied; best of 3. */
async function digestModes(pool) {
  const count = quick ? 64 : 256;
  const rates = { shared: 0, transfer: 0, copy: 0 };
  for (let round = 0; round < 3; round++) {
    for (const mode of Object.keys(rates)) {
      const buffers = Array.from({ length: count }, () => {
        const bytes =
          mode === 'shared' ? new Uint8Array(new SharedArrayBuffer(MiB)) : new Uint8Array(MiB);
        return bytes.fill(7);
      });
      const started = performance.now();
      await Promise.all(
        buffers.map((bytes) => pool.digest(bytes, { transfer: mode === 'transfer' })),
      );
      rates[mode] = Math.max(rates[mode], (count * MiB) / ((performance.now() - started) / 1000));
    }
  }
  return rates;
}

try {
  console.log(`load average ${load()} on ${availableParallelism()} cores`);
  const pool = createHashPool();
  console.log(
    `@bt/storage bench${quick ? ' (quick)' : ''}: ${size / MiB} MiB torrents, ${pieceLength / MiB} MiB pieces, ${pool.size} hash workers`,
  );
  const modes = await digestModes(pool);
  console.log(
    `hash pool, 1 MiB pieces: shared memory ${gb(modes.shared)}, transferred ${gb(modes.transfer)}, copied ${gb(modes.copy)}`,
  );

  // Writes: plain sequential fs vs through the storage, alternating, best of each.
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
  const best = (times) => times.reduce((a, b) => (b.wall < a.wall ? b : a));
  const [plainBest, oursBest] = [best(plainTimes), best(oursTimes)];
  console.log(
    `write: plain fs ${plainTimes.map((time) => gb(size / time.wall)).join(', ')}; through the storage ${oursTimes.map((time) => gb(size / time.wall)).join(', ')}`,
  );
  console.log(
    `write CPU (all threads) of the best runs: plain fs ${plainBest.cpu.toFixed(2)} s, storage ${oursBest.cpu.toFixed(2)} s (copy into the piece cache + SHA-1 + the same writes)`,
  );
  ratio(
    `write ${size / MiB} MiB download vs plain sequential fs write`,
    size / oursBest.wall,
    size / plainBest.wall,
    0.8,
  );

  // Recheck of the single file just written (so in the page cache).
  await recheckAgainstOpenssl('single file', single, join(root, `write-${runs - 1}`), pool);
  rmSync(join(root, `write-${runs - 1}`), { recursive: true });

  // Recheck of 2,000 files.
  const many = makeContent({ length: size, pieceLength, files: fileSizes(size, 2000) });
  const manyDirectory = join(root, 'many');
  await writeThrough(many, manyDirectory, pool);
  await recheckAgainstOpenssl('of 2,000 files', many, manyDirectory, pool);
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
  const rssPass = maxRssBytes < 200 * 1e6;
  results.push(rssPass);
  console.log(
    `RSS ${rssSize / MiB} MiB download through the storage: peak RSS ${(maxRssBytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s (${gb(rssSize / seconds)}) (target < 200 MB) ${rssPass ? 'PASS' : 'FAIL'}`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(`load average ${load()}`);
console.log(results.every(Boolean) ? 'all targets met' : 'SOME TARGETS MISSED');
