// DHT bench (BENCH_QUICK=1 shrinks it; BENCH_ONLY=qps runs only part 1):
// 1. KRPC queries answered per CPU-second of the serving process: ours vs bittorrent-dht's, same
//    load (ping, find_node, get_peers in turn, a window in flight over several sockets).
// 2. Time to the first peer of a lookup in a loopback DHT of libtorrent sessions: ours vs a
//    libtorrent session doing the same lookup, same run, fresh info-hashes each round.
// 3. A simulated network (10,000 nodes, virtual clock): messages and rounds per lookup beside
//    the Kademlia expectation, with and without 20% loss.
// 4. Memory per routing-table entry and per stored peer.
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode, decode } from '@bt/bencode';
import { PeerStore, RoutingTable, SimulatedNetwork } from '@bt/dht';
import { createDht } from '@bt/dht/node';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const SECONDS = quick ? 1 : 3;
const ROUNDS = quick ? 2 : 3;
const SOCKETS = 4;
const WINDOW = 32;
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

const random = (n) => crypto.getRandomValues(new Uint8Array(n));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// ---- 1. queries answered per CPU-second ---------------------------------------------------

/** Sixteen fake nodes that answer pings, so both servers have the same contacts. */
async function fakeNodes(count) {
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const socket = createSocket('udp4');
    await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const id = random(20);
    socket.on('message', (message, rinfo) => {
      try {
        const query = decode(message);
        socket.send(encode({ t: query.get('t'), y: 'r', r: { id } }), rinfo.port, rinfo.address);
      } catch {
        // not for us
      }
    });
    nodes.push({ socket, id: Buffer.from(id).toString('hex'), port: socket.address().port });
  }
  return nodes;
}

