// Bench: our HTTP tracker server against the npm `bittorrent-tracker` server (its HTTP
// endpoint only), each alone in a child process, driven one after the other by the same load
// generator (wrk, with announce.lua: compact announces from up to 100,000 distinct peers).
// Prints requests per second, the ratio (target: ours >= 2x), and each server's memory once
// every distinct peer has announced; then floods ours with 3x as many identities as its cap
// to show memory stays bounded. BENCH_QUICK=1 shrinks durations and counts.
import { execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const quick = process.env.BENCH_QUICK === '1';
const DURATION = quick ? 2 : 10;
const DISTINCT = quick ? 10_000 : 100_000;
const TORRENTS = 50;
const CONNECTIONS = 32;
const here = fileURLToPath(new URL('.', import.meta.url));

async function serve(kind, maxPeers) {
  let count = () => 0;
  let port;
  if (kind === 'ours') {
    const { HttpTrackerServer, MemorySwarmRegistry } = await import('../dist/index.js');
    const registry = new MemorySwarmRegistry({
      maxPeers: maxPeers || undefined,
      maxPeersPerTorrent: 10_000,
    });
    const server = new HttpTrackerServer({ registry });
    port = (await server.listen({ port: 0, host: '127.0.0.1' })).port;
    count = () => registry.size.peers;
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

async function measure(kind) {
  const server = startServer(kind);
  const { port } = await server.ready;
  wrk(port, 1, DISTINCT); // warm-up
  const rate = wrk(port, DURATION, DISTINCT);
  const memory = await server.memory();
  server.stop();
  console.log(
    `${kind.padEnd(18)} ${rate.toFixed(0).padStart(8)} announces/s; ${memory.peers} peers stored; heap ${mb(memory.heapUsed)}, rss ${mb(memory.rss)}`,
  );
  return { rate, memory };
}

async function main() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    if (error.code === 'ENOENT')
      throw new Error('wrk is missing: install it (bash scripts/install-peers)');
  }
  console.log(
    `HTTP tracker announce rate, wrk -t1 -c${CONNECTIONS} ${DURATION}s, ${DISTINCT} distinct peers over ${TORRENTS} torrents, numwant 50 (default), compact`,
  );
  const ours = await measure('ours');
  const anchor = await measure('bittorrent-tracker');
  const ratio = ours.rate / anchor.rate;
  console.log(
    `RATIO http announce rate: ours ${ours.rate.toFixed(0)}/s vs bittorrent-tracker ${anchor.rate.toFixed(0)}/s = ${ratio.toFixed(2)}x (target >= 2x) ${ratio >= 2 ? 'PASS' : 'FAIL'}`,
  );

  // Memory bound: ours capped at DISTINCT peers, flooded with three times as many identities.
  const capped = startServer('ours', DISTINCT);
  const { port } = await capped.ready;
  wrk(port, DURATION, DISTINCT);
  const atCap = await capped.memory();
  wrk(port, DURATION, DISTINCT * 3);
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
