/**
 * Disk errors surface as typed errors, never crashes, and never hurt verified data: a file size
 * limit (EFBIG, via `prlimit --fsize` on a child process), a full disk (a tiny tmpfs, ENOSPC)
 * and a folder turned read-only under a running download (tmpfs remounted `ro`, EROFS: as root,
 * chmod would not stop us). The tmpfs cases need `mount` (root with CAP_SYS_ADMIN).
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  bundleScript,
  isCI,
  makeTempDir,
  releaseMount,
  removeTempDirs,
  requireProgram,
  startProcess,
  trackMount,
  waitForExit,
} from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStorage, createHashPool, StorageError, type Storage } from '../src/index.js';
import { makeTorrent, type TestTorrent } from './make-layout.js';

const mounts: string[] = [];
const pool = createHashPool({ size: 2 });

function tryMount(directory: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', directory], {
      stdio: 'pipe',
    });
    mounts.push(directory);
    trackMount(directory); // unmounted even if this run is killed
    return true;
  } catch {
    return false;
  }
}

async function canMount(): Promise<boolean> {
  const probe = await makeTempDir('bt-mount-probe-');
  const ok = tryMount(probe, '64k');
  if (!ok) {
    // A missing privilege, not a missing program: say so loudly and rely on the file size limit
    // test above, which covers "no space" without mounting anything.
    const message =
      'cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): the full-disk and read-only folder tests do not run; the file size limit test still covers "no space"';
    process.stderr.write(`\n\x1b[33m!!! SKIPPING${isCI() ? ' (CI)' : ''}: ${message}\x1b[0m\n\n`);
  }
  return ok;
}

afterAll(async () => {
  await pool.close();
  for (const directory of mounts.reverse()) {
    try {
      execFileSync('umount', ['-l', directory], { stdio: 'pipe' });
    } catch {
      // already gone
    }
    releaseMount(directory);
  }
  await removeTempDirs();
});

async function downloadAll(storage: Storage, torrent: TestTorrent) {
  const complete: number[] = [];
  const errors: StorageError[] = [];
  for (let index = 0; index < storage.pieceCount; index++) {
    const start = index * torrent.layout.pieceLength;
    const end = Math.min(torrent.layout.length, start + torrent.layout.pieceLength);
    try {
      await storage.writeBlock(index, 0, torrent.data.slice(start, end));
      if ((await storage.verifyPiece(index)).ok) complete.push(index);
    } catch (error) {
      expect(StorageError.isInstance(error), String(error)).toBe(true);
      errors.push(error as StorageError);
    }
  }
  return { complete, errors };
}

const prlimit = requireProgram('prlimit', 'util-linux');

describe.skipIf(!prlimit)('file size limit (EFBIG)', () => {
  it('reports no-space for pieces past the limit, keeps the rest, does not crash', async () => {
    const script = await bundleScript(join(import.meta.dirname, 'error-writer.ts'));
    const work = await makeTempDir('bt-fsize-');
    const torrent = makeTorrent({ name: 'big.bin', pieceLength: 16384, length: 1_000_000 });
    await writeFile(
      join(work, 'layout.json'),
      JSON.stringify({
        ...torrent.layout,
        pieces: Buffer.from(torrent.layout.pieces).toString('hex'),
      }),
    );
    await writeFile(join(work, 'source.bin'), torrent.data);
    const writer = startProcess(prlimit as string, [
      '--fsize=300000',
      process.execPath,
      script,
      join(work, 'layout.json'),
      join(work, 'source.bin'),
      join(work, 'dl'),
    ]);
    let stderr = '';
    writer.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const status = await waitForExit(writer);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const out = writer.output(); // stdout alone, stderr being empty
    expect(out).toContain('exit-ok');
    const complete = [...out.matchAll(/^complete (\d+)$/gm)].map((match) => Number(match[1]));
    const errors = [...out.matchAll(/^error (\d+) (\S+) (\S+)$/gm)];
    // 300000 bytes hold 18 whole pieces of 16 KiB.
    expect(complete).toEqual([...Array(18).keys()]);
    expect(errors.length).toBe(torrent.layout.pieces.length / 20 - 18);
    expect(errors.every((match) => match[2] === 'no-space' && match[3] === 'EFBIG')).toBe(true);
    const recheck = /^recheck (.*)$/m.exec(out)?.[1]?.split(',').map(Number);
    expect(recheck).toEqual(complete);
  });
});

describe('tmpfs', () => {
  let mountable = false;
  beforeAll(async () => {
    mountable = await canMount();
  });

  it('a full disk: no-space errors, verified pieces intact', async (context) => {
    if (!mountable) context.skip();
    const directory = await makeTempDir('bt-full-');
    expect(tryMount(directory, '256k')).toBe(true);
    const torrent = makeTorrent({
      name: 't',
      pieceLength: 32768,
      files: [
        { path: ['a'], length: 200_000 },
        { path: ['b'], length: 300_000 },
      ],
    });
    const storage = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      checkpointInterval: 0,
    });
    const { complete, errors } = await downloadAll(storage, torrent);
    expect(errors.length).toBeGreaterThan(0);
    expect(
      errors.every((error) => error.code === 'no-space' && error.systemCode === 'ENOSPC'),
    ).toBe(true);
    expect(complete.length).toBeGreaterThan(3);
    await storage.close().catch(() => undefined);
    const reader = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      readOnly: true,
    });
    const verified = await reader.recheck();
    for (const index of complete) expect(verified.has(index)).toBe(true);
    await reader.close();
  });

  it('a read-only folder: resume finds the verified pieces, writes fail with permission-denied', async (context) => {
    if (!mountable) context.skip();
    const directory = await makeTempDir('bt-ro-');
    expect(tryMount(directory, '4m')).toBe(true);
    const torrent = makeTorrent({
      name: 't',
      pieceLength: 16384,
      files: [
        { path: ['a'], length: 100_000 },
        { path: ['d', 'b'], length: 100_000 },
      ],
    });
    const first = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      checkpointInterval: 0,
    });
    const half = Math.floor(first.pieceCount / 2);
    for (let index = 0; index < half; index++) {
      const start = index * torrent.layout.pieceLength;
      await first.writeBlock(
        index,
        0,
        torrent.data.slice(start, start + torrent.layout.pieceLength),
      );
      expect((await first.verifyPiece(index)).ok).toBe(true);
    }
    await first.close();
    // Writers are gone: the folder can turn read-only (chmod would not stop root).
    execFileSync('mount', ['-o', 'remount,ro', directory]);
    const storage = await createFileStorage({
      layout: torrent.layout,
      directory,
      hashPool: pool,
      checkpointInterval: 0,
    });
    expect((await storage.recheck()).indices()).toEqual([...Array(half).keys()]);
    const errors: unknown[] = [];
    for (let index = half; index < storage.pieceCount; index++) {
      const start = index * torrent.layout.pieceLength;
      const end = Math.min(torrent.layout.length, start + torrent.layout.pieceLength);
      await storage.writeBlock(index, 0, torrent.data.slice(start, end));
      await storage.verifyPiece(index).catch((error: unknown) => errors.push(error));
    }
    expect(errors.length).toBe(storage.pieceCount - half);
    for (const error of errors)
      expect(error).toMatchObject({ code: 'permission-denied', systemCode: 'EROFS' });
    expect(storage.completePieces().indices()).toEqual([...Array(half).keys()]);
    expect(await storage.readBlock(0, 0, 100)).toEqual(torrent.data.slice(0, 100));
    await storage.close();
    // Starting a torrent that must create a file there fails with a typed error too.
    const withEmpty = makeTorrent({
      name: 'u',
      pieceLength: 16,
      files: [
        { path: ['x'], length: 20 },
        { path: ['empty'], length: 0 },
      ],
    });
    await expect(
      createFileStorage({ layout: withEmpty.layout, directory, hashPool: pool }),
    ).rejects.toMatchObject({
      code: 'permission-denied',
    });
  });
});
