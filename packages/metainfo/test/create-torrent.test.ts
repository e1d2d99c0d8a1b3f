import { createHash } from 'node:crypto';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '@bt/bencode';
import { createTorrent } from '../src/node.js';
import {
  choosePieceLength,
  CreateTorrentError,
  filesInPiece,
  parseTorrent,
  pieceHash,
  pieceSize,
} from '../src/index.js';
import { hashPieces, planJobs } from '../src/node/piece-hashing.js';
import { pseudoRandomBytes, TREE, writeTree } from './helpers.js';

let root: string;
let tree: string;

beforeAll(async () => {
  root = await makeTempDir('bt-metainfo-create-');
  tree = join(root, 'tree');
  await writeTree(tree);
});
afterAll(removeTempDirs);

async function expectCreateError(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(CreateTorrentError.isInstance(error)).toBe(true);
    expect((error as CreateTorrentError).code).toBe(code);
    return;
  }
  throw new Error('expected a CreateTorrentError');
}

describe('createTorrent', () => {
  it('lists a folder in a deterministic order and hashes every piece correctly', async () => {
    const { torrent, metainfo } = await createTorrent(tree, {
      pieceLength: 16384,
      creationDate: null,
    });
    expect(metainfo.name).toBe('tree');
    expect(metainfo.files.map((file) => [file.path.join('/'), file.length])).toEqual(
      [...TREE].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    // Every piece hash equals a SHA-1 computed here over the concatenated files.
    const content = Buffer.concat(
      await Promise.all(metainfo.files.map((file) => readFile(join(tree, ...file.path)))),
    );
    for (let index = 0; index < metainfo.pieceCount; index++) {
      const start = index * metainfo.pieceLength;
      const expected = createHash('sha1')
        .update(content.subarray(start, start + pieceSize(metainfo, index)))
        .digest();
      expect(Buffer.from(pieceHash(metainfo, index)).equals(expected)).toBe(true);
      expect(filesInPiece(metainfo, index).reduce((sum, range) => sum + range.length, 0)).toBe(
        pieceSize(metainfo, index),
      );
    }
    // Reproducible without a date; canonical bencode.
    const again = await createTorrent(tree, { pieceLength: 16384, creationDate: null, workers: 1 });
    expect(Buffer.from(again.torrent).equals(Buffer.from(torrent))).toBe(true);
    expect(() => decode(torrent, { strict: true })).not.toThrow();
  });

  it('writes every option where it belongs', async () => {
    const { torrent, metainfo } = await createTorrent(tree, {
      name: 'renamed',
      trackers: [['http://a/announce', 'http://b/announce'], 'udp://c:80/announce'],
      webSeeds: ['http://seed.example/'],
      private: true,
      comment: 'a comment',
      source: 'SRC',
      createdBy: 'tests',
      creationDate: new Date(1_700_000_000_000),
    });
    expect(metainfo).toMatchObject({
      name: 'renamed',
      announce: [['http://a/announce', 'http://b/announce'], ['udp://c:80/announce']],
      urlList: ['http://seed.example/'],
      private: true,
      comment: 'a comment',
      source: 'SRC',
      createdBy: 'tests',
      creationDate: 1_700_000_000,
    });
    const top = decode(torrent) as Map<string, unknown>;
    expect(new TextDecoder().decode(top.get('announce') as Uint8Array)).toBe('http://a/announce');
    // The source and private flag are inside info: they change the info-hash.
    const plain = await createTorrent(tree, { name: 'renamed' });
    expect(plain.metainfo.infoHashHex).not.toBe(metainfo.infoHashHex);
  });

  it('creates single-file torrents and explicit file lists', async () => {
    const single = await createTorrent(join(tree, 'a.bin'));
    expect(single.metainfo.multiFile).toBe(false);
    expect(single.metainfo.files).toEqual([
      { path: ['a.bin'], length: 300_000, offset: 0, padding: false },
    ]);
    const listed = await createTorrent({
      name: 'picked',
      files: [
        { path: ['second'], source: join(tree, 'z-last', 'one') },
        { path: ['first', 'a'], source: join(tree, 'a.bin') },
      ],
    });
    expect(listed.metainfo.files.map((file) => file.path.join('/'))).toEqual(['second', 'first/a']);
  });

  it('creates v2 and hybrid torrents: files in tree order, hashing reported to the end', async () => {
    const list = {
      name: 'picked',
      files: [
        { path: ['second'], source: join(tree, 'z-last', 'one') },
        { path: ['first', 'a'], source: join(tree, 'a.bin') },
      ],
    };
    for (const version of ['v2', 'hybrid'] as const) {
      const seen: [number, number][] = [];
      const { metainfo } = await createTorrent(list, {
        version,
        pieceLength: 65536,
        onProgress: ({ hashedBytes, totalBytes }) => seen.push([hashedBytes, totalBytes]),
      });
      expect(metainfo.version).toBe(version);
      expect(metainfo.v2!.files.map((file) => file.path.join('/'))).toEqual(['first/a', 'second']);
      expect(metainfo.v2!.pieceLayers.size).toBe(1);
      const [done, total] = seen.at(-1)!;
      expect(done).toBe(total);
      // A hybrid hashes twice: SHA-1 over the padded v1 view, then the v2 leaves.
      expect(total).toBe(version === 'v2' ? 300_001 : 6 * 65536 + 300_001);
    }
    await expectCreateError(
      createTorrent(
        {
          name: 'clash',
          files: [
            { path: ['a'], source: join(tree, 'a.bin') },
            { path: ['a', 'b'], source: join(tree, 'a.bin') },
          ],
        },
        { version: 'v2' },
      ),
      'invalid-option',
    );
  });

  it('follows links to files and skips links to folders', async () => {
    const folder = join(root, 'links');
    await writeTree(folder, [['real.bin', 100]]);
    await symlink(join(folder, 'real.bin'), join(folder, 'link-to-file'));
    await symlink(folder, join(folder, 'loop'));
    const { metainfo } = await createTorrent(folder);
    expect(metainfo.files.map((file) => file.path.join('/'))).toEqual(['link-to-file', 'real.bin']);
  });

  it('reports progress up to the total', async () => {
    const seen: number[] = [];
    await createTorrent(tree, {
      pieceLength: 16384,
      onProgress: ({ hashedBytes, totalBytes }) => {
        expect(totalBytes).toBe(metainfoLength());
        seen.push(hashedBytes);
      },
    });
    expect(seen.at(-1)).toBe(metainfoLength());
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('refuses bad input with typed errors', async () => {
    await expectCreateError(createTorrent(join(root, 'missing')), 'read-failed');
    await expectCreateError(createTorrent(tree, { pieceLength: 1000 }), 'invalid-option');
    await expectCreateError(createTorrent(tree, { pieceLength: 8192 }), 'invalid-option');
    await expectCreateError(createTorrent(tree, { trackers: ['not a url'] }), 'invalid-option');
    await expectCreateError(createTorrent(join(tree, 'empty.txt')), 'no-files');
    await expectCreateError(createTorrent(tree, { name: '' }), 'invalid-option');
  });

  it('stops when aborted, before or during hashing', async () => {
    const big = join(root, 'big.bin');
    await writeFile(big, pseudoRandomBytes(6 * 1024 * 1024, 9));
    await expect(createTorrent(big, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
    const controller = new AbortController();
    await expect(
      createTorrent(big, {
        pieceLength: 16384,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    ).rejects.toThrow(/abort/i);
  });
});

function metainfoLength(): number {
  return TREE.reduce((sum, [, size]) => sum + size, 0);
}

describe('hash pool', () => {
  it('detects a file that is shorter than listed', async () => {
    const path = join(root, 'short.bin');
    await writeFile(path, pseudoRandomBytes(1000, 3));
    const { jobs, totalPieces } = planJobs([{ source: path, length: 40_000 }], 16384);
    await expect(hashPieces(jobs, totalPieces, { pieceLength: 16384 })).rejects.toMatchObject({
      code: 'file-changed',
      path,
    });
  });

  it('passes on an error thrown by the progress callback', async () => {
    await expect(
      createTorrent(tree, {
        onProgress: () => {
          throw new Error('from the callback');
        },
      }),
    ).rejects.toThrow('from the callback');
  });

  it('plans jobs of whole pieces covering every byte once', () => {
    const files = [
      { source: 'a', length: 10 },
      { source: 'b', length: 0 },
      { source: 'c', length: 25 },
    ];
    const { jobs, totalPieces } = planJobs(files, 8, 16);
    expect(totalPieces).toBe(5);
    expect(jobs.map((job) => [job.firstPiece, job.pieceCount, job.byteLength])).toEqual([
      [0, 2, 16],
      [2, 2, 16],
      [4, 1, 3],
    ]);
    expect(jobs[0]!.segments).toEqual([
      { path: 'a', fileOffset: 0, length: 10 },
      { path: 'c', fileOffset: 0, length: 6 },
    ]);
  });

  it('chooses piece lengths like mainstream creators', () => {
    expect(choosePieceLength(1)).toBe(16384);
    expect(choosePieceLength(2 ** 30)).toBe(2 ** 20);
    expect(choosePieceLength(2 ** 30) * 1000).toBeLessThanOrEqual(2 ** 30);
    expect(choosePieceLength(2 ** 45)).toBe(16 * 2 ** 20);
    for (let size = 2 ** 25; size < 2 ** 34; size *= 1.7) {
      const count = Math.ceil(size / choosePieceLength(size));
      expect(count).toBeGreaterThan(1000);
      expect(count).toBeLessThanOrEqual(2000);
    }
  });
});

describe('parse of created torrents', () => {
  it('parses what it creates', async () => {
    const { torrent, metainfo } = await createTorrent(tree);
    expect(parseTorrent(torrent).infoHashHex).toBe(metainfo.infoHashHex);
  });
});
