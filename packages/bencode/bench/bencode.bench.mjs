// Benchmark: @bt/bencode vs the npm `bencode` package (4.x), side by side in one run.
// Workloads: (a) a metainfo file with 20,000 files, (b) 100,000 DHT KRPC messages; decode and
// encode of each. Every measurement runs in a fresh child process (so neither library pays for
// the other's garbage), alternating ours and theirs; each side keeps its fastest sample, since
// other load on the machine only ever adds time. Prints MB/s and the ratios against the targets
// (decode >= 3x, encode >= 2x). BENCH_QUICK=1 runs fewer rounds.
import reference from 'bencode';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as ours from '../dist/index.js';

const quick = process.env.BENCH_QUICK === '1';
const te = new TextEncoder();

/** Deterministic pseudo-random bytes, so every child builds the same inputs. */
function makeRandom(seed) {
  let state = seed;
  return (length) => {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      bytes[i] = state >>> 24;
    }
    return bytes;
  };
}

function buildTorrent(fileCount) {
  const random = makeRandom(1);
  const files = [];
  for (let i = 0; i < fileCount; i++) {
    files.push({
      length: 1000 + ((i * 7919) % 10_000_000),
      path: [
        te.encode(`folder-${i % 37}`),
        te.encode(`sub-${i % 11}`),
        te.encode(`file-${i}-${'x'.repeat(i % 20)}.dat`),
      ],
    });
  }
  return {
    announce: te.encode('http://tracker.example.org:6969/announce'),
    'announce-list': [
      [te.encode('http://tracker.example.org:6969/announce')],
      [te.encode('udp://tracker.example.net:1337/announce')],
    ],
    comment: te.encode('benchmark torrent'),
    'created by': te.encode('bt bench'),
    'creation date': 1_700_000_000,
    info: {
      files,
      name: te.encode('bench-payload'),
      'piece length': 4 * 1024 * 1024,
      pieces: random(20 * 5000),
    },
  };
}

function buildKrpc(count) {
  const random = makeRandom(2);
  const messages = [];
  for (let i = 0; i < count; i++) {
    const t = random(2);
    const id = random(20);
    switch (i % 4) {
      case 0:
        messages.push({ t, y: te.encode('q'), q: te.encode('ping'), a: { id } });
        break;
      case 1:
        messages.push({
          t,
          y: te.encode('q'),
          q: te.encode('get_peers'),
          a: { id, info_hash: random(20) },
        });
        break;
      case 2:
        messages.push({ t, y: te.encode('r'), r: { id, nodes: random(26 * 8), token: random(8) } });
        break;
      default:
        messages.push({
          t,
          y: te.encode('r'),
          r: { id, token: random(8), values: [random(6), random(6), random(6)] },
        });
    }
  }
  return messages;
}

/** Sets up one workload for one library; returns the job and the bytes it processes. */
function setUp(library, workload) {
  const lib = library === 'ours' ? ours : reference;
  if (workload.endsWith('metainfo')) {
    const value = buildTorrent(20_000);
    const bytes = ours.encode(value);
    if (workload === 'decode metainfo')
      return { bytes: bytes.length, job: () => lib.decode(bytes) };
    // Encode what the library itself decoded: the round trip a tool makes.
    const decoded = lib.decode(bytes);
    return { bytes: bytes.length, job: () => lib.encode(decoded) };
  }
  const values = buildKrpc(100_000);
  const encoded = values.map((message) => ours.encode(message));
  const total = encoded.reduce((sum, bytes) => sum + bytes.length, 0);
  if (workload === 'decode KRPC') {
    return {
      bytes: total,
      job: () => {
        for (const bytes of encoded) lib.decode(bytes);
      },
    };
  }
  const decoded = encoded.map((bytes) => lib.decode(bytes));
  return {
    bytes: total,
    job: () => {
      for (const value of decoded) lib.encode(value);
    },
  };
}

/** In a child: warm up, then the fastest of several samples, printed as JSON. */
function child(library, workload) {
  const { bytes, job } = setUp(library, workload);
  for (let i = 0; i < 5; i++) job();
  let best = Infinity;
  for (let sample = 0; sample < (quick ? 10 : 25); sample++) {
    const start = process.hrtime.bigint();
    job();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  process.stdout.write(JSON.stringify({ bytes, seconds: best }));
}

function measure(library, workload) {
  const output = execFileSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--child', library, workload],
    { encoding: 'utf8' },
  );
  return JSON.parse(output);
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]);
} else {
  const workloads = [
    ['decode metainfo', 3],
    ['encode metainfo', 2],
    ['decode KRPC', 3],
    ['encode KRPC', 2],
  ];
  const rounds = quick ? 1 : 3;
  console.log(
    '@bt/bencode vs npm bencode 4.x: (a) metainfo with 20,000 files, (b) 100,000 KRPC messages',
  );
  let failed = false;
  for (const [workload, target] of workloads) {
    let bestOurs = Infinity;
    let bestTheirs = Infinity;
    let bytes = 0;
    for (let round = 0; round < rounds; round++) {
      const a = measure('ours', workload);
      const b = measure('theirs', workload);
      bytes = a.bytes;
      bestOurs = Math.min(bestOurs, a.seconds);
      bestTheirs = Math.min(bestTheirs, b.seconds);
    }
    const ratio = bestTheirs / bestOurs;
    const pass = ratio >= target;
    failed ||= !pass;
    const mb = (seconds) => (bytes / seconds / 1e6).toFixed(1).padStart(7);
    console.log(
      `${workload.padEnd(16)} ${(bytes / 1e6).toFixed(2)} MB   ours ${mb(bestOurs)} MB/s   npm bencode ${mb(bestTheirs)} MB/s`,
    );
    console.log(
      `RATIO ${workload}: ${ratio.toFixed(2)}x (target >= ${target}x) ${pass ? 'PASS' : 'FAIL'}`,
    );
  }
  console.log(
    `node ${process.version}; ${rounds} alternating child processes per side, fastest sample`,
  );
  if (process.env.BENCH_STRICT === '1' && failed) process.exitCode = 1;
}
