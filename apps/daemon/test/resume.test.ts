/**
 * A daemon's memory: a torrent downloaded through the RPC from an aria2c seeder survives a
 * `kill -9`; the restart trusts the resume record instead of hashing (the session's recheck
 * hook says which), and a file changed on disk while btd was down is hashed again and repaired
 * from the seeder.
 */
import { open, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { startBtd, torrentByHash } from './btd-process.js';
import { ariaSeeder, makeSwarm } from './fixtures.js';

const programs = ['aria2c', 'opentracker', 'mktorrent'].map((name) => requireProgram(name));

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe.skipIf(programs.some((path) => path === undefined))('btd after kill -9', () => {
  it('resumes without hashing, and hashes a file changed while it was down', async () => {
    const swarm = await makeSwarm('resume.bin', 2 * 1024 * 1024 + 777);
    await ariaSeeder(swarm);
    const downloads = await makeTempDir('bt-btd-dl-');
    const first = await startBtd({ downloadDir: downloads });
    const added = await first.rpc('torrent-add', {
      metainfo: (await readFile(swarm.torrent)).toString('base64'),
      labels: ['keep'],
    });
    expect(added.result).toBe('success');
    await waitFor(
      async () =>
        (await torrentByHash(first, swarm.infoHash, ['percentDone']))?.percentDone === 1 ||
        undefined,
      {
        what: 'the download from aria2',
      },
    );
    // what a kill -9 may not lose: the state file and the resume record, written within seconds
    await waitFor(
      async () => {
        const state = await readFile(join(first.configDir, 'bt-torrents.json'), 'utf8').catch(
          () => '',
        );
        const records = await readdir(join(first.configDir, 'bt-resume')).catch((): string[] => []);
        return (
          (state.includes(`"have_valid":${swarm.bytes.length}`) &&
            records.includes(`${swarm.infoHash}.resume`)) ||
          undefined
        );
      },
      { what: 'the state and the resume record on disk' },
    );
    await first.process.stop('SIGKILL');
    await first.process.exited;

    const second = await startBtd({ configDir: first.configDir });
    await second.waitForLog(new RegExp(`${swarm.infoHash}: resume data trusted, no hashing`));
    expect(second.output()).not.toMatch(new RegExp(`${swarm.infoHash}: data hashed`));
    await waitFor(
      async () =>
        (await torrentByHash(second, swarm.infoHash, ['status']))?.status === 6 || undefined,
      { what: 'seeding after the restart' },
    );
    expect(
      await torrentByHash(second, swarm.infoHash, ['labels', 'percentDone', 'downloadedEver']),
    ).toMatchObject({
      labels: ['keep'],
      percentDone: 1,
    });
    await second.process.stop('SIGKILL');
    await second.process.exited;

    // damage one byte while btd is down: its mtime changes, so the restart hashes
    const handle = await open(join(downloads, 'resume.bin'), 'r+');
    await handle.write(Buffer.from([swarm.bytes[100]! ^ 0xff]), 0, 1, 100);
    await handle.close();
    const third = await startBtd({ configDir: first.configDir });
    await third.waitForLog(new RegExp(`${swarm.infoHash}: data hashed`));
    await waitFor(
      async () =>
        (await torrentByHash(third, swarm.infoHash, ['percentDone']))?.percentDone === 1 ||
        undefined,
      {
        what: 'the damaged piece fetched again',
      },
    );
    expect(new Uint8Array(await readFile(join(downloads, 'resume.bin')))).toEqual(
      new Uint8Array(swarm.bytes),
    );
  });
});