async function startServer(kind, contacts) {
  // BENCH_PROFILE=DIR: a CPU profile of each server (node --cpu-prof), written when it stops.
  const profile = process.env.BENCH_PROFILE
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${process.env.BENCH_PROFILE}`,
        `--cpu-prof-name=${kind}.cpuprofile`,
      ]
    : [];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      join(here, 'server-child.mjs'),
      kind,
      JSON.stringify(contacts.map(({ id, port }) => ({ id, port }))),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.add(child);
  const line = await new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      if (buffer.includes('\n')) resolve(buffer.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { child, ...JSON.parse(line) };
}

/** Keeps WINDOW queries in flight on each socket for `seconds`; returns answers received. */
async function load(port, seconds) {
  const sockets = [];
  for (let i = 0; i < SOCKETS; i++) {
    const socket = createSocket('udp4');
    await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
    sockets.push(socket);
  }
  const id = random(20);
  const targets = Array.from({ length: 256 }, () => random(20));
  let answers = 0;
  let counter = 0;
  let running = true;
  const query = () => {
    const n = counter++;
    const t = Uint8Array.of((n >> 8) & 0xff, n & 0xff);
    const target = targets[n & 255];
    switch (n % 3) {
      case 0:
        return encode({ t, y: 'q', q: 'ping', a: { id } });
      case 1:
        return encode({ t, y: 'q', q: 'find_node', a: { id, target } });
      default:
        return encode({ t, y: 'q', q: 'get_peers', a: { id, info_hash: target } });
    }
  };
  for (const socket of sockets) {
    socket.on('message', () => {
      answers++;
      if (running) socket.send(query(), port, '127.0.0.1');
    });
  }
  // Lost datagrams would shrink the window: top it up every few milliseconds.
  const topUp = setInterval(() => {
    for (const socket of sockets)
      for (let i = 0; i < 4; i++) socket.send(query(), port, '127.0.0.1');
  }, 5);
  for (const socket of sockets)
    for (let i = 0; i < WINDOW; i++) socket.send(query(), port, '127.0.0.1');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  clearInterval(topUp);
  for (const socket of sockets) socket.close();
  return answers;
}

async function queriesPerCpuSecond() {
  const contacts = await fakeNodes(16);
  const servers = {
    ours: await startServer('ours', contacts),
    theirs: await startServer('theirs', contacts),
    echo: await startServer('echo', contacts),
  };
  console.log(
    `  tables: ours ${servers.ours.nodes} nodes, bittorrent-dht ${servers.theirs.nodes} nodes`,
  );
  const rates = { ours: [], theirs: [], echo: [] };
  for (const server of Object.values(servers)) await load(server.port, 0.3); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ['ours', 'theirs', 'echo']) {
      const server = servers[kind];
      const before = cpuSeconds(server.child.pid);
      const answers = await load(server.port, SECONDS);
      const cpu = cpuSeconds(server.child.pid) - before;
      rates[kind].push(answers / Math.max(cpu, 0.01));
    }
  }
  for (const server of Object.values(servers)) {
    if (!process.env.BENCH_PROFILE) server.child.kill('SIGKILL');
    else {
      // SIGTERM: the child exits itself, so node writes its profile.
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
  }
  for (const contact of contacts) contact.socket.close();
  return { ours: median(rates.ours), theirs: median(rates.theirs), echo: median(rates.echo) };
}

// ---- 2. time to first peer against libtorrent -------------------------------------------------

function libtorrentPython() {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import libtorrent'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

async function timeToFirstPeer(python) {
  const child = spawn(python, [join(here, '../test/libtorrent-mesh.py'), '5', '3'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  children.add(child);
  const ready = await new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      if (buffer.includes('\n')) resolve(JSON.parse(buffer.split('\n')[0]));
    });
    child.once('exit', (code) => reject(new Error(`libtorrent mesh exited with ${code}`)));
  });
  const command = async (op, args) => {
    const response = await fetch(`http://127.0.0.1:${ready.control}/`, {
      method: 'POST',
      body: JSON.stringify({ op, ...args }),
    });
    return response.json();
  };
  const first = ready.nodes[0];
  const dht = await createDht({ host: '127.0.0.1', bootstrap: [`${first.host}:${first.port}`] });
  await dht.ready;
  const times = { ours: [], oursDone: [], theirs: [] };
  const rounds = quick ? 3 : 10;
  for (let round = 0; round < rounds; round++) {
    const infoHash = random(20);
    const hex = Buffer.from(infoHash).toString('hex');
    await command('announce', { session: 1, infoHash: hex });
    // Until the announce has landed on the nodes libtorrent's own lookup would ask.
    for (let tries = 0; tries < 100; tries++) {
      // Now and then libtorrent posts no reply alert for a lookup: a short wait, then ask again.
      const check = await command('get_peers', { session: 2, infoHash: hex, timeout: 2 });
      if (check.peers.length > 0) break;
    }
    const start = performance.now();
    let firstPeer;
    for await (const peer of dht.lookup(infoHash)) {
      firstPeer ??= performance.now() - start;
      void peer;
    }
    times.oursDone.push(performance.now() - start);
    if (firstPeer !== undefined) times.ours.push(firstPeer);
    const theirs = await command('get_peers', { session: 4, infoHash: hex, timeout: 5 });
    if (theirs.seconds !== null && theirs.peers.length > 0)
      times.theirs.push(theirs.seconds * 1000);
  }
  await dht.close();
  process.kill(-child.pid, 'SIGTERM');
  return {
    ours: median(times.ours),
    oursDone: median(times.oursDone),
    theirs: median(times.theirs),
    rounds,
  };
}

// ---- 3. simulated network ----------------------------------------------------------------------

function simulate(nodes, loss, lookups) {
  const network = new SimulatedNetwork({ seed: 7, loss });
  for (let i = 0; i < nodes; i++) network.addNode();
  network.wireTables();
  const messages = [];
  const rounds = [];
  for (let i = 0; i < lookups; i++) {
    const from = network.nodes[Math.floor(network.random() * network.nodes.length)];
    const result = network.lookup(from, network.randomBytes(20));
    messages.push(result.queried);
    rounds.push(result.rounds);
  }
  return { messages: median(messages), rounds: median(rounds) };
}

// ---- 4. memory -------------------------------------------------------------------------------

function heapUsed() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

