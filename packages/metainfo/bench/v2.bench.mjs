/**
 * BEP 52 hashing speed: creating a v2 torrent of a 1 GiB file and rechecking the file against
 * it (SHA-256 of every 16 KiB block on the worker pool, merkle trees on top), each against the
 * single-core `openssl speed -evp sha256` figure for 16 KiB blocks (the size v2 hashes),
 * measured in the same run (before and after ours, averaged). The file is in the page cache:
 * this measures hashing, not the disk. Also printed, for context: the same for v1 (SHA-1).
 * Run `pnpm build` first (this imports `dist`). BENCH_QUICK=1: 64 MiB, shorter openssl runs.
 * Target (issue 17): create and recheck >= 1.6x openssl sha256 on one core.
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
const TARGET = 1.6;
const createChild = fileURLToPath(new URL('./create-child.mjs', import.meta.url));
const recheckChild = fileURLToPath(new URL('./recheck-child.mjs', import.meta.url));

function openssl(algorithm) {
  const output = execFileSync(
    'openssl',
    ['speed', '-evp', algorithm, '-bytes', '16384', '-seconds', OPENSSL_SECONDS],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const match = new RegExp(`^${algorithm}\\s+([\\d.]+)k\\s*$`, 'm').exec(output);
  if (!match) throw new Error(`cannot read openssl speed output:\n${output}`);
  return Number(match[1]) * 1000;
}

const run = (args) =>
  JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 }));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = (bytesPerSecond) => `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;

const folder = mkdtempSync(join(tmpdir(), 'bt-metainfo-v2-bench-'));
try {
  const path = join(folder, 'content.bin');
  const fd = openSync(path, 'w');
  const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
  for (let written = 0; written < SIZE; written += chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, SIZE - written));
  }
  closeSync(fd);
  console.log(`input: ${(SIZE / 1e6).toFixed(0)} MB file, ${availableParallelism()} cores`);

  // The torrents to recheck against (and a warm-up of the page cache and code caches).
  const torrents = {};
  for (const version of ['v1', 'v2']) {
    torrents[version] = join(folder, `${version}.torrent`);
    run([createChild, path, '', version, torrents[version]]);
  }

  const before = { sha256: openssl('sha256'), sha1: openssl('sha1') };
  const figures = {};
  for (const version of ['v2', 'v1']) {
    const creates = [];
    const rechecks = [];
    for (let round = 0; round < ROUNDS; round++) {
      creates.push(run([createChild, path, '', version]));
      const recheck = run([recheckChild, torrents[version], path]);
      if (recheck.good !== recheck.pieces) throw new Error(`${version} recheck found bad pieces`);
      rechecks.push(recheck);
    }
    figures[version] = {
      create: SIZE / median(creates.map((result) => result.seconds)),
      recheck: SIZE / median(rechecks.map((result) => result.seconds)),
      createCpu: median(creates.map((result) => result.cpuSeconds)),
      recheckCpu: median(rechecks.map((result) => result.cpuSeconds)),
    };
  }
  const after = { sha256: openssl('sha256'), sha1: openssl('sha1') };
  const anchor = (before.sha256 + after.sha256) / 2;
  const anchorV1 = (before.sha1 + after.sha1) / 2;
  console.log(
    `openssl speed -evp sha256 (16 KiB blocks, one core): ${rate(before.sha256)} before, ${rate(after.sha256)} after; sha1: ${rate(anchorV1)}`,
  );
  for (const version of ['v2', 'v1']) {
    const figure = figures[version];
    console.log(
      `${version}: create ${rate(figure.create)} (${figure.createCpu.toFixed(2)} CPU-s), recheck ${rate(figure.recheck)} (${figure.recheckCpu.toFixed(2)} CPU-s)`,
    );
  }
  for (const step of ['create', 'recheck']) {
    // CPU per byte, which other processes' load does not change: what the cores could reach.
    const perCpuSecond = SIZE / figures.v2[`${step}Cpu`];
    console.log(
      `v2 ${step}: ${rate(perCpuSecond)} per CPU-second = ${(perCpuSecond / anchor).toFixed(2)}x openssl per core; on ${availableParallelism()} idle cores at most ${((perCpuSecond * availableParallelism()) / anchor).toFixed(2)}x (for context, not the target)`,
    );
    const ratio = figures.v2[step] / anchor;
    console.log(
      `RATIO v2 ${step} 1 GiB: ours ${rate(figures.v2[step])} vs openssl sha256 single-core ${rate(anchor)} = ${ratio.toFixed(2)}x (target >= ${TARGET}x) ${ratio >= TARGET ? 'PASS' : 'FAIL'}`,
    );
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
