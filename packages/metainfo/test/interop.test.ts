/**
 * Interop: torrents made by creators nobody here wrote (mktorrent, transmission-create, npm
 * create-torrent) must read the same with our parser as with transmission-show and npm
 * parse-torrent; torrents we create must be accepted by both with the same info-hash.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs, requireProgram } from '@bt/test-support';
import createTorrentNpm from 'create-torrent';
import parseTorrentNpm from 'parse-torrent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Metainfo, parseTorrent, pieceHash } from '../src/index.js';
import { createTorrent } from '../src/node.js';
import { toHex } from '@bt/primitives';
import { TREE, writeTree } from './helpers.js';

const mktorrent = requireProgram('mktorrent');
const transmissionCreate = requireProgram('transmission-create', 'transmission-cli');
const transmissionShow = requireProgram('transmission-show', 'transmission-cli');

let root: string;
let tree: string;
let single: string;

beforeAll(async () => {
  root = await makeTempDir('bt-metainfo-interop-');
  tree = join(root, 'Ünïcödé tree');
  await writeTree(tree);
  single = join(root, 'single file.bin');
  await writeTree(root, [['single file.bin', 1_234_567]]);
});
afterAll(removeTempDirs);

interface ShowReport {
  hash: string;
  pieceCount: number;
  privateTorrent: boolean;
  files: string[];
  tiers: string[][];
  webSeeds: string[];
}

/** Reads transmission-show's text report. */
function show(path: string): ShowReport {
  const text = execFileSync(transmissionShow!, [path], { encoding: 'utf8' });
  const hash = /^\s*Hash: ([0-9a-f]{40})$/m.exec(text)?.[1];
  const pieceCount = Number(/^\s*Piece Count: (\d+)$/m.exec(text)?.[1]);
  const files = text
    .slice(text.indexOf('\nFILES'))
    .split('\n')
    .map((line) => /^ {2}(.+) \([\d.]+ \w+\)$/.exec(line)?.[1])
    .filter((line): line is string => line !== undefined);
  const tiers: string[][] = [];
  const webSeeds: string[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    if (/^[A-Z]+$/.test(line)) section = line;
    else if (section === 'TRACKERS' && /^\s*Tier #\d+/.test(line)) tiers.push([]);
    else if (section === 'TRACKERS' && /^\s+\S+:\/\//.test(line))
      tiers[tiers.length - 1]!.push(line.trim());
    else if (section === 'WEBSEEDS' && /^\s+\S+:\/\//.test(line)) webSeeds.push(line.trim());
  }
  return {
    hash: hash ?? '',
    pieceCount,
    privateTorrent: /Privacy: Private torrent/.test(text),
    files,
    tiers,
    webSeeds,
  };
}

interface NpmParsed {
  infoHash: string;
  name: string;
  length: number;
  pieceLength: number;
  pieces: string[];
  files: { path: string; length: number; offset: number }[];
  announce: string[];
  urlList: string[];
  private?: boolean;
}

/** Checks our reading of `path` against transmission-show and npm parse-torrent. */
async function compareWithReferences(path: string): Promise<Metainfo> {
  const bytes = await readFile(path);
  const ours = parseTorrent(bytes);
  const reference = (await parseTorrentNpm(bytes)) as unknown as NpmParsed;
  const report = show(path);

  expect(ours.infoHashHex).toBe(report.hash);
  expect(ours.infoHashHex).toBe(reference.infoHash);
  expect(ours.name).toBe(reference.name);
  expect(ours.length).toBe(reference.length);
  expect(ours.pieceLength).toBe(reference.pieceLength);
  expect(ours.pieceCount).toBe(report.pieceCount);
  expect(Array.from({ length: ours.pieceCount }, (_, i) => toHex(pieceHash(ours, i)))).toEqual(
    reference.pieces,
  );
  const ourFiles = ours.files.map((file) => ({
    path: (ours.multiFile ? [ours.name, ...file.path] : file.path).join('/'),
    length: file.length,
    offset: file.offset,
  }));
  expect(ourFiles).toEqual(
    reference.files.map((file) => ({ path: file.path, length: file.length, offset: file.offset })),
  );
  // transmission-show leaves out empty files in some versions; every file it lists is ours.
  const nonEmpty = ourFiles.filter((file) => file.length > 0).map((file) => file.path);
  expect([...report.files].sort()).toEqual(expect.arrayContaining([...nonEmpty].sort()));
  expect(report.files.every((file) => ourFiles.some((ourFile) => ourFile.path === file))).toBe(
    true,
  );
  expect(ours.announce).toEqual(report.tiers);
  expect(ours.announce.flat()).toEqual(reference.announce);
  expect(ours.urlList).toEqual(reference.urlList);
  expect(ours.urlList).toEqual(report.webSeeds);
  expect(ours.private).toBe(report.privateTorrent);
  return ours;
}

function expectedTreeFiles(name: string): string[] {
  return TREE.map(([path]) => `${name}/${path}`).sort();
}

describe.skipIf(!mktorrent || !transmissionShow)('torrents made by mktorrent', () => {
  it('single file, several tiers, a web seed', async () => {
    const out = join(root, 'mk-single.torrent');
    execFileSync(mktorrent!, [
      '-l',
      '15',
      '-a',
      'http://a.example/announce,http://b.example/announce',
      '-a',
      'udp://c.example:80',
      '-w',
      'http://seed.example/file',
      '-o',
      out,
      single,
    ]);
    const ours = await compareWithReferences(out);
    expect(ours.multiFile).toBe(false);
    expect(ours.announce).toEqual([
      ['http://a.example/announce', 'http://b.example/announce'],
      ['udp://c.example:80'],
    ]);
  });

  it('multi-file with nested folders, empty files and Unicode names, private, with comment', async () => {
    const out = join(root, 'mk-multi.torrent');
    execFileSync(mktorrent!, [
      '-l',
      '15',
      '-p',
      '-c',
      'kommentar ü',
      '-a',
      'http://a.example/announce',
      '-o',
      out,
      tree,
    ]);
    const ours = await compareWithReferences(out);
    expect(ours.private).toBe(true);
    expect(ours.comment).toBe('kommentar ü');
    expect(ours.files.map((file) => `${ours.name}/${file.path.join('/')}`).sort()).toEqual(
      expectedTreeFiles('Ünïcödé tree'),
    );
  });
});

describe.skipIf(!transmissionCreate || !transmissionShow)(
  'torrents made by transmission-create',
  () => {
    it('single file', async () => {
      const out = join(root, 'tc-single.torrent');
      execFileSync(
        transmissionCreate!,
        ['-o', out, '-s', '64', '-t', 'http://a.example/announce', single],
        { stdio: 'ignore' },
      );
      await compareWithReferences(out);
    });

    it('multi-file, private, two tiers', async () => {
      const out = join(root, 'tc-multi.torrent');
      execFileSync(
        transmissionCreate!,
        [
          '-o',
          out,
          '-p',
          '-s',
          '32',
          '-t',
          'http://a.example/announce',
          '-t',
          'udp://b.example:6969',
          '-c',
          'made by transmission',
          tree,
        ],
        { stdio: 'ignore' },
      );
      const ours = await compareWithReferences(out);
      expect(ours.private).toBe(true);
      expect(ours.announce).toEqual([['http://a.example/announce'], ['udp://b.example:6969']]);
    });
  },
);

function npmCreate(input: string, options: Record<string, unknown>): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    createTorrentNpm(input, options, (error: Error | null, torrent: Uint8Array) => {
      if (error) reject(error);
      else resolve(torrent);
    });
  });
}

