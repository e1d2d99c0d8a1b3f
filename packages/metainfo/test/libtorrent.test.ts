/**
 * Interop with libtorrent (Debian `python3-libtorrent`, driven through Python): torrents it
 * creates (hybrid v1/v2 with BEP 47 padding files by default, and v1-only) read the same with
 * our parser as with libtorrent's own `torrent_info`; torrents we create are accepted by it with
 * the same info-hash, files and piece hashes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs, requireLibtorrentPython } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Metainfo,
  parseTorrent,
  pieceHash,
  pieceRootFromLeaves,
  blockHashes,
} from '../src/index.js';
import { createTorrent } from '../src/node.js';
import { toHex } from '@bt/primitives';
import { writeTree } from './helpers.js';

const python = requireLibtorrentPython();

const CREATE = `
import sys, libtorrent as lt
source, parent, out, mode = sys.argv[1:5]
fs = lt.file_storage()
lt.add_files(fs, source)
flags = lt.create_torrent.v1_only if mode == 'v1' else lt.create_torrent.v2_only if mode == 'v2' else 0
piece = int(sys.argv[5]) if len(sys.argv) > 5 else 16384
t = lt.create_torrent(fs, piece, flags=flags)
t.add_tracker('http://a.example/announce', 0)
t.add_tracker('http://b.example/announce', 0)
t.add_tracker('udp://c.example:80', 1)
t.add_url_seed('http://seed.example/')
t.set_priv(mode == 'v1')
lt.set_piece_hashes(t, parent)
open(out, 'wb').write(lt.bencode(t.generate()))
`;

const REPORT = `
import sys, json, libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
fs = ti.files()
tiers = {}
for tracker in ti.trackers():
    tiers.setdefault(tracker.tier, []).append(tracker.url)
print(json.dumps({
    'infoHash': str(ti.info_hashes().v1),
    'infoHashV2': str(ti.info_hashes().v2),
    'hasV1': ti.info_hashes().has_v1(),
    'hybrid': ti.info_hashes().has_v2(),
    'roots': [str(fs.root(i)) for i in range(fs.num_files())],
    'name': ti.name(),
    'pieceLength': ti.piece_length(),
    'pieceCount': ti.num_pieces(),
    'length': ti.total_size(),
    'private': ti.priv(),
    'files': [[fs.file_path(i), fs.file_size(i), fs.file_offset(i), bool(fs.file_flags(i) & lt.file_storage.flag_pad_file)] for i in range(fs.num_files())],
    'pieces': [ti.hash_for_piece(i).hex() for i in range(ti.num_pieces())],
    'tiers': [tiers[tier] for tier in sorted(tiers)],
    'webSeeds': [seed['url'] for seed in ti.web_seeds()],
}))
`;

interface LibtorrentReport {
  infoHash: string;
  infoHashV2: string;
  hasV1: boolean;
  hybrid: boolean;
  roots: string[];
  name: string;
  pieceLength: number;
  pieceCount: number;
  length: number;
  private: boolean;
  files: [string, number, number, boolean][];
  pieces: string[];
  tiers: string[][];
  webSeeds: string[];
}

function report(path: string): LibtorrentReport {
  return JSON.parse(
    execFileSync(python!, ['-c', REPORT, path], { encoding: 'utf8' }),
  ) as LibtorrentReport;
}

function expectSameAsLibtorrent(ours: Metainfo, theirs: LibtorrentReport): void {
  expect(ours.infoHashHex).toBe(theirs.infoHash);
  expect(ours.name).toBe(theirs.name);
  expect(ours.pieceLength).toBe(theirs.pieceLength);
  expect(ours.pieceCount).toBe(theirs.pieceCount);
  expect(ours.length).toBe(theirs.length);
  expect(ours.private).toBe(theirs.private);
  expect(
    ours.files.map((file, index) => [
      (ours.multiFile ? [ours.name, ...file.path] : file.path).join('/'),
      file.length,
      file.offset,
      ours.files[index]!.padding,
    ]),
  ).toEqual(theirs.files);
  expect(Array.from({ length: ours.pieceCount }, (_, i) => toHex(pieceHash(ours, i)))).toEqual(
    theirs.pieces,
  );
  // libtorrent shuffles the trackers inside a tier, as BEP 12 asks clients to.
  const sortTiers = (tiers: string[][]): string[][] => tiers.map((tier) => [...tier].sort());
  expect(sortTiers(ours.announce)).toEqual(sortTiers(theirs.tiers));
  expect(ours.urlList).toEqual(theirs.webSeeds);
}

/** The v2 side against libtorrent's: info-hash, each file's merkle root, and our piece hashes of the real bytes against the layers it wrote. */
function expectV2SameAsLibtorrent(ours: Metainfo, theirs: LibtorrentReport, folder: string): void {
  const v2 = ours.v2!;
  expect(v2.infoHashHex).toBe(theirs.infoHashV2);
  const theirRoots = theirs.files
    .map((file, index) => ({ pad: file[3], root: theirs.roots[index]! }))
    .filter((file) => !file.pad)
    .map((file) => (/^0+$/.test(file.root) ? undefined : file.root));
  expect(v2.files.map((file) => (file.piecesRoot ? toHex(file.piecesRoot) : undefined))).toEqual(
    theirRoots,
  );
  for (const file of v2.files) {
    if (file.length === 0) continue;
    const bytes = readFileSync(join(folder, ...file.path));
    const leaves = blockHashes(bytes);
    const layer = v2.pieceLayers.get(toHex(file.piecesRoot!));
    const perPiece = (ours.pieceLength / 16384) * 32;
    for (let piece = 0; piece < file.pieceCount; piece++) {
      const computed = toHex(
        pieceRootFromLeaves(
          leaves.subarray(piece * perPiece, (piece + 1) * perPiece),
          ours.pieceLength,
          file.length,
        ),
      );
      const expected = layer
        ? toHex(layer.subarray(piece * 32, piece * 32 + 32))
        : toHex(file.piecesRoot!);
      expect(computed).toBe(expected);
    }
  }
}

