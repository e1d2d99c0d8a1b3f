/**
 * File selection against a seeder nobody here wrote (aria2c): only the chosen files exist at
 * the end, byte-exact; an unselected file is never created, its share of pieces shared with a
 * chosen file is in the part file; wanting a file mid-download fetches it (its part-file bytes
 * moved into place); a restart with fast resume and a selection neither re-downloads nor loses
 * the part file's bytes.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
} from '@bt/test-support';
import type { Metainfo } from '@bt/metainfo';
import { PART_FILE_NAME } from '@bt/storage';
import { createSession, folderResumeStore, type Session, type Torrent } from '../src/index.js';
import { makePayload, makeTorrent, sha1File, startAria2Seeder } from './helpers.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

const sessions: Session[] = [];
afterAll(async () => {
  await Promise.allSettled(sessions.map((s) => s.close()));
  await stopAllProcesses();
  await removeTempDirs();
});

const loopback = (port: number) => ({ host: '127.0.0.1', port, family: 4 as const });

// sizes that put every file boundary inside a 64 KiB piece
const FILES = [
  { path: 'a.bin', size: 300_001 },
  { path: 'b.bin', size: 200_000 },
  { path: 'c.bin', size: 500_003 },
  { path: 'd.bin', size: 210_000 },
];

async function fixture(): Promise<{
  seedDir: string;
  leechDir: string;
  metainfo: Metainfo;
  file: string;
  index: (path: string) => number;
}> {
  const seedDir = await makeTempDir();
  const leechDir = await makeTempDir();
  await makePayload(seedDir, 'multi', FILES);
  const { metainfo, file } = await makeTorrent(
    join(seedDir, 'multi'),
    join(seedDir, 'multi.torrent'),
  );
  const index = (path: string): number =>
    metainfo.files.findIndex((each) => each.path.join('/') === path);
  return { seedDir, leechDir, metainfo, file, index };
}

/** Resolves at the torrent's next `torrent-completed`. */
function nextCompletion(torrent: Torrent): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no torrent-completed in time')), PATIENCE_MS);
    const off = torrent.on('torrent-completed', () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

async function same(seedDir: string, leechDir: string, path: string): Promise<boolean> {
  return (
    (await sha1File(join(leechDir, 'multi', path))) ===
    (await sha1File(join(seedDir, 'multi', path)))
  );
}

describe.skipIf(!aria2 || !mktorrent)('file selection (aria2c seeding)', () => {
  it('downloads only the chosen files, and fetches a file wanted mid-download', async () => {
    const { seedDir, leechDir, metainfo, file, index } = await fixture();
    const seeder = await startAria2Seeder(file, seedDir, { uploadLimit: '1M' });
    const ours = await createSession({ port: 0, host: '127.0.0.1' });
    sessions.push(ours);
    const torrent = await ours.addTorrent(metainfo, {
      directory: leechDir,
      peers: [loopback(seeder.port)],
      selection: { wanted: [index('a.bin'), index('d.bin')] },
    });
    const firstDone = nextCompletion(torrent);
    // mid-download (after the first verified piece) c.bin is wanted too
    await new Promise<void>((resolve) => {
      const off = torrent.on('piece-verified', () => {
        off();
        resolve();
      });
    });
    await torrent.setFileWanted(index('c.bin'), true);
    await firstDone;
    expect(torrent.state).toBe('seeding');
    for (const path of ['a.bin', 'c.bin', 'd.bin'])
      expect(await same(seedDir, leechDir, path)).toBe(true);
    expect(existsSync(join(leechDir, 'multi', 'b.bin'))).toBe(false);
    // b.bin shares a piece with a.bin and with c.bin: its bytes there are in the part file
    expect(existsSync(join(leechDir, 'multi', PART_FILE_NAME))).toBe(true);
    const stats = torrent.stats();
    expect(stats.progress).toBe(1);
    expect(stats.wantedBytes).toBeLessThan(metainfo.length);
    expect(torrent.fileStats()[index('b.bin')]).toMatchObject({
      wanted: false,
      priority: 'normal',
    });

    // wanted after completion: the torrent downloads again, the shared bytes moved into place
    const secondDone = nextCompletion(torrent);
    await torrent.setFileWanted(index('b.bin'), true);
    expect(torrent.state).toBe('downloading');
    await secondDone;
    expect(await same(seedDir, leechDir, 'b.bin')).toBe(true);
    expect(torrent.stats()).toMatchObject({ progress: 1, verifiedBytes: metainfo.length });
    await seeder.process.stop();
  });

  it('wants a file that is read while unwanted, and the reader gets its bytes', async () => {
    const { seedDir, leechDir, metainfo, file, index } = await fixture();
    const seeder = await startAria2Seeder(file, seedDir, { uploadLimit: '4M' });
    const ours = await createSession({ port: 0, host: '127.0.0.1' });
    sessions.push(ours);
    const torrent = await ours.addTorrent(metainfo, {
      directory: leechDir,
      peers: [loopback(seeder.port)],
      selection: { wanted: [index('a.bin')] },
    });
    expect(torrent.fileStats()[index('c.bin')]!.wanted).toBe(false);
    const chunks: Buffer[] = [];
    for await (const chunk of torrent.createReadStream(index('c.bin')))
      chunks.push(chunk as Buffer);
    expect(torrent.fileStats()[index('c.bin')]!.wanted).toBe(true);
    const expected = await readFile(join(seedDir, 'multi', 'c.bin'));
    expect(Buffer.compare(Buffer.concat(chunks), expected)).toBe(0);
    await seeder.process.stop();
  });

  it('resumes with a selection: nothing fetched again, the part file bytes kept', async () => {
    const { seedDir, leechDir, metainfo, file, index } = await fixture();
    const stateDir = await makeTempDir();
    const seeder = await startAria2Seeder(file, seedDir);
    const selection = { wanted: [index('b.bin')] };
    const resumed: string[] = [];
    const open = async (): Promise<Session> => {
      const session = await createSession({
        port: 0,
        host: '127.0.0.1',
        resume: folderResumeStore(stateDir),
        onRecheck: (_, how) => resumed.push(how),
      });
      sessions.push(session);
      return session;
    };
    const first = await open();
    const torrent = await first.addTorrent(metainfo, {
      directory: leechDir,
      peers: [loopback(seeder.port)],
      selection,
    });
    await nextCompletion(torrent);
    const piecesHave = torrent.stats().piecesHave;
    await first.close();
    for (const path of ['a.bin', 'c.bin', 'd.bin'])
      expect(existsSync(join(leechDir, 'multi', path))).toBe(false);
    expect(await same(seedDir, leechDir, 'b.bin')).toBe(true);

    const second = await open();
    const again = await second.addTorrent(metainfo, { directory: leechDir, selection });
    await again.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(resumed).toEqual(['hashed', 'resumed']);
    // the shared pieces (read back from b.bin and the part file) are still complete
    expect(again.stats()).toMatchObject({ piecesHave, downloaded: 0, progress: 1 });
    await second.close();
    await seeder.process.stop();
  });
});