describe.skipIf(!transmissionShow)('torrents made by npm create-torrent', () => {
  it('single file and multi-file with tiers and web seeds', async () => {
    for (const [input, name] of [
      [single, 'npm-single.torrent'],
      [tree, 'npm-multi.torrent'],
    ] as const) {
      const out = join(root, name);
      const bytes = await npmCreate(input, {
        announceList: [['http://a.example/announce'], ['udp://b.example:1', 'udp://c.example:2']],
        urlList: ['http://seed.example/'],
        pieceLength: 16384,
        comment: 'npm',
      });
      await (await import('node:fs/promises')).writeFile(out, bytes);
      const ours = await compareWithReferences(out);
      expect(ours.comment).toBe('npm');
    }
  });
});

describe.skipIf(!transmissionShow || !mktorrent)('torrents we create', () => {
  it('are read alike by transmission-show and parse-torrent, and hash like mktorrent', async () => {
    for (const input of [single, tree]) {
      const { torrent, metainfo } = await createTorrent(input, {
        pieceLength: 32768,
        trackers: [
          ['http://a.example/announce', 'http://b.example/announce'],
          'udp://c.example:80',
        ],
        webSeeds: ['http://seed.example/'],
        comment: 'ours',
      });
      const out = join(root, `ours-${metainfo.name}.torrent`);
      await (await import('node:fs/promises')).writeFile(out, torrent);
      await compareWithReferences(out);
      // Same content, same piece length, no private flag: mktorrent writes the same info dictionary.
      const mk = join(root, `mk-${metainfo.name}.torrent`);
      execFileSync(mktorrent!, ['-l', '15', '-o', mk, input]);
      expect(parseTorrent(await readFile(mk)).infoHashHex).toBe(metainfo.infoHashHex);
    }
  });

  it('private torrents keep the flag for transmission', async () => {
    const { torrent } = await createTorrent(tree, {
      private: true,
      trackers: ['http://a.example/announce'],
    });
    const out = join(root, 'ours-private.torrent');
    await (await import('node:fs/promises')).writeFile(out, torrent);
    expect((await compareWithReferences(out)).private).toBe(true);
  });
});