let root: string;
let tree: string;

beforeAll(async () => {
  root = await makeTempDir('bt-metainfo-libtorrent-');
  tree = join(root, 'Ünïcödé tree');
  await writeTree(tree);
});
afterAll(removeTempDirs);

describe.skipIf(!python)('libtorrent', () => {
  it('hybrid v1/v2 torrents with padding files read the same as libtorrent reads them', async () => {
    const out = join(root, 'lt-hybrid.torrent');
    execFileSync(python!, ['-c', CREATE, tree, root, out, 'hybrid']);
    const ours = parseTorrent(await readFile(out));
    const theirs = report(out);
    expect(theirs.hybrid).toBe(true);
    expect(ours.hybrid).toBe(true);
    expect(ours.files.some((file) => file.padding)).toBe(true);
    expectSameAsLibtorrent(ours, theirs);
  });

  it('hybrid torrents carry the v2 side as libtorrent reads it: v2 info-hash, file roots, piece layers', async () => {
    const out = join(root, 'lt-hybrid-v2.torrent');
    execFileSync(python!, ['-c', CREATE, tree, root, out, 'hybrid', '32768']);
    const ours = parseTorrent(await readFile(out));
    const theirs = report(out);
    expect(ours.version).toBe('hybrid');
    expectV2SameAsLibtorrent(ours, theirs, tree);
    expectSameAsLibtorrent(ours, theirs);
  });

  it('v2-only torrents (odd sizes, an empty file, a file of one block) read as libtorrent reads them', async () => {
    for (const pieceLength of [16384, 65536]) {
      const out = join(root, `lt-v2-${pieceLength}.torrent`);
      execFileSync(python!, ['-c', CREATE, tree, root, out, 'v2', String(pieceLength)]);
      const ours = parseTorrent(await readFile(out));
      const theirs = report(out);
      expect(theirs.hasV1).toBe(false);
      expect(ours.version).toBe('v2');
      expect(ours.pieces.length).toBe(0);
      // Peers and trackers know a v2-only torrent by its info-hash truncated to 20 bytes.
      expect(ours.infoHashHex).toBe(theirs.infoHashV2.slice(0, 40));
      expect(ours.pieceCount).toBe(theirs.pieceCount);
      expectV2SameAsLibtorrent(ours, theirs, tree);
      // The v1 view, padding files included: libtorrent's.
      expect(
        ours.files.map((file) => [
          [ours.name, ...file.path].join('/'),
          file.length,
          file.offset,
          file.padding,
        ]),
      ).toEqual(theirs.files);
      expect(ours.length).toBe(theirs.length);
    }
  });

  it('v2-only single-file torrents read as libtorrent reads them', async () => {
    const out = join(root, 'lt-v2-single.torrent');
    execFileSync(python!, ['-c', CREATE, join(tree, 'a.bin'), tree, out, 'v2', '32768']);
    const ours = parseTorrent(await readFile(out));
    const theirs = report(out);
    expect(ours.multiFile).toBe(false);
    expect(ours.files.map((file) => [file.path.join('/'), file.length])).toEqual([
      ['a.bin', 300_000],
      ['.pad/27680', 27_680],
    ]);
    expect(ours.length).toBe(theirs.length);
    expectV2SameAsLibtorrent(ours, theirs, tree);
  });

  it('v1-only private torrents read the same as libtorrent reads them', async () => {
    const out = join(root, 'lt-v1.torrent');
    execFileSync(python!, ['-c', CREATE, tree, root, out, 'v1']);
    const ours = parseTorrent(await readFile(out));
    const theirs = report(out);
    expect(theirs.hybrid).toBe(false);
    expectSameAsLibtorrent(ours, theirs);
    expect(ours.private).toBe(true);
  });

  it('v2 and hybrid torrents we create are byte for byte the info dictionaries libtorrent creates', async () => {
    for (const version of ['v2', 'hybrid'] as const) {
      for (const [input, parent] of [
        [tree, root],
        [join(tree, 'a.bin'), tree],
      ] as const) {
        const { torrent, metainfo } = await createTorrent(input, {
          version,
          pieceLength: 32768,
          creationDate: null,
          createdBy: '',
        });
        const out = join(root, `lt-same-${version}.torrent`);
        execFileSync(python!, ['-c', CREATE, input, parent, out, version, '32768']);
        const theirs = report(out);
        expect(metainfo.version).toBe(version);
        expect(metainfo.v2!.infoHashHex).toBe(theirs.infoHashV2);
        if (version === 'hybrid') expect(metainfo.infoHashHex).toBe(theirs.infoHash);
        const ours = join(root, `ours-${version}.torrent`);
        await writeFile(ours, torrent);
        // libtorrent loads ours (it checks the piece layers against the roots) the same way.
        const loaded = report(ours);
        expect(loaded.infoHashV2).toBe(theirs.infoHashV2);
        expect(loaded.roots).toEqual(theirs.roots);
        expect(loaded.files).toEqual(theirs.files);
      }
    }
  });

  it('accepts torrents we create, with the same info-hash, files and piece hashes', async () => {
    for (const [input, name] of [
      [tree, 'ours-multi.torrent'],
      [join(tree, 'a.bin'), 'ours-single.torrent'],
    ] as const) {
      const { torrent, metainfo } = await createTorrent(input, {
        trackers: [
          ['http://a.example/announce', 'http://b.example/announce'],
          'udp://c.example:80',
        ],
        webSeeds: ['http://seed.example/'],
        private: true,
      });
      const out = join(root, name);
      await writeFile(out, torrent);
      expectSameAsLibtorrent(metainfo, report(out));
    }
  });
});
