// Upload throughput and seeder CPU: one torrent (1 GiB, 1 MiB pieces) over loopback TCP, served
// in turn by our seeder, libtorrent's (Debian python3-libtorrent 2.0) and aria2c's, each to a
// fresh libtorrent leecher and then to a fresh aria2c leecher; then our seeder and libtorrent's
// to 20 libtorrent leechers at once. Throughput is the leecher's wall clock from its start to the
// whole torrent verified; seeder CPU is the seeder process's user+system time over that window
// (from /proc, so start-up is not counted).
// BENCH_QUICK=1 shrinks the payload to 64 MiB; BENCH_SIZE_MB and BENCH_SWARM set it by hand;
// BENCH_ONLY=ours,libtorrent,aria2,swarm picks seeders.
// Needs `pnpm build` first, aria2c, mktorrent and /usr/bin/python3 with libtorrent.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { HttpTrackerServer } from '@bt/tracker-server/node';
import {
  cpuSeconds,
  freePort,
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
const swarmLeechers = Number(process.env.BENCH_SWARM ?? (quick ? 5 : 20));
const swarmSize = Number(process.env.BENCH_SWARM_SIZE_MB ?? (quick ? 16 : 128)) * MiB;
const only = process.env.BENCH_ONLY?.split(',');
const python = '/usr/bin/python3';

const work = await mkdtemp(join(tmpdir(), 'bt-bench-'));
removeOnInterrupt(work);

async function makePayload(name, bytes) {
  const folder = join(work, `seed-${name}`);
  await mkdir(folder);
  const path = join(folder, 'payload.bin');
  await writeRandomFile(path, bytes);
  const torrent = join(work, `${name}.torrent`);
  execFileSync('mktorrent', ['-l', '20', '-a', announce, '-o', torrent, path], { stdio: 'ignore' });
  return { folder, path, torrent, bytes, digest: await sha1(path) };
}

const tracker = new HttpTrackerServer({ interval: 5, minInterval: 1 });
const trackerAddress = await tracker.listen({ port: 0, host: '127.0.0.1' });
const announce = `http://127.0.0.1:${trackerAddress.port}/announce`;
const main = await makePayload('main', size);
const swarm = await makePayload('swarm', swarmSize);

const seeders = {
  ours: (payload, port) =>
    start('node', [join(here, 'seed-ours.mjs'), payload.torrent, payload.folder, String(port)]),
  libtorrent: (payload, port) =>
    start(python, [
      join(here, 'libtorrent-peer.py'),
      'seed',
      payload.torrent,
      payload.folder,
      String(port),
    ]),
  aria2: (payload, port) =>
    start('aria2c', [
      '--seed-ratio=0.0',
      '--check-integrity=false',
      '--bt-seed-unverified=true',
      `--dir=${payload.folder}`,
      `--listen-port=${port}`,
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--disable-ipv6=true',
      '--console-log-level=notice',
      '--summary-interval=0',
      '--bt-max-peers=0',
      payload.torrent,
    ]),
};
const ready = {
  ours: /listening \d+/,
  libtorrent: /listening \d+/,
  aria2: /IPv4 BitTorrent: listening on TCP port \d+/,
};

const leechers = {
  libtorrent: (payload, folder, port, count = 1) =>
    start(python, [
      join(here, 'libtorrent-peer.py'),
      'leech',
      payload.torrent,
      folder,
      String(count),
      `127.0.0.1:${port}`,
    ]),
  // aria2c finds the seeder through the tracker (it has no way to be handed a peer)
  aria2: (payload, folder) =>
    start('aria2c', [
      '--seed-time=0',
      `--dir=${folder}`,
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--disable-ipv6=true',
      '--file-allocation=none',
      '--console-log-level=warn',
      '--summary-interval=0',
      `--listen-port=${50000 + Math.floor(Math.random() * 10000)}`,
      payload.torrent,
    ]),
};

/** One seeder serving one leecher kind (or `count` leechers at once); figures of that run. */
async function run(seederName, leecherName, payload, count = 1) {
  const port = await freePort();
  const seeder = seeders[seederName](payload, port);
  const folder = join(work, `leech-${seederName}-${leecherName}`);
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  try {
    await seeder.waitFor(ready[seederName]);
    if (leecherName === 'aria2') {
      // the leecher finds the seeder through the tracker: wait until the seeder is registered
      await waitForAnnounce(payload);
    }
    const cpuBefore = await cpuSeconds(seeder.child.pid);
    const started = performance.now();
    const leecher = leechers[leecherName](payload, folder, port, count);
    const code = await leecher.exited;
    const seconds = (performance.now() - started) / 1000;
    const cpu = (await cpuSeconds(seeder.child.pid)) - cpuBefore;
    leecher.forget();
    if (code !== 0)
      throw new Error(`leecher exited with ${code}: ${leecher.output().slice(-2000)}`);
    for (let index = 0; index < count; index++) {
      const digest = await sha1(
        join(count === 1 ? folder : join(folder, String(index)), 'payload.bin'),
      );
      if (digest !== payload.digest) throw new Error(`leecher ${index} has corrupt data`);
    }
    const total = payload.bytes * count;
    return { seconds, cpu, mbps: total / MiB / seconds, cpuPerGiB: (cpu * 1024 * MiB) / total };
  } finally {
    await seeder.stop();
    await rm(folder, { recursive: true, force: true });
  }
}

/** Resolves once the tracker counts a seeder of the payload (the only one: one seeder per run). */
async function waitForAnnounce(payload) {
  const { parseTorrent } = await import('@bt/metainfo');
  const { infoHash } = parseTorrent(new Uint8Array(await readFile(payload.torrent)));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const [counts] = tracker.registry.scrape([infoHash]);
    if ((counts?.complete ?? 0) >= 1) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the seeder never announced');
}

function line(label, r) {
  console.log(
    `${label.padEnd(28)} ${r.mbps.toFixed(1).padStart(7)} MB/s  ${r.seconds.toFixed(2).padStart(6)} s  seeder ${r.cpu.toFixed(2).padStart(5)} CPU-s  ${r.cpuPerGiB.toFixed(2).padStart(5)} CPU-s/GiB`,
  );
}

console.log(`seeding ${size / MiB} MiB, 1 MiB pieces, loopback TCP, one fresh seeder per leecher`);
const results = {};
for (const leecherName of ['libtorrent', 'aria2']) {
  for (const seederName of ['ours', 'libtorrent', 'aria2']) {
    if (only && !only.includes(seederName)) continue;
    const key = `${seederName}->${leecherName}`;
    try {
      results[key] = await run(seederName, leecherName, main);
      line(`${seederName} seeder -> ${leecherName}`, results[key]);
    } catch (error) {
      console.log(`${key.padEnd(28)} FAILED: ${error.message}`);
    }
  }
}
for (const leecherName of ['libtorrent', 'aria2']) {
  const ours = results[`ours->${leecherName}`];
  const theirs = results[`libtorrent->${leecherName}`];
  ratio(`seeding to ${leecherName} vs libtorrent's seeder (MB/s)`, ours?.mbps, theirs?.mbps, 1.0);
  ratio(
    `seeder CPU-s to ${leecherName} vs libtorrent's seeder`,
    ours?.cpu,
    theirs?.cpu,
    1.2,
    false,
  );
}

if (!only || only.includes('swarm')) {
  const swarmResults = {};
  for (const seederName of ['ours', 'libtorrent']) {
    try {
      const one = await run(seederName, 'libtorrent', swarm, 1);
      line(`${seederName} -> 1 leecher (${swarmSize / MiB} MiB)`, one);
      const many = await run(seederName, 'libtorrent', swarm, swarmLeechers);
      line(`${seederName} -> ${swarmLeechers} leechers`, many);
      swarmResults[seederName] = { one, many };
    } catch (error) {
      console.log(`${seederName} swarm run FAILED: ${error.message}`);
    }
  }
  const ours = swarmResults.ours;
  ratio(
    `our total to ${swarmLeechers} leechers vs to 1 (MB/s)`,
    ours?.many.mbps,
    ours?.one.mbps,
    1.0,
  );
  ratio(
    `our total to ${swarmLeechers} leechers vs libtorrent's (MB/s)`,
    ours?.many.mbps,
    swarmResults.libtorrent?.many.mbps,
    1.0,
  );
}

await Promise.race([tracker.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
await rm(work, { recursive: true, force: true });
process.exit(0);
