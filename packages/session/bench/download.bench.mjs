// Download throughput, CPU and memory: one torrent (1 GiB, 1 MiB pieces) over loopback TCP. Two
// seeders in turn, aria2c and libtorrent (Debian python3-libtorrent 2.0), each started fresh for
// every leecher; the leechers are our client, libtorrent, aria2c, WebTorrent (npm) and
// Transmission. Every leecher but Transmission runs three times per seeder (interleaved, so a
// noisy minute hurts all alike) and the median counts; Transmission runs once, from aria2. Then our client from 20 aria2c seeders.
// BENCH_QUICK=1 shrinks the payload to 64 MiB (and the swarm run to 5 seeders); BENCH_RUNS sets
// the repeats; BENCH_ONLY=ours,libtorrent,aria2,webtorrent,transmission,swarm picks leechers;
// BENCH_SEEDERS=aria2,libtorrent picks seeders.
// Needs `pnpm build` first, aria2c, mktorrent, transmission-cli and /usr/bin/python3 with
// libtorrent.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpTrackerServer } from '@bt/tracker-server/node';
import {
  freePort,
  median,
  MiB,
  ratio,
  removeOnInterrupt,
  sha1,
  start,
  writeRandomFile,
} from './bench-helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const size = Number(process.env.BENCH_SIZE_MB ?? (quick ? 64 : 1024)) * MiB;
const swarmSeeders = Number(process.env.BENCH_SWARM ?? (quick ? 5 : 20));
const only = process.env.BENCH_ONLY?.split(',');
const seederKinds = process.env.BENCH_SEEDERS?.split(',') ?? ['aria2', 'libtorrent'];
const runs = Number(process.env.BENCH_RUNS ?? 3);

const work = await mkdtemp(join(tmpdir(), 'bt-bench-'));
removeOnInterrupt(work);

