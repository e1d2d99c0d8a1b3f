// UDP tracker bench: our server's announce rate on loopback against opentracker's, with the
// same load generator (bench/loadgen.c, compiled here with gcc: sendmmsg/recvmmsg over a few
// sockets with a window of announces in flight, so the generator is not the bottleneck), and
// RSS as the number of distinct peers grows. BENCH_QUICK=1 shrinks it to a few seconds.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const PEERS = quick ? 10_000 : 100_000;
const TORRENTS = quick ? 100 : 1_000;
const SECONDS = quick ? 0.5 : 2;
const ROUNDS = quick ? 3 : 7;
const SOCKETS = 4;
const WINDOW = 64;
const TARGET = 0.5;

const work = mkdtempSync(join(tmpdir(), 'bt-udp-bench-'));
chmodSync(work, 0o755);
const children = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const loadgen = join(work, 'loadgen');
execFileSync('gcc', ['-O2', '-o', loadgen, join(here, 'loadgen.c')], { stdio: 'inherit' });

function run(port, mode, first, count, seconds = 0) {
  const args = ['127.0.0.1', port, mode, first, count, TORRENTS, SOCKETS, WINDOW, seconds].map(
    String,
  );
  return JSON.parse(execFileSync(loadgen, args, { encoding: 'utf8' }));
}

/** CPU seconds (user + system, all threads) the process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** Resolves once something answers a BEP 15 connect on the port. */
async function waitForTracker(port) {
  const socket = createSocket('udp4');
  const request = Buffer.alloc(16);
  request.writeBigUInt64BE(0x41727101980n, 0);
  request.writeUInt32BE(0, 8);
  request.writeUInt32BE(1234, 12);
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const answered = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), 100);
        socket.once('message', () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.send(request, port, '127.0.0.1');
      });
      if (answered) return;
    }
    throw new Error(`no tracker answered on port ${port}`);
  } finally {
    socket.close();
  }
}

async function freeUdpPort() {
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

function infoHashHex(t) {
  const bytes = Buffer.alloc(20);
  bytes.writeUInt32BE(t, 0);
  for (let i = 4; i < 20; i++) bytes[i] = 0xb7 ^ i;
  return bytes.toString('hex');
}

async function startOpentracker() {
  // Debian's opentracker only serves whitelisted torrents: list the bench's.
  const list = join(work, 'whitelist.txt');
  writeFileSync(list, Array.from({ length: TORRENTS }, (_, t) => `${infoHashHex(t)}\n`).join(''));
  chmodSync(list, 0o644);
  const port = await freeUdpPort();
  const child = spawn(
    'opentracker',
    ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-d', work, '-w', 'whitelist.txt'],
    // As root it chroots into -d; otherwise the list is found relative to its working folder.
    { stdio: 'ignore', cwd: work },
  );
  children.push(child);
  await waitForTracker(port);
  return { name: 'opentracker', port, pid: child.pid };
}

async function startOurs(maxPeers) {
  const child = spawn(process.execPath, [join(here, 'server-child.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(maxPeers ? { MAX_PEERS: String(maxPeers) } : {}) },
  });
  children.push(child);
  const lines = [];
  let buffered = '';
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, newline)));
      buffered = buffered.slice(newline + 1);
    }
  });
  while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const { port } = lines.shift();
  await waitForTracker(port);
  const stats = async () => {
    child.kill('SIGUSR2');
    while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    return lines.shift();
  };
  return { name: 'ours', port, pid: child.pid, stats };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Lets a tracker work through its queue: the generator stops waiting for a reply after 10 ms
 * and sends more, so a server that paused (a GC) has a backlog of announces still to answer.
 */
async function settle(tracker) {
  if (!tracker.stats) return sleep(300);
  let last = -1;
  for (;;) {
    const { received } = await tracker.stats();
    if (received === last) return;
    last = received;
    await sleep(100);
  }
}

