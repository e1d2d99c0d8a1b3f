// Benchmark: @bt/bencode vs the npm `bencode` package (4.x), side by side in one run.
// Workloads: (a) a metainfo file with 20,000 files, (b) 100,000 DHT KRPC messages.
// Prints throughput of each and the ratios against the targets (decode >= 3x, encode >= 2x).
// BENCH_QUICK=1 runs fewer rounds (for CI).
import reference from 'bencode';
import { randomBytes } from 'node:crypto';
import { decode, encode } from '../dist/index.js';

const quick = process.env.BENCH_QUICK === '1';
const rounds = quick ? 5 : 15;
const te = new TextEncoder();

function buildTorrent(fileCount) {
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
      pieces: randomBytes(20 * 5000),
    },
  };
}

function buildKrpc(count) {
  const messages = [];
  for (let i = 0; i < count; i++) {
    const t = randomBytes(2);
    const id = randomBytes(20);
    switch (i % 4) {
      case 0:
        messages.push({ t, y: te.encode('q'), q: te.encode('ping'), a: { id } });
        break;
      case 1:
        messages.push({
          t,
          y: te.encode('q'),
          q: te.encode('get_peers'),
          a: { id, info_hash: randomBytes(20) },
        });
        break;
      case 2:
        messages.push({
          t,
          y: te.encode('r'),
          r: { id, nodes: randomBytes(26 * 8), token: randomBytes(8) },
        });
        break;
      default:
        messages.push({
          t,
          y: te.encode('r'),
          r: {
            id,
            token: randomBytes(8),
            values: [randomBytes(6), randomBytes(6), randomBytes(6)],
          },
        });
    }
  }
  return messages;
}

const gc = globalThis.gc ?? (() => {});
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function seconds(fn) {
  gc();
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const results = [];
/** Runs both sides alternately, round by round, so machine noise hits both alike. */
function compare(label, bytes, ours, theirs, target) {
  for (let i = 0; i < 3; i++) {
    ours();
    theirs();
  }
  const oursTimes = [];
  const theirTimes = [];
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const a = seconds(ours);
    const b = seconds(theirs);
    oursTimes.push(a);
    theirTimes.push(b);
    ratios.push(b / a);
  }
  const ratio = median(ratios);
  const pass = ratio >= target;
  results.push(pass);
  const mbOurs = bytes / median(oursTimes) / 1e6;
  const mbTheirs = bytes / median(theirTimes) / 1e6;
  console.log(
    `${label.padEnd(34)} ours ${mbOurs.toFixed(1).padStart(7)} MB/s   npm bencode ${mbTheirs.toFixed(1).padStart(7)} MB/s`,
  );
  console.log(
    `RATIO ${label}: ${ratio.toFixed(2)}x (target >= ${target}x) ${pass ? 'PASS' : 'FAIL'}`,
  );
}

const torrentValue = buildTorrent(20_000);
const torrentBytes = encode(torrentValue);
const torrentOurs = decode(torrentBytes);
const torrentTheirs = reference.decode(torrentBytes);
console.log(`(a) metainfo, 20,000 files: ${(torrentBytes.length / 1e6).toFixed(2)} MB`);
compare(
  'decode metainfo',
  torrentBytes.length,
  () => decode(torrentBytes),
  () => reference.decode(torrentBytes),
  3,
);
compare(
  'encode metainfo (decoded value)',
  torrentBytes.length,
  () => encode(torrentOurs),
  () => reference.encode(torrentTheirs),
  2,
);
compare(
  'encode metainfo (plain object)',
  torrentBytes.length,
  () => encode(torrentValue),
  () => reference.encode(torrentValue),
  2,
);

const krpcValues = buildKrpc(100_000);
const krpcBytes = krpcValues.map((message) => encode(message));
const krpcTotal = krpcBytes.reduce((sum, bytes) => sum + bytes.length, 0);
const krpcOurs = krpcBytes.map((bytes) => decode(bytes));
const krpcTheirs = krpcBytes.map((bytes) => reference.decode(bytes));
console.log(`(b) 100,000 KRPC messages: ${(krpcTotal / 1e6).toFixed(2)} MB`);
compare(
  'decode KRPC',
  krpcTotal,
  () => {
    for (const bytes of krpcBytes) decode(bytes);
  },
  () => {
    for (const bytes of krpcBytes) reference.decode(bytes);
  },
  3,
);
compare(
  'encode KRPC (decoded value)',
  krpcTotal,
  () => {
    for (const value of krpcOurs) encode(value);
  },
  () => {
    for (const value of krpcTheirs) reference.encode(value);
  },
  2,
);
compare(
  'encode KRPC (plain object)',
  krpcTotal,
  () => {
    for (const value of krpcValues) encode(value);
  },
  () => {
    for (const value of krpcValues) reference.encode(value);
  },
  2,
);

console.log(
  `node ${process.version}, ${rounds} alternating rounds, median of per-round ratios${globalThis.gc ? ', gc between runs' : ''}`,
);
if (process.env.BENCH_STRICT === '1' && results.includes(false)) process.exitCode = 1;
