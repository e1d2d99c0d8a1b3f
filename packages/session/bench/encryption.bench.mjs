// MSE/PE download speed (issue 15): our client downloads the same 1 GiB payload (1 MiB pieces,
// loopback TCP) from a fresh libtorrent seeder (Debian python3-libtorrent 2.0), in plaintext
// (seeder with encryption disabled) and RC4-encrypted (seeder with encryption forced, RC4 only),
// and libtorrent's own leecher does the same encrypted download as the anchor; each three times,
// interleaved; medians compared. Also prints the MB/s of our RC4 alone.
// Targets: encrypted >= 0.8x our plaintext; encrypted >= 1.0x libtorrent's encrypted leecher.
// BENCH_QUICK=1: 64 MiB; BENCH_RUNS sets the repeats. Needs `pnpm build` first.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTorrent } from '@bt/metainfo/node';
import { Rc4 } from '@bt/mse';
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
const python = '/usr/bin/python3';

function rc4Throughput() {
  const block = new Uint8Array(16 * 1024);
  const rc4 = new Rc4(new Uint8Array(20).fill(1));
  const total = 256 * MiB;
  rc4.process(new Uint8Array(MiB)); // warm up
  const started = performance.now();
  for (let done = 0; done < total; done += block.length) rc4.process(block);
  return total / ((performance.now() - started) / 1000) / 1e6;
}

const kinds = {
  plaintext: { seeder: 'disabled', leecher: 'ours', encryption: 'allow' },
  encrypted: { seeder: 'forced', leecher: 'ours', encryption: 'require' },
  'libtorrent encrypted': { seeder: 'forced', leecher: 'libtorrent' },
};

const work = await mkdtemp(join(tmpdir(), 'bt-bench-mse-'));
removeOnInterrupt(work);
try {
  const seedDir = join(work, 'seed');
  await mkdir(seedDir);
  const payload = join(seedDir, 'payload.bin');
  await writeRandomFile(payload, size);
  const expected = await sha1(payload);
  const { torrent } = await createTorrent(payload, { pieceLength: MiB, creationDate: null });
  const torrentPath = join(work, 'payload.torrent');
  await writeFile(torrentPath, torrent);
  console.log(
    `payload ${size / MiB} MiB, 1 MiB pieces, loopback TCP, a fresh libtorrent seeder per run, ${runs} runs (median)`,
  );
  console.log(`rc4 alone: ${rc4Throughput().toFixed(0)} MB/s (16 KiB blocks, one core)`);

  const results = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, []]));
  for (let round = 0; round < runs; round++) {
    for (const [kind, setup] of Object.entries(kinds)) {
      const port = await freePort();
      const seeder = start(python, [
        join(here, 'mse-libtorrent.py'),
        'seed',
        torrentPath,
        seedDir,
        String(port),
        setup.seeder,
      ]);
      await seeder.waitFor(/listening \d+/);
      const seederCpuBefore = await cpuSeconds(seeder.child.pid);
      const leechDir = join(work, 'leech');
      await rm(leechDir, { recursive: true, force: true });
      await mkdir(leechDir);
      const leecher =
        setup.leecher === 'ours'
          ? start(
              process.execPath,
              [join(here, 'leech-ours.mjs'), torrentPath, leechDir, `127.0.0.1:${port}`],
              { env: { ...process.env, BT_ENCRYPTION: setup.encryption } },
            )
          : start(python, [
              join(here, 'mse-libtorrent.py'),
              'leech',
              torrentPath,
              leechDir,
              `127.0.0.1:${port}`,
              'forced',
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
      // The seeder's share: with RC4 forced, libtorrent's own encryption is the cap.
      const seederCpu = (await cpuSeconds(seeder.child.pid)) - seederCpuBefore;
      await seeder.stop();
      if (code !== 0)
        throw new Error(
          `the ${kind} leecher exited with ${code}: ${leecher.output().slice(-2000)}`,
        );
      const { seconds } = JSON.parse(leecher.output().trim().split('\n').at(-1));
      if ((await sha1(join(leechDir, 'payload.bin'))) !== expected)
        throw new Error(`the ${kind} download differs from the payload`);
      results[kind].push(seconds);
      console.log(
        `${kind.padEnd(21)} ${(size / seconds / 1e6).toFixed(1).padStart(7)} MB/s  ${seconds.toFixed(2)} s  leecher ~${cpu.toFixed(2)} CPU-s, seeder ${seederCpu.toFixed(2)} CPU-s`,
      );
    }
  }
  const throughput = (kind) => size / median(results[kind]) / 1e6;
  ratio(
    'RC4 download vs our plaintext download, from libtorrent (median MB/s)',
    throughput('encrypted'),
    throughput('plaintext'),
    0.8,
  );
  ratio(
    "RC4 download vs libtorrent's own RC4 leecher, same seeder (median MB/s)",
    throughput('encrypted'),
    throughput('libtorrent encrypted'),
    1.0,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
