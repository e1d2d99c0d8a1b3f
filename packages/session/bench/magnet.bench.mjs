// Magnet speed (BEP 9 over BEP 5): from a magnet link alone, the time to the complete metadata
// and to the whole file (256 MiB, 1 MiB pieces), our client vs a libtorrent leecher, both given
// the same magnet and the same libtorrent seeder in the same run. Two ways to find the seeder:
// a loopback DHT of libtorrent nodes (the magnet has only the info-hash), and `x.pe` (the magnet
// names the seeder; no DHT). A fresh seeder and DHT per leecher run, leechers interleaved, the
// median of BENCH_RUNS (default 3) counts. Target: ours <= 1.0x libtorrent's time on both.
// BENCH_QUICK=1 shrinks the payload to 64 MiB; BENCH_SIZE_MB sets it; BENCH_MODES=dht,xpe picks
// the ways; BENCH_NODES the DHT's size (default 8).
// Needs `pnpm build` first, mktorrent and /usr/bin/python3 with libtorrent (Debian
// python3-libtorrent); the libtorrent side is test/libtorrent-magnet.py (TCP, plaintext out).
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, MiB, preparePayload, ratio, sha1, start } from './bench-helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, '..', 'test', 'libtorrent-magnet.py');
const quick = process.env.BENCH_QUICK === '1';
const size = Number(process.env.BENCH_SIZE_MB ?? (quick ? 64 : 256)) * MiB;
const runs = Number(process.env.BENCH_RUNS ?? 3);
const modes = process.env.BENCH_MODES?.split(',') ?? ['dht', 'xpe'];
const nodeCount = Number(process.env.BENCH_NODES ?? 8);

// no tracker: the magnet's peers come from the DHT or x.pe only
const { work, seedDir, torrentFile, expected } = await preparePayload('bt-bench-magnet-', size);
const { parseTorrent } = await import('@bt/metainfo');
const { infoHashHex } = parseTorrent(new Uint8Array(await readFile(torrentFile)));

/** The JSON line of a child's output that starts with `{"key"`, once it is there. */
async function jsonLine(child, key) {
  const pattern = new RegExp(`^\\{"${key}".*$`, 'm');
  await child.waitFor(pattern);
  return JSON.parse(pattern.exec(child.output())[0]);
}

// Each run gets its own loopback block (127.<block>.x.1), so no DHT remembers an earlier run.
let block = 60;

async function startSeeder(mode) {
  const dht = mode === 'dht';
  const seeder = start('/usr/bin/python3', [
    script,
    'seed',
    torrentFile,
    seedDir,
    String(block),
    String(dht ? nodeCount : 0),
    dht ? '1' : '0',
  ]);
  const ready = await jsonLine(seeder, 'nodes');
  return { ...seeder, ...ready, block: block++ };
}

function magnetFor(mode, seeder) {
  const base = `magnet:?xt=urn:btih:${infoHashHex}&dn=payload.bin`;
  return mode === 'dht' ? base : `${base}&x.pe=${seeder.seeder.host}:${seeder.seeder.port}`;
}

const leechers = {
  ours: (mode, seeder, dir) => [
    'node',
    [
      join(here, 'magnet-leech-ours.mjs'),
      magnetFor(mode, seeder),
      dir,
      `127.${seeder.block}.201.1`,
      ...seeder.nodes.map((node) => `${node.host}:${node.port}`),
    ],
  ],
  libtorrent: (mode, seeder, dir) => [
    '/usr/bin/python3',
    [
      script,
      'leech',
      magnetFor(mode, seeder),
      dir,
      String(seeder.block),
      ...seeder.nodes.map((node) => `${node.host}:${node.port}`),
    ],
  ],
};

async function measure(name, mode) {
  const seeder = await startSeeder(mode);
  const dir = join(work, `leech-${name}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  const [command, args] = leechers[name](mode, seeder, dir);
  const tick = process.env.BENCH_LT_TICK_MS;
  const leecher = start(command, args, tick ? { env: { ...process.env, LT_TICK_MS: tick } } : {});
  try {
    const { metadata } = await jsonLine(leecher, 'metadata');
    const { finished } = await jsonLine(leecher, 'finished');
    const digest = await sha1(join(dir, 'payload.bin'));
    if (digest !== expected) throw new Error(`${name} downloaded corrupt data`);
    return { metadata, finished };
  } finally {
    await leecher.stop();
    await seeder.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `magnet: ${size / MiB} MiB, 1 MiB pieces, one libtorrent seeder on loopback TCP (fresh per run), ` +
    `${runs} runs (median), libtorrent leecher tick ${process.env.BENCH_LT_TICK_MS ?? 500} ms; dht = ${nodeCount} libtorrent DHT nodes and the info-hash only, xpe = the seeder in x.pe`,
);
const results = {};
for (const mode of modes) {
  const byLeecher = (results[mode] = {});
  for (let run = 0; run < runs; run++) {
    for (const name of Object.keys(leechers)) {
      const r = await measure(name, mode);
      (byLeecher[name] ??= []).push(r);
      console.log(
        `  ${mode} ${name.padEnd(10)} run ${run + 1}: metadata ${r.metadata.toFixed(2)} s, ` +
          `file ${r.finished.toFixed(2)} s (${(size / MiB / r.finished).toFixed(0)} MiB/s)`,
      );
    }
  }
}
for (const mode of modes) {
  const pick = (name, key) => {
    const values = results[mode][name]?.map((r) => r[key]);
    return values?.length ? median(values) : undefined;
  };
  ratio(
    `magnet ${mode} time to metadata (s)`,
    pick('ours', 'metadata'),
    pick('libtorrent', 'metadata'),
    1.0,
    false,
  );
  ratio(
    `magnet ${mode} time to the ${size / MiB} MiB file (s)`,
    pick('ours', 'finished'),
    pick('libtorrent', 'finished'),
    1.0,
    false,
  );
}
await rm(work, { recursive: true, force: true });
