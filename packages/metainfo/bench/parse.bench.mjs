/**
 * Parsing a 20,000-file torrent: @bt/metainfo `parseTorrent` against npm `parse-torrent`, side
 * by side in one run, on the same bytes. Run `pnpm build` first (this imports `dist`).
 * BENCH_QUICK=1 shrinks the torrent and the number of rounds.
 */
import { encode } from '@bt/bencode';
import parseTorrentNpm from 'parse-torrent';
import { parseTorrent } from '../dist/index.js';

const quick = process.env.BENCH_QUICK === '1';
const FILES = quick ? 2_000 : 20_000;
const ROUNDS = quick ? 5 : 15;

/** A realistic multi-file torrent: nested folders, mixed names, 256 KiB pieces. */
function makeTorrent(fileCount) {
  const files = [];
  let total = 0;
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < fileCount; i++) {
    const length = random() % 3_000_000;
    total += length;
    files.push({
      length,
      path: [
        `Season ${(i % 12) + 1}`,
        `Disc ${(i % 7) + 1}`,
        `Track ${String(i).padStart(5, '0')} - ${'name'.repeat((random() % 4) + 1)}.flac`,
      ],
    });
  }
  const pieceLength = 4 * 1024 * 1024;
  const pieces = new Uint8Array(Math.ceil(total / pieceLength) * 20);
  for (let i = 0; i < pieces.length; i++) pieces[i] = random() & 0xff;
  return encode({
    announce: 'http://tracker.example/announce',
    'announce-list': [['http://tracker.example/announce'], ['udp://tracker.example:6969']],
    comment: 'bench',
    'creation date': 1_700_000_000,
    info: { name: 'Big Collection', 'piece length': pieceLength, pieces, files },
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const bytes = makeTorrent(FILES);
console.log(`torrent: ${FILES} files, ${(bytes.length / 1024 / 1024).toFixed(2)} MiB of bencode`);

// Same answer first: the comparison means nothing otherwise.
const ours = parseTorrent(bytes);
const theirs = await parseTorrentNpm(bytes);
if (ours.infoHashHex !== theirs.infoHash || ours.files.length !== theirs.files.length) {
  throw new Error('the two parsers disagree on the bench torrent');
}

const oursTimes = [];
const theirTimes = [];
for (let round = 0; round < ROUNDS + 2; round++) {
  // Alternate, so both see the same machine load; the first two rounds are warm-up.
  let start = performance.now();
  parseTorrent(bytes);
  const a = performance.now() - start;
  start = performance.now();
  await parseTorrentNpm(bytes);
  const b = performance.now() - start;
  if (round >= 2) {
    oursTimes.push(a);
    theirTimes.push(b);
  }
}
const oursMs = median(oursTimes);
const theirMs = median(theirTimes);
const ratio = theirMs / oursMs;
console.log(`parseTorrent (@bt/metainfo): median ${oursMs.toFixed(2)} ms over ${ROUNDS} rounds`);
console.log(`parse-torrent (npm):         median ${theirMs.toFixed(2)} ms over ${ROUNDS} rounds`);
console.log(
  `RATIO parse ${FILES}-file torrent: ours ${oursMs.toFixed(2)} ms vs parse-torrent ${theirMs.toFixed(2)} ms = ${ratio.toFixed(2)}x (target >= 3x) ${ratio >= 3 ? 'PASS' : 'FAIL'}`,
);