/** Announces PEERS distinct peers in four steps, printing RSS at each. */
async function fill(tracker) {
  const steps = [0, PEERS / 4, PEERS / 2, PEERS];
  const rss = [rssMB(tracker.pid)];
  let late = 0;
  for (let i = 1; i < steps.length; i++) {
    const result = run(tracker.port, 'fill', steps[i - 1], steps[i] - steps[i - 1]);
    late += result.lost + result.errors;
    await settle(tracker);
    rss.push(rssMB(tracker.pid));
  }
  const line = steps
    .map((peers, i) => `${peers.toLocaleString('en-US')}: ${rss[i].toFixed(1)} MB`)
    .join(', ');
  console.log(
    `  ${tracker.name.padEnd(12)} RSS by distinct peers: ${line}${late ? ` (${late} replies later than 200 ms)` : ''}`,
  );
  return rss;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

console.log(
  `UDP tracker bench: ${PEERS.toLocaleString('en-US')} distinct peers over ${TORRENTS} torrents, numwant 50, ` +
    `load from a C generator (${SOCKETS} sockets x ${WINDOW} in flight)${quick ? ' [BENCH_QUICK]' : ''}`,
);
const opentracker = await startOpentracker();
const ours = await startOurs();
console.log('Memory while distinct peers grow:');
const otRss = await fill(opentracker);
const ourRss = await fill(ours);
const ourStats = await ours.stats();
if (ourStats.peers !== PEERS)
  console.log(`  note: our registry holds ${ourStats.peers} peers, expected ${PEERS}`);

console.log(`Announce rate (${ROUNDS} alternating rounds of ${SECONDS} s each):`);
const rates = { opentracker: [], ours: [] };
const cpu = { opentracker: { seconds: 0, replies: 0 }, ours: { seconds: 0, replies: 0 } };
for (let round = 0; round < ROUNDS; round++) {
  for (const tracker of [opentracker, ours]) {
    const cpuBefore = cpuSeconds(tracker.pid);
    const result = run(tracker.port, 'rate', 0, PEERS, SECONDS);
    cpu[tracker.name].seconds += cpuSeconds(tracker.pid) - cpuBefore;
    cpu[tracker.name].replies += result.replies;
    rates[tracker.name].push(result.rate);
    await settle(tracker);
    console.log(
      `  ${tracker.name.padEnd(12)} round ${round + 1}: ${Math.round(result.rate).toLocaleString('en-US')} announces/s` +
        ` (${result.replies} replies, ${result.lost} later than 10 ms, ${result.errors} errors)`,
    );
  }
}
// Best round of each side: on a shared machine the least-disturbed round is the one that
// measures the tracker rather than its neighbours. Medians are printed beside it.
const ourRate = Math.max(...rates.ours);
const otRate = Math.max(...rates.opentracker);
const ourMedian = median(rates.ours);
const otMedian = median(rates.opentracker);

// Bounded memory: a registry limited to half the peers, flooded with all of them.
const limited = await startOurs(PEERS / 2);
console.log(
  `Bounded: our server with maxPeers=${(PEERS / 2).toLocaleString('en-US')}, flooded with ${PEERS.toLocaleString('en-US')} distinct peers:`,
);
const limitedRss = await fill(limited);
const limitedStats = await limited.stats();
console.log(`  registry holds ${limitedStats.peers.toLocaleString('en-US')} peers after the flood`);

const ratio = ourRate / otRate;
const fmt = (n) => `${Math.round(n).toLocaleString('en-US')}/s`;
console.log(
  `MEMORY ours: +${(ourRss.at(-1) - ourRss[0]).toFixed(1)} MB for ${PEERS.toLocaleString('en-US')} peers ` +
    `(${Math.round(((ourRss.at(-1) - ourRss[0]) * 1048576) / PEERS)} B/peer); ` +
    `opentracker: +${(otRss.at(-1) - otRss[0]).toFixed(1)} MB`,
);
const bounded = limitedStats.peers <= PEERS / 2;
console.log(
  `BOUNDED ours with maxPeers=${PEERS / 2}: holds ${limitedStats.peers} peers after ${PEERS} distinct, ` +
    `RSS ${limitedRss[2].toFixed(1)} MB at the limit -> ${limitedRss[3].toFixed(1)} MB after ${bounded ? 'PASS' : 'FAIL'}`,
);
// Announces per CPU-second of the tracker process: what one core would sustain, a figure that
// other load on the machine disturbs far less than the wall-clock rate.
const perCpu = (name) => cpu[name].replies / Math.max(cpu[name].seconds, 0.01);
console.log(
  `CPU udp announces per CPU-second: ours ${fmt(perCpu('ours')).replace('/s', '')} ` +
    `(${((1e6 * cpu.ours.seconds) / cpu.ours.replies).toFixed(1)} µs each) vs opentracker ${fmt(perCpu('opentracker')).replace('/s', '')} ` +
    `(${((1e6 * cpu.opentracker.seconds) / cpu.opentracker.replies).toFixed(1)} µs each) = ${(perCpu('ours') / perCpu('opentracker')).toFixed(2)}x`,
);
console.log(
  `MEDIAN udp announce rate: ours ${fmt(ourMedian)} vs opentracker ${fmt(otMedian)} = ${(ourMedian / otMedian).toFixed(2)}x`,
);
console.log(
  `RATIO udp announce rate (best of ${ROUNDS}): ours ${fmt(ourRate)} vs opentracker ${fmt(otRate)} = ${ratio.toFixed(2)}x (target >= ${TARGET}x) ${
    ratio >= TARGET ? 'PASS' : 'FAIL'
  }`,
);
for (const child of children) child.kill('SIGTERM');
process.exit(0);
