import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDirs, requireProgram, stopAllProcesses } from '@bt/test-support';
import { createSession } from '../src/index.js';
import { makePayload, makeTorrent, sha1File, startAria2Seeder } from './helpers.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe.skipIf(!aria2 || !mktorrent)('against aria2c', () => {
  it('downloads a single-file torrent from an aria2c seeder given by --peer', async () => {
    const seedDir = await makeTempDir();
    const leechDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', 3 * 1024 * 1024 + 12345);
    const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
    const seeder = await startAria2Seeder(file, seedDir);
    const session = await createSession({ port: 0, host: '127.0.0.1' });
    try {
      const torrent = await session.addTorrent(metainfo, {
        directory: leechDir,
        peers: [{ host: '127.0.0.1', port: seeder.port, family: 4 }],
        seed: false,
      });
      await torrent.whenComplete(AbortSignal.timeout(30_000));
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      const stats = torrent.stats();
      expect(stats.progress).toBe(1);
      expect(stats.hashFailures).toBe(0);
    } finally {
      await session.close();
      await seeder.process.stop();
    }
  });
});
