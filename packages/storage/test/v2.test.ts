/**
 * BEP 52 v2-only torrents in the storage, against torrents libtorrent (Debian
 * `python3-libtorrent`) creates: a recheck of libtorrent's own files finds every piece good
 * (our merkle piece hashes agree with the piece layers it wrote), a download piece by piece
 * writes the files byte for byte and never a padding byte, and a corrupted piece is refused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Metainfo, parseTorrent, pieceSize } from '@bt/metainfo';
import { makeTempDir, removeTempDirs, requireLibtorrentPython } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStorage, createHashPool } from '../src/index.js';

const python = requireLibtorrentPython();
const pool = createHashPool({ size: 2 });

const CREATE = `
import sys, libtorrent as lt
source, parent, out, piece = sys.argv[1:5]
fs = lt.file_storage()
lt.add_files(fs, source)
t = lt.create_torrent(fs, int(piece), flags=lt.create_torrent.v2_only)
lt.set_piece_hashes(t, parent)
open(out, 'wb').write(lt.bencode(t.generate()))
`;

/** Files with odd sizes, an empty one, one of exactly one block, one larger than several pieces. */
const FILES: [string, number][] = [
  ['big.bin', 300_001],
  ['empty', 0],
  ['one-block', 16384],
  ['sub/small.txt', 777],
  ['sub/two-pieces', 65536 + 1],
];

function contentOf(path: string, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = path.length * 2654435761;
  for (let i = 0; i < length; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

let root: string;
let metainfo: Metainfo;
let source: string;

beforeAll(async () => {
  if (!python) return;
  root = await makeTempDir('bt-storage-v2-');
  source = join(root, 'seed');
  for (const [path, length] of FILES) {
    const full = join(source, 'payload', ...path.split('/'));
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, contentOf(path, length));
  }
  const out = join(root, 'v2.torrent');
  execFileSync(python, ['-c', CREATE, join(source, 'payload'), source, out, '65536']);
  metainfo = parseTorrent(await readFile(out));
});
afterAll(async () => {
  await pool.close();
  await removeTempDirs();
});

/** The bytes of piece `index` in the v1 view: the file's bytes, then zeros for padding. */
function pieceBytes(index: number): Uint8Array {
  const bytes = new Uint8Array(pieceSize(metainfo, index));
  const start = index * metainfo.pieceLength;
  for (const file of metainfo.files) {
    if (file.padding || file.length === 0) continue;
    const from = Math.max(start, file.offset);
    const to = Math.min(start + bytes.length, file.offset + file.length);
    if (from >= to) continue;
    const content = contentOf(file.path.join('/'), file.length);
    bytes.set(content.subarray(from - file.offset, to - file.offset), from - start);
  }
  return bytes;
}

describe.skipIf(!python)('v2-only torrents made by libtorrent', () => {
  it('a recheck of libtorrent’s files finds every piece good', async () => {
    expect(metainfo.version).toBe('v2');
    const storage = await createFileStorage({
      layout: metainfo,
      directory: source,
      hashPool: pool,
      readOnly: true,
    });
    try {
      const have = await storage.recheck();
      expect(have.count).toBe(metainfo.pieceCount);
    } finally {
      await storage.close();
    }
  });

  it('a download piece by piece writes every file byte for byte; a corrupted piece is refused', async () => {
    const directory = join(root, 'download');
    const storage = await createFileStorage({ layout: metainfo, directory, hashPool: pool });
    try {
      for (let index = 0; index < metainfo.pieceCount; index++) {
        const bytes = pieceBytes(index);
        const bad = bytes.slice();
        bad[0]! ^= 0xff;
        for (let offset = 0; offset < bytes.length; offset += 16384)
          await storage.writeBlock(index, offset, bad.subarray(offset, offset + 16384));
        expect(await storage.verifyPiece(index)).toEqual({ index, ok: false });
        // Again, right this time.
        for (let offset = 0; offset < bytes.length; offset += 16384)
          await storage.writeBlock(index, offset, bytes.subarray(offset, offset + 16384));
        expect(await storage.verifyPiece(index)).toEqual({ index, ok: true });
      }
      await storage.flush();
    } finally {
      await storage.close();
    }
    for (const [path, length] of FILES) {
      const full = join(directory, 'payload', ...path.split('/'));
      expect(new Uint8Array(await readFile(full))).toEqual(contentOf(path, length));
    }
    expect(existsSync(join(directory, 'payload', '.pad'))).toBe(false);
  });
});