async function waitForPort(port, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// The payload and its torrent -----------------------------------------------------------------
const seedDir = join(work, 'seed');
await mkdir(seedDir);
const payload = join(seedDir, 'payload.bin');
await writeRandomFile(payload, size);
const tracker = new HttpTrackerServer({ interval: 5, minInterval: 1 });
const trackerAddress = await tracker.listen({ port: 0, host: '127.0.0.1' });
const announce = `http://127.0.0.1:${trackerAddress.port}/announce`;
const torrentFile = join(work, 'payload.torrent');
execFileSync('mktorrent', ['-l', '20', '-a', announce, '-o', torrentFile, payload], {
  stdio: 'ignore',
});
const expected = await sha1(payload);
const { parseTorrent } = await import('@bt/metainfo');
const { infoHash } = parseTorrent(new Uint8Array(await readFile(torrentFile)));

async function startSeeder(kind = 'aria2', announceToTracker = true) {
  const port = await freePort();
  if (kind === 'libtorrent') {
    // it checks the data first and says 'listening' once seeding (and announced)
    const seeder = start('/usr/bin/python3', [
      join(here, 'libtorrent-peer.py'),
      'seed',
      torrentFile,
      seedDir,
      String(port),
    ]);
    await seeder.waitFor(/listening \d+/);
    return { ...seeder, port };
  }
  const seeder = start('aria2c', [
    '--seed-ratio=0.0',
    '--check-integrity=false',
    '--bt-seed-unverified=true',
    `--dir=${seedDir}`,
    `--listen-port=${port}`,
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--disable-ipv6=true',
    '--console-log-level=warn',
    '--summary-interval=0',
    '--bt-max-peers=0',
    ...(announceToTracker ? [] : ['--bt-exclude-tracker=*']),
    torrentFile,
  ]);
  await waitForPort(port);
  return { ...seeder, port };
}

/** Resolves once the tracker counts the (only) seeder, so tracker-driven leechers find it. */
async function waitForSeederAnnounce() {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const [counts] = tracker.registry.scrape([infoHash]);
    if ((counts?.complete ?? 0) >= 1) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the seeder never announced');
}

async function fileSize(path) {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Runs one leecher under GNU time; resolves with wall seconds, CPU seconds and peak RSS. */
async function measure(name, command, args, options = {}) {
  const leechDir = join(work, `leech-${name}`);
  await rm(leechDir, { recursive: true, force: true });
  await mkdir(leechDir);
  const timeFile = join(work, `time-${name}.txt`);
  const filled = args.map((arg) => arg.replaceAll('{dir}', leechDir));
  const started = performance.now();
  const run = start(
    '/usr/bin/time',
    ['-f', '%e %U %S %M', '-o', timeFile, command, ...filled],
    options,
  );
  let seconds;
  if (options.pollForCompletion) {
    // Transmission's CLI does not exit when done: wait for the verified file, then stop it
    const target = join(leechDir, 'payload.bin');
    const deadline = Date.now() + 600_000;
    for (;;) {
      if ((await readdir(leechDir)).includes('payload.bin') && (await fileSize(target)) === size) {
        if (/Seeding|100\.0%|State changed from "Incomplete" to "Complete"/.test(run.output()))
          break;
      }
      if (Date.now() > deadline) throw new Error(`${name} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    seconds = (performance.now() - started) / 1000;
    // stop the program under GNU time, not time itself, so time still writes its figures
    const { readFile: read } = await import('node:fs/promises');
    const kids = (await read(`/proc/${run.child.pid}/task/${run.child.pid}/children`, 'utf8'))
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    for (const kid of kids) process.kill(Number(kid), 'SIGTERM');
    await Promise.race([run.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await run.stop();
  } else {
    const code = await Promise.race([
      run.exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 900_000)),
    ]);
    seconds = (performance.now() - started) / 1000;
    if (code !== 0) {
      await run.stop();
      throw new Error(`${name} exited with ${code}: ${run.output().slice(-2000)}`);
    }
    run.forget();
  }
  const { readFile } = await import('node:fs/promises');
  const timeText = (await readFile(timeFile, 'utf8')).trim().split('\n').pop();
  const [, user, system, maxKb] = timeText.split(/\s+/).map(Number);
  const digest = await sha1(join(leechDir, 'payload.bin'));
  if (digest !== expected) throw new Error(`${name} downloaded corrupt data`);
  await rm(leechDir, { recursive: true, force: true });
  return { name, seconds, cpu: user + system, rssMb: maxKb / 1024, mbps: size / MiB / seconds };
}

const leechers = {
  ours: (seeder) => [
    'node',
    [join(here, 'leech-ours.mjs'), torrentFile, '{dir}', `127.0.0.1:${seeder.port}`],
  ],
  libtorrent: (seeder) => [
    '/usr/bin/python3',
    [
      join(here, 'libtorrent-peer.py'),
      'leech',
      torrentFile,
      '{dir}',
      '1',
      `127.0.0.1:${seeder.port}`,
    ],
  ],
  webtorrent: (seeder) => [
    'node',
    [join(here, 'leech-webtorrent.mjs'), torrentFile, '{dir}', `127.0.0.1:${seeder.port}`],
  ],
  aria2: () => [
    'aria2c',
    [
      '--seed-time=0',
      '--dir={dir}',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--disable-ipv6=true',
      '--file-allocation=none',
      '--console-log-level=warn',
      '--summary-interval=0',
      `--listen-port=${50000 + Math.floor(Math.random() * 10000)}`,
      torrentFile,
    ],
  ],
  transmission: () => [
    'transmission-cli',
    [
      '-g',
      join(work, 'transmission-config'),
      '-w',
      '{dir}',
      '-p',
      String(40000 + Math.floor(Math.random() * 10000)),
      '-ep',
      '-M',
      torrentFile,
    ],
    { pollForCompletion: true },
  ],
};

const perGiB = (r) => (r ? (r.cpu * 1024 * MiB) / size : undefined);
console.log(
  `payload ${size / MiB} MiB, 1 MiB pieces, loopback TCP, a fresh seeder per leecher run, ${runs} runs (median)`,
);
/** Per seeder kind, per leecher: every run's figures. */
const results = {};
for (const seederKind of seederKinds) {
  const byLeecher = (results[seederKind] = {});
  console.log(`-- from a${seederKind === 'aria2' ? 'n' : ''} ${seederKind} seeder`);
  for (let run = 0; run < runs; run++) {
    for (const [name, make] of Object.entries(leechers)) {
      if (only && !only.includes(name)) continue;
      // Transmission takes half a minute a run and is no anchor of a ratio: once, from aria2
      // (Transmission 3.00 crawls from a libtorrent 2.0 seeder: 0.2 MB/s here)
      if (name === 'transmission' && (run > 0 || seederKind !== 'aria2')) continue;
      const seeder = await startSeeder(seederKind, true);
      const [command, args, options] = make(seeder);
      try {
        // tracker-driven leechers find the seeder through the tracker
        if (name === 'aria2' || name === 'transmission') await waitForSeederAnnounce();
        const r = await measure(name, command, args, options);
        (byLeecher[name] ??= []).push(r);
        console.log(
          `${name.padEnd(12)} ${r.mbps.toFixed(1).padStart(7)} MB/s  ${r.seconds.toFixed(2).padStart(6)} s  ` +
            `${r.cpu.toFixed(2).padStart(6)} CPU-s  ${((r.cpu * 1024 * MiB) / size).toFixed(2).padStart(6)} CPU-s/GiB  ${r.rssMb.toFixed(0).padStart(4)} MB peak RSS`,
        );
      } catch (error) {
        console.log(`${name.padEnd(12)} FAILED: ${error.message}`);
      } finally {
        await seeder.stop();
      }
    }
  }
}

const medianOf = (seederKind, name, field) => {
  const list = results[seederKind]?.[name];
  return list?.length ? median(list.map((r) => r[field])) : undefined;
};
for (const seederKind of seederKinds) {
  const ours = medianOf(seederKind, 'ours', 'mbps');
  const natives = ['libtorrent', 'aria2']
    .map((name) => ({ name, mbps: medianOf(seederKind, name, 'mbps') }))
    .filter((entry) => entry.mbps !== undefined)
    .sort((a, b) => b.mbps - a.mbps);
  const fastest = natives[0];
  ratio(
    `${seederKind} seeder: median throughput vs the fastest native leecher (${fastest?.name ?? 'none'}) (MB/s)`,
    ours,
    fastest?.mbps,
    1.0,
  );
  ratio(
    `${seederKind} seeder: median throughput vs WebTorrent (MB/s)`,
    ours,
    medianOf(seederKind, 'webtorrent', 'mbps'),
    1.7,
  );
  const rss = results[seederKind]?.ours?.length
    ? Math.max(...results[seederKind].ours.map((r) => r.rssMb))
    : undefined;
  if (rss !== undefined) {
    console.log(
      `RATIO ${seederKind} seeder: peak RSS of ours ${rss.toFixed(0)} MB vs limit 200 MB = ${(rss / 200).toFixed(2)}x (target < 1x) ${rss < 200 ? 'PASS' : 'FAIL'}`,
    );
  }
}
const oursAria2 = results.aria2?.ours;
const aria2Aria2 = results.aria2?.aria2;
ratio(
  'CPU-s per GiB vs aria2 (median, aria2 seeder)',
  oursAria2?.length ? median(oursAria2.map(perGiB)) : undefined,
  aria2Aria2?.length ? median(aria2Aria2.map(perGiB)) : undefined,
  1.0,
  false,
);

// Many seeders at once ------------------------------------------------------------------------
if (!only || only.includes('swarm')) {
  const seeders = [];
  for (let index = 0; index < swarmSeeders; index++)
    seeders.push(await startSeeder('aria2', false));
  try {
    const result = await measure('ours-swarm', 'node', [
      join(here, 'leech-ours.mjs'),
      torrentFile,
      '{dir}',
      ...seeders.map((seeder) => `127.0.0.1:${seeder.port}`),
    ]);
    console.log(
      `ours from ${swarmSeeders} seeders: ${result.mbps.toFixed(1)} MB/s  ${result.cpu.toFixed(2)} CPU-s  ${result.rssMb.toFixed(0)} MB peak RSS`,
    );
    ratio(
      `throughput ${swarmSeeders} seeders vs 1 (median, aria2 seeders)`,
      result.mbps,
      medianOf('aria2', 'ours', 'mbps'),
      0.9,
    );
  } catch (error) {
    console.log(`swarm run FAILED: ${error.message}`);
  } finally {
    await Promise.all(seeders.map((seeder) => seeder.stop()));
  }
}

// the tracker may wait on clients' keep-alive connections: do not let that hold the run
await Promise.race([tracker.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
await rm(work, { recursive: true, force: true });
process.exit(0);
