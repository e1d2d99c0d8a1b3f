// Bench: our HTTP tracker server against the npm `bittorrent-tracker` server (its HTTP
// endpoint only), each alone in a child process, driven one after the other by the same load
// generator (wrk, with announce.lua: compact announces from up to 100,000 distinct peers).
// Prints requests per second, the ratio (target: ours >= 2x), and each server's memory once
// every distinct peer has announced once (filled by a keep-alive Node client, not timed);
// then floods ours with 3x as many identities as its cap
// to show memory stays bounded. BENCH_QUICK=1 shrinks durations and counts.
import { execFileSync, fork } from 'node:child_process';
import { Agent, get } from 'node:http';
import { fileURLToPath } from 'node:url';

const quick = process.env.BENCH_QUICK === '1';
const DURATION = quick ? 2 : 8;
const ROUNDS = quick ? 1 : 3;
const DISTINCT = quick ? 10_000 : 100_000;
const TORRENTS = 50;
const CONNECTIONS = 32;
const here = fileURLToPath(new URL('.', import.meta.url));

async function serve(kind, maxPeers) {
  let count = () => 0;
  let port;
  if (kind === 'ours') {
    const { SwarmRegistry } = await import('../dist/index.js');
    const { HttpTrackerServer } = await import('../dist/node.js');
    const registry = new SwarmRegistry({
      maxPeers: maxPeers || undefined,
      maxPeersPerTorrent: 10_000,
    });
    const server = new HttpTrackerServer({ registry });
    port = (await server.listen({ port: 0, host: '127.0.0.1' })).port;
    count = () => registry.stats().peers;
  } else {
    const { Server } = await import('bittorrent-tracker');
    const server = new Server({
      http: true,
      udp: false,
      ws: false,
      stats: false,
      peersCacheLength: 10_000,
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = server.http.address().port;
    count = () =>
      Object.values(server.torrents).reduce((sum, swarm) => sum + swarm.peers.length, 0);
  }
  process.on('message', (message) => {
    if (message === 'memory') {
      globalThis.gc?.();
      const { heapUsed, rss } = process.memoryUsage();
      process.send({ heapUsed, rss, peers: count() });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ port });
}

function startServer(kind, maxPeers = 0) {
  const child = fork(fileURLToPath(import.meta.url), ['serve', kind, String(maxPeers)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  return {
    ready: next(),
    async memory() {
      const reply = next();
      child.send('memory');
      return reply;
    },
    stop() {
      child.kill();
    },
  };
}

/**
 * Makes peers `from` .. `from + count - 1` announce once each (the same identities announce.lua
 * uses), over keep-alive connections from this process: a fill, not a measurement.
 */
async function fill(port, from, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const hashes = Array.from({ length: TORRENTS }, (_, t) =>
    (t + 1).toString(16).padStart(40, '0').replace(/(..)/g, '%$1'),
  );
  let next = from;
  const worker = async () => {
    while (next < from + count) {
      const n = next++;
      const torrent = n % TORRENTS;
      const path =
        `/announce?info_hash=${hashes[torrent]}&peer_id=-WK0001-${String(n).padStart(12, '0')}` +
        `&port=${1024 + Math.floor(n / TORRENTS)}&uploaded=0&downloaded=0&left=${(Math.floor(n / TORRENTS) % 2) * 1000}&compact=1&event=started`;
      await new Promise((resolve, reject) => {
        get({ host: '127.0.0.1', port, path, agent }, (response) => {
          response.resume();
          response.on('end', resolve);
        }).on('error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();
}

function wrk(port, seconds, distinct) {
  const output = execFileSync(
    'wrk',
    [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      '-s',
      `${here}announce.lua`,
      `http://127.0.0.1:${port}/announce`,
    ],
    {
      env: { ...process.env, DISTINCT: String(distinct), TORRENTS: String(TORRENTS), THREADS: '1' },
      encoding: 'utf8',
    },
  );
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(output);
  if (errors) console.log(`  wrk reported: ${errors[0]}`);
  return rate;
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    if (error.code === 'ENOENT')
      throw new Error('wrk is missing: install it (bash scripts/install-peers)');
  }
  console.log(
    `HTTP tracker announce rate, wrk -t1 -c${CONNECTIONS}, ${ROUNDS} alternating rounds of ${DURATION}s, ${DISTINCT} distinct peers over ${TORRENTS} torrents, numwant 50 (default), compact`,
  );
  // Both servers up and filled: every distinct peer announced once; then memory is read.
  const servers = {
    ours: startServer('ours'),
    'bittorrent-tracker': startServer('bittorrent-tracker'),
  };
  const sides = {};
  for (const [kind, server] of Object.entries(servers)) {
    const { port } = await server.ready;
    await fill(port, 0, DISTINCT);
    sides[kind] = { port, memory: await server.memory(), rates: [] };
  }
  // Then the rate, all peers re-announcing in turn; rounds alternate so load elsewhere on the
  // machine hits both alike, and the median round counts.
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of Object.values(sides)) side.rates.push(wrk(side.port, DURATION, DISTINCT));
  }
  for (const server of Object.values(servers)) server.stop();
  for (const [kind, side] of Object.entries(sides)) {
    side.rate = median(side.rates);
    console.log(
      `${kind.padEnd(18)} ${side.rate.toFixed(0).padStart(8)} announces/s (rounds: ${side.rates.map((rate) => rate.toFixed(0)).join(', ')}); ` +
        `after ${DISTINCT} distinct announces: ${side.memory.peers} peers stored, heap ${mb(side.memory.heapUsed)}, rss ${mb(side.memory.rss)}`,
    );
  }
  const ours = sides.ours;
  const anchor = sides['bittorrent-tracker'];
  const ratio = ours.rate / anchor.rate;
  const perPeer = (side) => (side.memory.heapUsed / Math.max(1, side.memory.peers)).toFixed(0);
  console.log(
    `heap per stored peer: ours ${perPeer(ours)} B, bittorrent-tracker ${perPeer(anchor)} B (heap includes the server itself)`,
  );
  console.log(
    `RATIO http announce rate: ours ${ours.rate.toFixed(0)}/s vs bittorrent-tracker ${anchor.rate.toFixed(0)}/s = ${ratio.toFixed(2)}x (target >= 2x) ${ratio >= 2 ? 'PASS' : 'FAIL'}`,
  );

  // Memory bound: ours capped at DISTINCT peers, flooded with three times as many identities.
  const capped = startServer('ours', DISTINCT);
  const { port } = await capped.ready;
  await fill(port, 0, DISTINCT);
  const atCap = await capped.memory();
  await fill(port, DISTINCT, DISTINCT * 2);
  const flooded = await capped.memory();
  capped.stop();
  const growth = flooded.heapUsed / atCap.heapUsed;
  console.log(
    `memory: ${atCap.peers} peers -> heap ${mb(atCap.heapUsed)}; after a flood of ${DISTINCT * 3} identities -> ${flooded.peers} peers, heap ${mb(flooded.heapUsed)}`,
  );
  console.log(
    `RATIO memory under flood: heap after flood / heap at cap = ${growth.toFixed(2)}x (target <= 1.5x, peers <= ${DISTINCT}) ${growth <= 1.5 && flooded.peers <= DISTINCT ? 'PASS' : 'FAIL'}`,
  );
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3], Number(process.argv[4] ?? 0));
} else {
  await main();
}
