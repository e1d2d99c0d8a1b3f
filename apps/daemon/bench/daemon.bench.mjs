// btd against transmission-daemon (Debian), side by side in one run, with the same N small
// torrents (default 1,000, 16 KiB each, data present, trackerless) loaded in each and seeding:
// - `torrent-get` of all of them with the 28 fields Transmission's web client polls: median
//   latency of 30 calls (target <= 0.5x transmission-daemon's), and calls per second with 4 in
//   flight;
// - restart: from spawning the daemon until its RPC answers and every torrent seeds, with its
//   resume data (target <= 1.0x);
// - RSS of the idle daemon after the restart (target: btd under 100 MB), beside Transmission's.
// Run it under the shared lock: `flock /work/coord/bench.lock pnpm --filter @bt/daemon bench`.
// BENCH_TORRENTS=100 for a quick run.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHashPool, createTorrent } from '@bt/metainfo/node';
import { freePort, median, ratio, removeOnInterrupt, start } from '@bt/test-support/bench';
import { rpcClient } from './rpc-client.mjs';

const COUNT = Number(process.env.BENCH_TORRENTS ?? 1000);
const CALLS = 30;
const PIECE = 16 * 1024;
const BTD = join(import.meta.dirname, '..', 'dist', 'btd.js');
const WEB_CLIENT_FIELDS = [
  'id',
  'addedDate',
  'name',
  'totalSize',
  'error',
  'errorString',
  'eta',
  'isFinished',
  'isStalled',
  'leftUntilDone',
  'metadataPercentComplete',
  'peersConnected',
  'peersGettingFromUs',
  'peersSendingToUs',
  'percentDone',
  'queuePosition',
  'rateDownload',
  'rateUpload',
  'recheckProgress',
  'seedRatioMode',
  'seedRatioLimit',
  'sizeWhenDone',
  'status',
  'trackers',
  'downloadDir',
  'uploadedEver',
  'uploadRatio',
  'webseedsSendingToUs',
];
const SEEDING = 6;

async function makeTorrents(root) {
  const data = join(root, 'data');
  const torrents = join(root, 'torrents');
  await mkdir(data, { recursive: true });
  await mkdir(torrents, { recursive: true });
  const pool = createHashPool({ size: 1 });
  const files = [];
  try {
    for (let index = 0; index < COUNT; index++) {
      const name = `payload-${String(index).padStart(4, '0')}.bin`;
      const source = join(data, name);
      const bytes = Buffer.alloc(PIECE);
      bytes.write(`bt daemon bench ${index} `.repeat(700));
      await writeFile(source, bytes);
      const { torrent } = await createTorrent(source, {
        pieceLength: PIECE,
        hashPool: pool,
        creationDate: null,
      });
      const file = join(torrents, `${name}.torrent`);
      await writeFile(file, torrent);
      files.push(file);
    }
  } finally {
    await pool.close();
  }
  return { data, files };
}

