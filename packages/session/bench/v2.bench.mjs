// BEP 52 download speed: our client downloads the same 1 GiB payload (1 MiB pieces, loopback
// TCP) from a fresh libtorrent seeder (Debian python3-libtorrent 2.0), once as a v1 torrent and
// once as a v2-only torrent, three times each, interleaved; the medians are compared. v2 pieces
// are checked with SHA-256 merkle roots of 16 KiB blocks instead of one SHA-1.
// Target (issue 17): v2 >= 0.9x our v1 download of the same payload from the same seeder.
// BENCH_QUICK=1: 64 MiB; BENCH_RUNS sets the repeats. Needs `pnpm build` first.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTorrent } from '@bt/metainfo/node';
import {
  cpuSeconds,
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
const size = (quick ? 64 : 1024) * MiB;
const runs = Number(process.env.BENCH_RUNS ?? 3);

const work = await mkdtemp(join(tmpdir(), 'bt-bench-v2-'));
removeOnInterrupt(work);
try {
  const seedDir = join(work, 'seed');
  await mkdir(seedDir);
  const payload = join(seedDir, 'payload.bin');
  await writeRandomFile(payload, size);
  const expected = await sha1(payload);
  const torrents = {};
  for (const version of ['v1', 'v2']) {
    const { torrent } = await createTorrent(payload, {
      version,
      pieceLength: MiB,
      creationDate: null,
    });
    torrents[version] = join(work, `${version}.torrent`);
    await writeFile(torrents[version], torrent);
  }
  console.log(
    `payload ${size / MiB} MiB, 1 MiB pieces, loopback TCP, a fresh libtorrent seeder per run, ${runs} runs (median)`,
  );

  const results = { v1: [], v2: [] };
  for (let round = 0; round < runs; round++) {
    for (const version of ['v1', 'v2']) {
      const port = await freePort();
      const seeder = start('/usr/bin/python3', [
        join(here, 'libtorrent-peer.py'),
        'seed',
        torrents[version],
        seedDir,
        String(port),
      ]);
      await seeder.waitFor(/listening \d+/);
      const leechDir = join(work, `leech-${version}`);
      await rm(leechDir, { recursive: true, force: true });
      await mkdir(leechDir);
      const leecher = start(process.execPath, [
        join(here, 'leech-ours.mjs'),
        torrents[version],
        leechDir,
        `127.0.0.1:${port}`,
      ]);
      let cpu = 0;
      const sampler = setInterval(() => {
        cpuSeconds(leecher.child.pid).then(
          (value) => (cpu = value),
          () => {},
        );
      }, 200);
      const code = await leecher.exited;
      clearInterval(sampler);
      leecher.forget();
      await seeder.stop();
      if (code !== 0)
        throw new Error(
          `our ${version} leecher exited with ${code}: ${leecher.output().slice(-2000)}`,
        );
      const { seconds } = JSON.parse(leecher.output().trim().split('\n').at(-1));
      if ((await sha1(join(leechDir, 'payload.bin'))) !== expected) {
        throw new Error(`the ${version} download differs from the payload`);
      }
      results[version].push(seconds);
      console.log(
        `${version}  ${(size / seconds / 1e6).toFixed(1).padStart(7)} MB/s  ${seconds.toFixed(2)} s  ~${cpu.toFixed(2)} CPU-s`,
      );
    }
  }
  const throughput = (version) => size / median(results[version]) / 1e6;
  ratio(
    'v2 download vs our v1 download of the same payload, from libtorrent (median MB/s)',
    throughput('v2'),
    throughput('v1'),
    0.9,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
