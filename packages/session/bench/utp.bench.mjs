// uTP (BEP 29) download throughput and CPU, one run: a libtorrent seeder (python3-libtorrent
// 2.0) with TCP switched off serves one torrent (1 GiB, 1 MiB pieces) over loopback to our client
// on uTP and to libtorrent's own leecher on uTP, in turn; then one of our seeders (TCP and uTP)
// serves our client over TCP and over uTP. Prints MB/s, CPU seconds and CPU-s/GiB of each
// leecher and the RATIO lines: ours/libtorrent over uTP (target >= 1.0x), and our uTP/our TCP
// (target >= 0.5x).
// BENCH_QUICK=1 shrinks the payload to 64 MiB; BENCH_SIZE_MB sets it; BENCH_RUNS repeats each
// leecher (median counts; default 1). Needs `pnpm build`, mktorrent and /usr/bin/python3 with
// libtorrent. Test suites remove /tmp/bt-* when they end: run with TMPDIR elsewhere beside them.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MiB,
  freePort,
  median,
  ratio,
  removeOnInterrupt,
  sha1,
  start,
  writeRandomFile,
} from './bench-helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const size = Number(process.env.BENCH_SIZE_MB ?? (quick ? 64 : 1024)) * MiB;
const runs = Number(process.env.BENCH_RUNS ?? 1);
const GiB = 1024 * MiB;

const work = await mkdtemp(join(tmpdir(), 'bt-bench-utp-'));
removeOnInterrupt(work);
const seedDir = join(work, 'seed');
await mkdir(seedDir);
const payload = join(seedDir, 'payload.bin');
await writeRandomFile(payload, size);
const torrentFile = join(work, 'payload.torrent');
execFileSync('mktorrent', ['-l', '20', '-o', torrentFile, payload], { stdio: 'ignore' });
const expected = await sha1(payload);

/** Runs one leecher under GNU time: wall seconds, CPU seconds, MB/s; the file is checked. */
async function measure(name, command, args, env = {}) {
  const leechDir = join(work, `leech-${name}`);
  await rm(leechDir, { recursive: true, force: true });
  await mkdir(leechDir);
  const timeFile = join(work, `time-${name}.txt`);
  const started = performance.now();
  const run = start(
    '/usr/bin/time',
    [
      '-f',
      '%e %U %S %M',
      '-o',
      timeFile,
      command,
      ...args.map((arg) => arg.replaceAll('{dir}', leechDir)),
    ],
    { env: { ...process.env, ...env } },
  );
  const code = await Promise.race([
    run.exited,
    new Promise((resolve) => setTimeout(() => resolve('timeout'), 900_000)),
  ]);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    await run.stop();
    throw new Error(`${name} exited with ${code}: ${run.output().slice(-2000)}`);
  }
  run.forget();
  const [, user, system] = (await readFile(timeFile, 'utf8'))
    .trim()
    .split('\n')
    .pop()
    .split(/\s+/)
    .map(Number);
  if ((await sha1(join(leechDir, 'payload.bin'))) !== expected)
    throw new Error(`${name} downloaded corrupt data`);
  await rm(leechDir, { recursive: true, force: true });
  const cpu = user + system;
  return { name, seconds, cpu, mbps: size / 1e6 / seconds, cpuPerGiB: (cpu * GiB) / size };
}

function report(result) {
  console.log(
    `${result.name.padEnd(28)} ${result.mbps.toFixed(1).padStart(7)} MB/s  ${result.seconds.toFixed(1).padStart(6)} s  CPU ${result.cpu.toFixed(1).padStart(6)} s  ${result.cpuPerGiB.toFixed(1).padStart(6)} CPU-s/GiB`,
  );
}

async function best(name, command, args, env) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await measure(name, command, args, env));
  const middle = results.find((each) => each.mbps === median(results.map((r) => r.mbps)));
  report(middle);
  return middle;
}

console.log(`uTP bench: ${size / MiB} MiB, ${runs} run(s) per leecher, loopback`);

// 1. A libtorrent seeder on uTP only: our leecher, then libtorrent's ----------------------------
const ltPort = await freePort();
const ltSeeder = start(
  '/usr/bin/python3',
  [join(here, 'libtorrent-peer.py'), 'seed', torrentFile, seedDir, String(ltPort)],
  {
    env: { ...process.env, LT_UTP_ONLY: '1' },
  },
);
await ltSeeder.waitFor(/listening \d+/);
const oursUtp = await best(
  'ours <- libtorrent (uTP)',
  'node',
  [join(here, 'leech-ours.mjs'), torrentFile, '{dir}', `127.0.0.1:${ltPort}`],
  { BT_TRANSPORT: 'utp' },
);
const libtorrentUtp = await best(
  'libtorrent <- libtorrent (uTP)',
  '/usr/bin/python3',
  [join(here, 'libtorrent-peer.py'), 'leech', torrentFile, '{dir}', '1', `127.0.0.1:${ltPort}`],
  { LT_UTP_ONLY: '1' },
);
await ltSeeder.stop();

// 2. Our seeder on TCP and uTP: our leecher over each ------------------------------------------
const ourPort = await freePort();
const ourSeeder = start(
  'node',
  [join(here, 'seed-ours.mjs'), torrentFile, seedDir, String(ourPort)],
  {
    env: { ...process.env, BT_TRANSPORT: 'both' },
  },
);
await ourSeeder.waitFor(/listening \d+/);
const oursTcp = await best(
  'ours <- ours (TCP)',
  'node',
  [join(here, 'leech-ours.mjs'), torrentFile, '{dir}', `127.0.0.1:${ourPort}`],
  { BT_TRANSPORT: 'tcp' },
);
const oursOursUtp = await best(
  'ours <- ours (uTP)',
  'node',
  [join(here, 'leech-ours.mjs'), torrentFile, '{dir}', `127.0.0.1:${ourPort}`],
  { BT_TRANSPORT: 'utp' },
);
await ourSeeder.stop();

ratio(
  'uTP download from libtorrent, MB/s (ours / libtorrent leecher)',
  oursUtp.mbps,
  libtorrentUtp.mbps,
  1.0,
);
console.log(
  `uTP CPU-s/GiB: ours ${oursUtp.cpuPerGiB.toFixed(1)}, libtorrent's leecher ${libtorrentUtp.cpuPerGiB.toFixed(1)}`,
);
ratio('ours <- ours, MB/s (uTP / TCP)', oursOursUtp.mbps, oursTcp.mbps, 0.5);
await rm(work, { recursive: true, force: true });
process.exit(0);
