/**
 * The DHT (BEP 5) and uTP (BEP 29) on one UDP port, the listen port's number, as libtorrent runs
 * them: against libtorrent sessions with TCP switched off (their DHT and uTP share a port too),
 * we find a seeder through their DHT and download from it over uTP, and a libtorrent leecher
 * given only the magnet finds our seeder through the DHT (our node answering on our listen port)
 * and downloads from it over uTP on that same port.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  startProcess,
  waitFor,
  type RunningProcess,
} from '@bt/test-support';
import { createSession, type Session } from '../src/index.js';
import { makePayload, makeTorrent, sha1File } from './helpers.js';
import { jsonLine, requireLibtorrentPython } from './libtorrent.js';

requireProgram('mktorrent');
const python = requireLibtorrentPython();
const script = fileURLToPath(new URL('./libtorrent-magnet.py', import.meta.url));
/** libtorrent with uTP only: no TCP in or out. */
const UTP_ONLY = {
  LT_SETTINGS: JSON.stringify({
    enable_outgoing_tcp: false,
    enable_incoming_tcp: false,
    enable_outgoing_utp: true,
    enable_incoming_utp: true,
  }),
};
const sessions: Session[] = [];
const processes: RunningProcess[] = [];

afterAll(async () => {
  await Promise.allSettled(sessions.map((session) => session.close()));
  await Promise.allSettled(processes.map((child) => child.stop()));
  await removeTempDirs();
});

async function fixture() {
  const dir = await makeTempDir();
  const payload = await makePayload(dir, 'payload.bin', 3 * 1024 * 1024 + 4321);
  return { dir, payload, ...(await makeTorrent(payload, join(dir, 'payload.torrent'))) };
}

type Address = { host: string; port: number };

function libtorrent(args: string[], label: string): RunningProcess {
  const child = startProcess(python!, [script, ...args], { label, env: UTP_ONLY });
  processes.push(child);
  return child;
}

async function ourSession(bootstrap: Address[]): Promise<Session> {
  const session = await createSession({
    port: 0,
    host: '127.0.0.1',
    transportMode: 'utp',
    dht: true,
    dhtBootstrap: bootstrap.map((node) => `${node.host}:${node.port}`),
  });
  sessions.push(session);
  // one UDP port: the DHT node's is the listen port uTP is on
  expect(session.dht!.address!().port).toBe(session.port);
  return session;
}

describe.skipIf(!python)('the DHT and uTP on one port, against libtorrent (uTP only)', () => {
  it('we find its seeder through its DHT and download over uTP', async () => {
    const source = await fixture();
    const seeder = libtorrent(
      ['seed', source.file, source.dir, '44', '3', '1'],
      'libtorrent uTP seeder',
    );
    const { nodes } = await jsonLine<{ nodes: Address[] }>(seeder, 'nodes');
    const session = await ourSession(nodes);
    const dir = await makeTempDir();
    const pending = session.addMagnet(`magnet:?xt=urn:btih:${source.metainfo.infoHashHex}`, {
      directory: dir,
    });
    const torrent = await pending.whenTorrent(AbortSignal.timeout(PATIENCE_MS));
    await waitFor(() => torrent.peerStats().find((peer) => peer.isUTP), {
      what: 'the libtorrent seeder over uTP',
    });
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(dir, 'payload.bin'))).toBe(await sha1File(source.payload));
    const row = session.stats().torrents[0]!.sources.find((each) => each.source === '[DHT]');
    expect(row?.peers).toBeGreaterThan(0);
    expect(session.dht!.address!().port).toBe(session.port);
  });

  it('its leecher finds our seeder through the DHT on our listen port and downloads over uTP', async () => {
    const source = await fixture();
    const nodesOnly = libtorrent(
      // the seeder beside the nodes stays out of the DHT (last argument 0): only we can be found
      ['seed', source.file, source.dir, '45', '3', '0'],
      'libtorrent DHT nodes',
    );
    const { nodes } = await jsonLine<{ nodes: Address[] }>(nodesOnly, 'nodes');
    const session = await ourSession(nodes);
    const seeding = await session.addTorrent(source.metainfo, { directory: source.dir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    await waitFor(
      () =>
        seeding.stats().sources.find((each) => each.source === '[DHT]')?.state === 'working' ||
        undefined,
      { what: 'our DHT announce' },
    );
    const saveDir = await makeTempDir();
    const leecher = libtorrent(
      [
        'leech',
        `magnet:?xt=urn:btih:${source.metainfo.infoHashHex}`,
        saveDir,
        '45',
        ...nodes.map((node) => `${node.host}:${node.port}`),
        `127.0.0.1:${session.port}`,
      ],
      'libtorrent uTP leecher',
    );
    await jsonLine(leecher, 'finished');
    expect(await sha1File(join(saveDir, 'payload.bin'))).toBe(await sha1File(source.payload));
    expect(seeding.stats().uploaded).toBeGreaterThanOrEqual(source.metainfo.length);
  });
});
