/**
 * `bt create` speed and memory: @bt/metainfo `createTorrent` on a 1 GiB file (hashing on every
 * core with worker threads) against the single-core `openssl speed -evp sha1` figure for 1 MiB
 * blocks, measured in the same run (openssl before and after ours, averaged). The torrent is
 * created in a child process so its peak RSS (workers included) can be read. The file is in
 * the page cache, as after any recent write: this measures hashing, not the disk.
 * Run `pnpm build` first (this imports `dist`). BENCH_QUICK=1: 64 MiB, shorter openssl runs.
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const quick = process.env.BENCH_QUICK === '1';
const SIZE = quick ? 64 * 1024 * 1024 : 1024 * 1024 * 1024;
const ROUNDS = quick ? 1 : 3;
const OPENSSL_SECONDS = quick ? '1' : '3';
const RSS_LIMIT = 150e6;
const child = fileURLToPath(new URL('./create-child.mjs', import.meta.url));

/**
 * `openssl speed` divides by the CPU time it used unless `-elapsed` is given; the anchor of the
 * target is the plain command, the `-elapsed` figure shows the same under the run's load.
 */
function opensslSha1(elapsed = false) {
  const output = execFileSync(
    'openssl',
    [
      'speed',
      ...(elapsed ? ['-elapsed'] : []),
      '-evp',
      'sha1',
      '-bytes',
      '1048576',
      '-seconds',
      OPENSSL_SECONDS,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const match = /^sha1\s+([\d.]+)k\s*$/m.exec(output);
  if (!match) throw new Error(`cannot read openssl speed output:\n${output}`);
  return Number(match[1]) * 1000; // openssl reports 1000s of bytes per second
}

function createOnce(path, workers) {
  const args = [child, path];
  if (workers !== undefined) args.push(String(workers));
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;
const rate = (bytesPerSecond) => `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;

const folder = mkdtempSync(join(tmpdir(), 'bt-metainfo-bench-'));
try {
  const path = join(folder, 'content.bin');
  const fd = openSync(path, 'w');
  const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
  for (let written = 0; written < SIZE; written += chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, SIZE - written));
  }
  closeSync(fd);
  console.log(`input: ${mb(SIZE)} file, ${availableParallelism()} cores`);

  createOnce(path); // warm-up: page cache, code caches
  const before = opensslSha1();
  const runs = [];
  for (let round = 0; round < ROUNDS; round++) runs.push(createOnce(path));
  const singleThread = createOnce(path, 1);
  const after = opensslSha1();
  const openssl = (before + after) / 2;
  const opensslWall = opensslSha1(true);

  const seconds = median(runs.map((run) => run.seconds));
  const ours = SIZE / seconds;
  const peak = Math.max(...runs.map((run) => run.maxRssBytes), singleThread.maxRssBytes);
  console.log(
    `openssl speed -evp sha1 (1 MiB blocks, one core, per CPU-second): ${rate(before)} before, ` +
      `${rate(after)} after; with -elapsed (wall clock, under this run's load): ${rate(opensslWall)}`,
  );
  console.log(
    `createTorrent, all cores: ${runs.map((run) => rate(SIZE / run.seconds)).join(', ')} (median ${rate(ours)}), ` +
      `piece length ${runs[0].pieceLength}, peak RSS ${runs.map((run) => mb(run.maxRssBytes)).join(', ')}`,
  );
  console.log(
    `createTorrent, one worker: ${rate(SIZE / singleThread.seconds)}, peak RSS ${mb(singleThread.maxRssBytes)}`,
  );
  // CPU cost per byte (hashing plus the kernel's copy out of the page cache), which load from
  // other processes does not change: what all cores could reach if they were ours alone.
  const perCpuSecond = median(runs.map((run) => SIZE / run.cpuSeconds));
  const ceiling = perCpuSecond * availableParallelism();
  console.log(
    `CPU cost: ${rate(perCpuSecond)} per CPU-second; on ${availableParallelism()} idle cores at most ${rate(ceiling)} = ${(ceiling / openssl).toFixed(2)}x openssl (for context, not the target)`,
  );
  console.log(
    `for context: ours (wall clock) vs openssl -elapsed (wall clock) = ${(ours / opensslWall).toFixed(2)}x`,
  );
  const ratio = ours / openssl;
  console.log(
    `RATIO create ${mb(SIZE)}: ours ${rate(ours)} vs openssl sha1 single-core ${rate(openssl)} = ${ratio.toFixed(2)}x (target >= 1.5x) ${ratio >= 1.5 ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `MEMORY create ${mb(SIZE)}: peak RSS ${mb(peak)} (target < ${mb(RSS_LIMIT)}) ${peak < RSS_LIMIT ? 'PASS' : 'FAIL'}`,
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}