function memoryPerEntry() {
  const before = heapUsed();
  const tables = [];
  let entries = 0;
  // Many tables of random nodes on private addresses (the per-IP rules exempt them).
  for (let t = 0; t < (quick ? 50 : 200); t++) {
    const table = new RoutingTable(random(20), 0);
    for (let i = 0; i < 2000; i++) {
      table.heard(
        {
          id: random(20),
          address: { host: `10.${t & 255}.${i >> 8}.${i & 255}`, port: 6881, family: 4 },
        },
        'response',
        1,
      );
    }
    entries += table.size;
    tables.push(table);
  }
  const perEntry = (heapUsed() - before) / entries;
  const store = new PeerStore({ maxPeers: 1e6, maxPeersPerInfoHash: 1e6, maxInfoHashes: 1e6 });
  const peers = quick ? 20_000 : 100_000;
  const beforePeers = heapUsed();
  for (let i = 0; i < peers; i++) {
    store.add(
      random(20).fill(i % 1000, 0, 2),
      { host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 6881, family: 4 },
      false,
      0,
    );
  }
  const perPeer = (heapUsed() - beforePeers) / store.size;
  return { perEntry, entries, perPeer, peers: store.size, keep: [tables, store] };
}

// ---- run ---------------------------------------------------------------------------------------

console.log('@bt/dht bench' + (quick ? ' (quick)' : ''));
console.log(
  `Queries answered per CPU-second of the serving process (${ROUNDS} rounds of ${SECONDS} s, ping/find_node/get_peers):`,
);
const qps = await queriesPerCpuSecond();
console.log(`  ours            ${Math.round(qps.ours).toLocaleString('en')} /CPU-s`);
console.log(`  bittorrent-dht  ${Math.round(qps.theirs).toLocaleString('en')} /CPU-s`);
console.log(`  ratio ${(qps.ours / qps.theirs).toFixed(2)}x (target >= 3x)`);
console.log(
  `  floor: a bare echo socket answers ${Math.round(qps.echo).toLocaleString('en')} /CPU-s (no parsing at all), ` +
    `so no Node UDP server can beat bittorrent-dht by more than ${(qps.echo / qps.theirs).toFixed(2)}x here`,
);

// BENCH_ONLY=qps runs only part 1 (for iterating on the serving path).
if (process.env.BENCH_ONLY === 'qps') process.exit(0);

const python = libtorrentPython();
if (python) {
  console.log(
    'Time to the first peer of a lookup, loopback DHT of 5 libtorrent sessions (median):',
  );
  const ttfp = await timeToFirstPeer(python);
  console.log(
    `  ours            ${ttfp.ours.toFixed(1)} ms to the first peer (${ttfp.oursDone.toFixed(1)} ms to the end of the lookup)`,
  );
  console.log(
    `  libtorrent      ${ttfp.theirs.toFixed(1)} ms (its get_peers reply, at the end of its lookup)`,
  );
  console.log(
    `  ratio ${(ttfp.ours / ttfp.theirs).toFixed(2)}x (target <= 1.0x), ${ttfp.rounds} rounds`,
  );
} else {
  console.log(
    'Time to first peer: SKIPPED, python3-libtorrent is missing (bash scripts/install-peers)',
  );
}

const simulatedNodes = quick ? 2_000 : 10_000;
const simulatedLookups = quick ? 10 : 30;
console.log(
  `Simulated network of ${simulatedNodes.toLocaleString('en')} nodes, ${simulatedLookups} find_node lookups each (median, alpha 5, k 8):`,
);
const expectedSteps = Math.log2(simulatedNodes / 8);
for (const loss of [0, 0.2]) {
  const result = simulate(simulatedNodes, loss, simulatedLookups);
  console.log(
    `  loss ${Math.round(loss * 100)}%: ${result.messages} messages, ${result.rounds} rounds per lookup`,
  );
}
console.log(
  `  Kademlia expectation: at most log2(n/k) = ${expectedSteps.toFixed(1)} hops of one bit; full k-buckets resolve ` +
    `several bits per hop, so a few rounds of alpha requests (about alpha + k messages when nothing is lost)`,
);

const memory = memoryPerEntry();
console.log('Memory:');
console.log(
  `  ${Math.round(memory.perEntry)} bytes per routing-table entry (${memory.entries.toLocaleString('en')} entries)`,
);
console.log(
  `  ${Math.round(memory.perPeer)} bytes per stored peer (${memory.peers.toLocaleString('en')} peers)`,
);
void memory.keep;
process.exit(0);
