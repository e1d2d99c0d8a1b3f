/**
 * A mixed swarm: a slow aria2c seeder, three of our sessions and an aria2c leecher, all
 * meeting through our tracker. Our leechers upload to each other while downloading: one of
 * them receives blocks from another that is itself still downloading (so got them from the
 * swarm, not from disk).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
} from '@bt/test-support';
import { toHex } from '@bt/primitives';
import { createSession, type Session, type Torrent } from '../src/index.js';
import {
  makePayload,
  makeTorrent,
  sha1File,
  startAria2Leecher,
  startAria2Seeder,
  startOurTracker,
} from './helpers.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe.skipIf(!aria2 || !mktorrent)('a mixed swarm', () => {
  it('our leechers share with each other and with a real client', async () => {
    const tracker = await startOurTracker();
    const seedDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', 6 * 1024 * 1024 + 77);
    const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'), {
      announce: [tracker.url],
      pieceLengthLog2: 16,
    });
    const seeder = await startAria2Seeder(file, seedDir, { uploadLimit: '1M' });
    const sessions: Session[] = [];
    const torrents: Torrent[] = [];
    const dirs: string[] = [];
    for (let index = 0; index < 3; index++) {
      const session = await createSession({ port: 0, host: '127.0.0.1' });
      const dir = await makeTempDir();
      sessions.push(session);
      dirs.push(dir);
      torrents.push(await session.addTorrent(metainfo, { directory: dir }));
    }
    const ariaDir = await makeTempDir();
    const ariaLeecher = startAria2Leecher(file, ariaDir);

    // watch for a leecher that receives from another leecher while that one is incomplete
    const ids = sessions.map((session) => toHex(session.peerId));
    let shared = false;
    const watcher = setInterval(() => {
      for (let to = 0; to < torrents.length; to++) {
        for (const peer of torrents[to]!.peerStats()) {
          const from = ids.indexOf(peer.peerId);
          if (from >= 0 && peer.downloaded > 0 && torrents[from]!.stats().progress < 1)
            shared = true;
        }
      }
    }, 100);
    try {
      await Promise.all(
        torrents.map((torrent) => torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS))),
      );
      await ariaLeecher.exited;
    } finally {
      clearInterval(watcher);
    }
    const original = await sha1File(payload);
    for (const dir of dirs) expect(await sha1File(join(dir, 'payload.bin'))).toBe(original);
    expect(await sha1File(join(ariaDir, 'payload.bin'))).toBe(original);
    expect(shared).toBe(true);
    const uploadedByOurs = torrents.reduce((sum, torrent) => sum + torrent.stats().uploaded, 0);
    expect(uploadedByOurs).toBeGreaterThan(metainfo.length / 2);
    await Promise.all(sessions.map((session) => session.close()));
    await seeder.process.stop();
    await tracker.close();
  });
});
