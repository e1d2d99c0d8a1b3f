/**
 * btd against transmission-daemon itself (Debian's 3.00):
 * - a user who stops transmission-daemon and starts btd on its config folder keeps their
 *   torrents, with what Transmission kept about each (`torrents/`, `resume/`);
 *   (and Transmission's settings.json drives btd's engine: its uTP setting opens the UDP side of
 *   the peer port);
 * - `utp-enabled`, `encryption` and `dht-enabled` decide how the engine starts; a change through
 *   the RPC applies at the next start.
 */
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { remote, startBtd, torrentByHash } from './btd-process.js';
import { makeSwarm } from './fixtures.js';
import { startTransmissionDaemon } from './transmission-daemon.js';

const daemon = requireProgram('transmission-daemon');
const client = requireProgram('transmission-remote', 'transmission-cli');
const tracker = requireProgram('opentracker');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

/** True when binding `port` (UDP, all addresses) fails because someone holds it. */
function udpPortTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(error.code === 'EADDRINUSE');
    });
    socket.bind(port, () => socket.close(() => resolve(false)));
  });
}

describe.skipIf(!daemon || !client || !tracker)('btd and transmission-daemon', () => {
  it("keeps the torrents of transmission-daemon's config folder", async () => {
    const seeding = await makeSwarm('kept-seeding.bin', 200_000);
    const stopped = await makeSwarm('kept-stopped.bin', 100_000);
    const configDir = await makeTempDir('bt-btd-trconfig-');
    const elsewhere = await makeTempDir('bt-btd-trelsewhere-');
    const transmission = await startTransmissionDaemon({
      configDir,
      downloadDir: seeding.seedDir,
    });
    const tr = (...args: string[]): Promise<{ code: number | string; output: string }> =>
      remote({ rpcPort: transmission.rpcPort }, ...args);
    expect((await tr('-a', seeding.torrent)).output).toMatch(/success/);
    expect((await tr('-a', stopped.torrent, '-w', elsewhere)).output).toMatch(/success/);
    await tr('-t', '1', '-L', 'movies', '-u', '50');
    await tr('-t', '2', '-S');
    // a stop that lands while transmission-daemon still verifies the new torrent can be lost:
    // ask again until it says so
    await waitFor(
      async () => {
        if (/State: Stopped/.test((await tr('-t', '2', '-i')).output)) return true;
        await tr('-t', '2', '-S');
        return undefined;
      },
      { what: 'transmission-daemon to stop the second torrent' },
    );
    await waitFor(
      async () =>
        (await tr('-t', '1', '-i')).output.includes('Percent Done: 100%') ? true : undefined,
      { what: 'transmission-daemon to verify the first torrent' },
    );
    const before = (await tr('-t', '1', '-i')).output;
    const added = /Date added:\s+(.+)/.exec(before)?.[1];
    await transmission.process.stop(); // SIGTERM by PID (its process group): it saves its resume files

    const btd = await startBtd({ configDir, downloadDir: await makeTempDir('bt-btd-dl-') });
    await btd.waitForLog(/imported 2 torrents from transmission-daemon's folder/);
    // btd checks the data once (Transmission's piece records are not taken on trust)
    await waitFor(
      async () =>
        (await torrentByHash(btd, seeding.infoHash, ['status']))?.status === 6 ? true : undefined,
      { what: 'the imported torrent seeding' },
    );
    const listed = await remote(btd, '-l');
    expect(listed.output).toMatch(/100%.*(Seeding|Idle).*kept-seeding\.bin/);
    expect(listed.output).toMatch(/Stopped.*kept-stopped\.bin/);
    const first = await torrentByHash(btd, seeding.infoHash, [
      'labels',
      'uploadLimit',
      'uploadLimited',
      'downloadDir',
      'percentDone',
    ]);
    expect(first).toEqual({
      labels: ['movies'],
      uploadLimit: 50,
      uploadLimited: true,
      downloadDir: seeding.seedDir,
      percentDone: 1,
    });
    const second = await torrentByHash(btd, stopped.infoHash, ['downloadDir', 'status']);
    expect(second).toEqual({ downloadDir: elsewhere, status: 0 });
    const info = await remote(btd, '-t', '1', '-i');
    expect(/Date added:\s+(.+)/.exec(info.output)?.[1]).toBe(added);
    // Transmission's settings.json (written with its defaults) drives btd's engine: uTP on
    // there means btd listens for uTP on the UDP side of its peer port
    const settings = JSON.parse(await readFile(join(configDir, 'settings.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(settings['utp-enabled']).toBe(true);
    expect((await btd.rpc('session-get')).arguments['utp-enabled']).toBe(true);
    expect(await udpPortTaken(btd.peerPort)).toBe(true);
    // btd keeps its own state beside Transmission's files from now on
    const state = JSON.parse(await readFile(join(configDir, 'bt-torrents.json'), 'utf8')) as {
      torrents: unknown[];
    };
    expect(state.torrents).toHaveLength(2);
  });

  it('starts its engine as the settings say: uTP, encryption, DHT', async () => {
    const btd = await startBtd({
      downloadDir: await makeTempDir('bt-btd-dl-'),
      args: ['--no-utp', '--encryption-required'],
    });
    expect((await btd.rpc('session-get')).arguments).toMatchObject({
      'utp-enabled': false,
      encryption: 'required',
      'dht-enabled': false,
    });
    // no uTP and no DHT: nothing of btd's on the UDP side of the peer port
    expect(await udpPortTaken(btd.peerPort)).toBe(false);
    // a change through the RPC is kept, reported, and applies at the next start
    await btd.rpc('session-set', { 'utp-enabled': true, encryption: 'tolerated' });
    await btd.waitForLog(/utp-enabled changes take effect at the next start/);
    expect((await btd.rpc('session-set', { encryption: 'sometimes' })).result).toMatch(
      /wrong type/,
    );
    await btd.process.stop();
    const again = await startBtd({ configDir: btd.configDir, peerPort: btd.peerPort });
    expect((await again.rpc('session-get')).arguments).toMatchObject({
      'utp-enabled': true,
      encryption: 'tolerated',
    });
    expect(await udpPortTaken(again.peerPort)).toBe(true);
  });
});