/** Polls until the RPC answers and all COUNT torrents seed; resolves with the time taken. */
async function untilAllSeed(call, since) {
  for (;;) {
    try {
      const { torrents } = await call('torrent-get', { fields: ['id', 'status'] });
      if (torrents.length === COUNT && torrents.every((t) => t.status === SEEDING))
        return performance.now() - since;
    } catch {
      // not answering yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rssMiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

const daemons = {
  btd: {
    spawn: (config, rpcPort, peerPort, data) =>
      start(process.execPath, [
        BTD,
        '-f',
        '-g',
        config,
        '-p',
        String(rpcPort),
        '-P',
        String(peerPort),
        '-w',
        data,
        '--log-level',
        'error',
      ]),
  },
  'transmission-daemon': {
    spawn: (config, rpcPort, peerPort, data) =>
      start('transmission-daemon', [
        '-f',
        '-g',
        config,
        '-p',
        String(rpcPort),
        '-P',
        String(peerPort),
        '-w',
        data,
        '-T',
        '--no-portmap',
        '--no-dht',
        '--log-error',
      ]),
  },
};

async function measure(name, root, corpus) {
  const daemon = daemons[name];
  const config = join(root, `config-${name}`);
  await mkdir(config, { recursive: true });
  // the same switches for both: no DHT, LPD, PEX, uTP or port mapping; nothing queued
  await writeFile(
    join(config, 'settings.json'),
    JSON.stringify({
      'dht-enabled': false,
      'lpd-enabled': false,
      'pex-enabled': false,
      'utp-enabled': false,
      'port-forwarding-enabled': false,
      'rpc-authentication-required': false,
      'rpc-whitelist-enabled': false,
      'seed-queue-enabled': false,
      'download-queue-enabled': false,
      'ratio-limit-enabled': false,
      'idle-seeding-limit-enabled': false,
      'message-level': 1,
    }),
  );
  const rpcPort = await freePort();
  const peerPort = await freePort();
  let running = daemon.spawn(config, rpcPort, peerPort, corpus.data);
  let call = rpcClient(rpcPort);
  await untilAnswers(call);
  const loadStart = performance.now();
  for (const file of corpus.files)
    await call('torrent-add', {
      metainfo: (await readFile(file)).toString('base64'),
      'download-dir': corpus.data,
    });
  const firstLoad = await untilAllSeed(call, loadStart);

  await call('torrent-get', { fields: WEB_CLIENT_FIELDS }); // warm
  const latencies = [];
  for (let run = 0; run < CALLS; run++) {
    const begin = performance.now();
    const { torrents } = await call('torrent-get', { fields: WEB_CLIENT_FIELDS });
    latencies.push(performance.now() - begin);
    if (torrents.length !== COUNT) throw new Error(`${name}: ${torrents.length} torrents`);
  }
  const concurrentBegin = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (done < CALLS) {
        done++;
        await call('torrent-get', { fields: WEB_CLIENT_FIELDS });
      }
    }),
  );
  const perSecond = (done / (performance.now() - concurrentBegin)) * 1000;

  await running.stop(); // SIGTERM: a clean stop that writes the resume data
  const restartBegin = performance.now();
  running = daemon.spawn(config, rpcPort, peerPort, corpus.data);
  call = rpcClient(rpcPort);
  const restart = await untilAllSeed(call, restartBegin);
  // idle: let start-up garbage settle, then read the resident set
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const rss = await rssMiB(running.child.pid);
  await running.stop();
  const figures = { firstLoad, latency: median(latencies), perSecond, restart, rss };
  console.log(
    `${name.padEnd(19)} load ${(firstLoad / 1000).toFixed(2)} s, torrent-get ${figures.latency.toFixed(1)} ms (median of ${CALLS}), ${perSecond.toFixed(1)} calls/s with 4 in flight, restart until all seed ${(restart / 1000).toFixed(2)} s, idle RSS ${rss.toFixed(1)} MiB`,
  );
  return figures;
}

async function untilAnswers(call) {
  for (;;) {
    try {
      await call('session-get');
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

const root = await mkdtemp(join(tmpdir(), 'btd-bench-'));
removeOnInterrupt(root);
try {
  // transmission-daemon prints its version on stderr
  const version = execFileSync('sh', ['-c', 'transmission-daemon --version 2>&1'], {
    encoding: 'utf8',
  }).trim();
  console.log(
    `btd vs ${version}: ${COUNT} torrents of ${PIECE / 1024} KiB, seeding; load ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  const corpus = await makeTorrents(root);
  const anchor = await measure('transmission-daemon', root, corpus);
  const ours = await measure('btd', root, corpus);
  ratio(`btd torrent-get latency, ${COUNT} torrents`, ours.latency, anchor.latency, 0.5, false);
  ratio(`btd torrent-get calls/s, ${COUNT} torrents`, ours.perSecond, anchor.perSecond, 2);
  ratio(`btd restart until all seed, ${COUNT} torrents`, ours.restart, anchor.restart, 1, false);
  console.log(
    `RSS btd idle with ${COUNT} torrents: ${ours.rss.toFixed(1)} MiB (target < 100 MB) ${ours.rss * 1.048576 < 100 ? 'PASS' : 'FAIL'}; transmission-daemon ${anchor.rss.toFixed(1)} MiB`,
  );
  console.log(
    `load after: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
