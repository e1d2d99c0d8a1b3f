// DHT bench (BENCH_QUICK=1 shrinks it; BENCH_ONLY=qps runs only part 1):
// 1. KRPC queries answered per CPU-second of the serving process: ours vs bittorrent-dht's (and a
//    bare echo socket, the floor of any Node UDP server), in one run, under the same load: two
//    client processes (bench/load-child.mjs), each with 32 queries in flight on each of two
//    sockets (ping, find_node, get_peers in turn), the answers checked (load-child.mjs says how).
//    Short slices in turn, so that the machine's other load falls on all alike; a server's CPU
//    time is read from /proc (user + system) over its slices.
// 2. Time to the first peer of a lookup in a loopback DHT of libtorrent sessions: ours vs a
//    libtorrent session doing the same lookup, same run, fresh info-hashes each round.
// 3. A simulated network (10,000 nodes, virtual clock): messages and rounds per lookup beside
//    the Kademlia expectation, with and without 20% loss.
// 4. Memory per routing-table entry and per stored peer.
import { execFileSync, fork, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode, decode } from '@bt/bencode';
import { PeerStore, RoutingTable, SimulatedNetwork } from '@bt/dht';
import { createDht } from '@bt/dht/node';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const SECONDS = quick ? 0.5 : 1;
const ROUNDS = quick ? 3 : 12;
const CLIENTS = 2;
const CHECK_EVERY = 4;
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

/** The load generators: CLIENTS processes (bench/load-child.mjs), each with its own sockets. */
async function startClients(contacts) {
  const clients = [];
  const ids = Array.from({ length: CLIENTS }, () => Buffer.from(random(20)).toString('hex'));
  for (let i = 0; i < CLIENTS; i++) {
    const child = fork(
      join(here, 'load-child.mjs'),
      [
        JSON.stringify(contacts.map(({ id, port }) => ({ id, port }))),
        JSON.stringify([ids[i], ...ids.filter((_, j) => j !== i)]),
      ],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    children.add(child);
    await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`load client exited with ${code}`)));
    });
    clients.push(child);
  }
  return clients;
}

/** All clients load `port` for `seconds` at once; the answers they counted, summed. */
async function load(clients, port, seconds, mode, checkEvery) {
  const results = await Promise.all(
    clients.map(
      (client) =>
        new Promise((resolve) => {
          client.once('message', resolve);
          client.send({ op: 'load', port, seconds, mode, checkEvery });
        }),
    ),
  );
  const sum = { answers: 0, wrong: 0, lost: 0, full: 0, firstWrong: undefined };
  for (const result of results) {
    sum.answers += result.answers;
    sum.wrong += result.wrong;
    sum.lost += result.lost;
    sum.full += result.full;
    sum.firstWrong ??= result.firstWrong;
  }
  return sum;
}

async function queriesPerCpuSecond() {
  const contacts = await fakeNodes(16);
  const servers = {
    ours: await startServer('ours', contacts),
    theirs: await startServer('theirs', contacts),
    echo: await startServer('echo', contacts),
  };
  console.log(
    `  tables: ours ${servers.ours.nodes} nodes, bittorrent-dht ${servers.theirs.nodes} nodes; ` +
      `load: ${CLIENTS} client processes x 2 sockets x 32 queries in flight`,
  );
  const clients = await startClients(contacts);
  const kinds = ['ours', 'theirs', 'echo'];
  const totals = Object.fromEntries(
    kinds.map((kind) => [kind, { answers: 0, cpu: 0, seconds: 0, wrong: 0, lost: 0, full: 0 }]),
  );
  const mode = (kind) => (kind === 'echo' ? 'echo' : 'krpc');
  // Warm-up, every answer checked in full; then one in CHECK_EVERY (decoding every answer would
  // make the clients, not the servers, the bottleneck).
  for (const kind of kinds) {
    const warmUp = await load(clients, servers[kind].port, 0.5, mode(kind), 1);
    totals[kind].wrong += warmUp.wrong;
    totals[kind].firstWrong ??= warmUp.firstWrong;
    totals[kind].full += warmUp.full;
  }
  // Short slices in turn, the order rotating, so that the machine's other load falls on all
  // three alike; the rates are totals over all slices.
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(round + i) % kinds.length];
      const server = servers[kind];
      const before = cpuSeconds(server.child.pid);
      let cpu = 0;
      const measured = new Promise((resolve) =>
        setTimeout(() => {
          cpu = cpuSeconds(server.child.pid) - before;
          resolve();
        }, SECONDS * 1000),
      );
      const result = await load(clients, server.port, SECONDS, mode(kind), CHECK_EVERY);
      await measured;
      const total = totals[kind];
      total.answers += result.answers;
      total.cpu += cpu;
      total.seconds += SECONDS;
      total.wrong += result.wrong;
      total.lost += result.lost;
      total.full += result.full;
      total.firstWrong ??= result.firstWrong;
    }
  }
  for (const client of clients) client.send({ op: 'exit' });
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
  return totals;
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
  `Queries answered per CPU-second of the serving process (${ROUNDS} rounds of a ${SECONDS} s slice each, in turn; ping/find_node/get_peers):`,
);
const qps = await queriesPerCpuSecond();
const rate = (kind) => qps[kind].answers / Math.max(qps[kind].cpu, 0.01);
for (const [kind, label] of [
  ['ours', 'ours          '],
  ['theirs', 'bittorrent-dht'],
  ['echo', 'echo floor    '],
]) {
  const total = qps[kind];
  console.log(
    `  ${label}  ${Math.round(rate(kind)).toLocaleString('en')} /CPU-s  (${total.answers.toLocaleString('en')} answers in ` +
      `${total.cpu.toFixed(2)} CPU-s, ${Math.round((total.cpu / total.seconds) * 100)}% of a core; ${total.lost} lost; ${total.full.toLocaleString('en')} checked in full, ${total.wrong} wrong)`,
  );
}
console.log(`  ratio ${(rate('ours') / rate('theirs')).toFixed(2)}x (target >= 3x)`);
console.log(
  `  floor: a bare echo socket (no parsing at all) answers ${(rate('echo') / rate('theirs')).toFixed(2)}x bittorrent-dht's rate here`,
);
const wrong = Object.entries(qps).filter(([, total]) => total.wrong > 0);
if (wrong.length > 0) {
  for (const [kind, total] of wrong)
    console.log(`  WRONG ANSWERS from ${kind}: ${total.wrong} (first: ${total.firstWrong})`);
  process.exit(1);
}

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
