/**
 * Peer exchange (BEP 11) against libtorrent, on loopback: we connect to one libtorrent peer that
 * is connected to two seeders, learn of them through its `ut_pex` and download from them; and a
 * libtorrent leecher connected only to us learns of a third peer from ours and connects to it.
 * Hostile peer exchange: a peer that floods `ut_pex` messages or sends one over the size cap is
 * dropped, what it gave stays bounded, and the download from an aria2 seeder goes on.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  makeTempDir,
  PATIENCE_MS,
  removeTempDirs,
  requireProgram,
  type RunningProcess,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { createSession, type Session, type SessionEvent } from '../src/index.js';
import { startFakePeer } from './fake-peer.js';
import { makePayload, makeTorrent, sha1File, startAria2Seeder } from './helpers.js';
import { libtorrentPeerScript, requireLibtorrentPython } from './libtorrent.js';
import { startProcess } from '@bt/test-support';

const python = requireLibtorrentPython();
requireProgram('mktorrent');
const aria2 = requireProgram('aria2c');

type Event = Record<string, unknown> & { type: string };
interface LibtorrentPeerInfo {
  port: number;
  pex: boolean;
}

function events(run: RunningProcess): Event[] {
  const found: Event[] = [];
  for (const line of run.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      found.push(JSON.parse(line) as Event);
    } catch {
      // a line cut by the output's end
    }
  }
  return found;
}

async function startLibtorrent(
  options: Record<string, unknown>,
): Promise<{ run: RunningProcess; port: number }> {
  const run = startProcess(
    python!,
    [libtorrentPeerScript, JSON.stringify({ listen: '127.0.0.1:0', ...options })],
    {
      label: 'libtorrent',
    },
  );
  const ready = await waitFor(() => events(run).find((event) => event.type === 'ready'), {
    what: 'libtorrent to listen',
  });
  return { run, port: ready.port as number };
}

const sessions: Session[] = [];
afterAll(async () => {
  await Promise.allSettled(sessions.map((session) => session.close()));
  await stopAllProcesses();
  await removeTempDirs();
});

const loopback = (port: number) => ({ host: '127.0.0.1', port, family: 4 as const });

describe.skipIf(!python)('peer exchange (BEP 11) with libtorrent', () => {
  it('we learn of two seeders through a libtorrent peer connected to them, and download from them', async () => {
    const seedDir = await makeTempDir();
    const leechDir = await makeTempDir();
    const hubDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', 4_000_000);
    const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
    const one = await startLibtorrent({ torrent: file, save: seedDir });
    const two = await startLibtorrent({ torrent: file, save: seedDir });
    // the hub downloads slowly from both, so it stays connected to them
    const hub = await startLibtorrent({
      torrent: file,
      save: hubDir,
      download_rate_limit: 20_000,
      peers: [
        ['127.0.0.1', one.port],
        ['127.0.0.1', two.port],
      ],
    });
    const session = await createSession({ port: 0, host: '127.0.0.1', peerExchange: true });
    sessions.push(session);
    const torrent = await session.addTorrent(metainfo, {
      directory: leechDir,
      peers: [loopback(hub.port)],
    });
    const seen = new Set<number>();
    torrent.on('peer-connected', (event) => seen.add(Number(event.address.split(':').at(-1))));
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    expect(seen.has(one.port) && seen.has(two.port), `connected to ${[...seen].join(', ')}`).toBe(
      true,
    );
    const row = torrent.stats().sources.find((source) => source.source === '[Peer Exchange]');
    expect(row).toMatchObject({ state: 'working' });
    expect((row?.seeds ?? 0) + (row?.peers ?? 0)).toBeGreaterThanOrEqual(2);
    expect(row?.seeds).toBeGreaterThanOrEqual(1);
  });

  it('a libtorrent leecher connected only to us learns of a third peer from our peer exchange', async () => {
    const seedDir = await makeTempDir();
    const thirdDir = await makeTempDir();
    const leechDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', 4_000_000);
    const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
    // we seed; the third peer downloads slowly from us (we dial it), so it stays connected; it
    // speaks no ut_pex itself, so only our peer exchange can bring the leecher to it
    const third = await startLibtorrent({
      torrent: file,
      save: thirdDir,
      download_rate_limit: 20_000,
      pex: false,
    });
    const session = await createSession({ port: 0, host: '127.0.0.1', peerExchange: true });
    sessions.push(session);
    const torrent = await session.addTorrent(metainfo, {
      directory: seedDir,
      peers: [loopback(third.port)],
    });
    await waitFor(
      () => torrent.peerStats().some((peer) => peer.address === `127.0.0.1:${third.port}`),
      {
        what: 'our connection to the third peer',
      },
    );
    const leecher = await startLibtorrent({
      torrent: file,
      save: leechDir,
      download_rate_limit: 20_000,
      peers: [['127.0.0.1', session.port]],
    });
    const learned = await waitFor(
      () =>
        events(leecher.run)
          .filter((event) => event.type === 'peers')
          .flatMap((event) => event.peers as LibtorrentPeerInfo[])
          .find((peer) => peer.port === third.port && peer.pex),
      { what: 'the leecher to learn of the third peer through our peer exchange' },
    );
    expect(learned).toMatchObject({ port: third.port, pex: true });
  });
});

describe.skipIf(!aria2)('hostile peer exchange, while an aria2 seeder serves the torrent', () => {
  it.each([
    ['pex-flood', 'peer-flood', /^ut_pex: messages \d+ ms apart \(a flood\)$/, 100],
    ['pex-oversized', 'peer-protocol', /^ut_pex: a message of \d+ bytes is over 16384$/, 0],
  ] as const)(
    'drops a peer that sends %s, takes a bounded few of its peers, and finishes the download',
    async (behaviour, code, reason, mostTaken) => {
      const seedDir = await makeTempDir();
      const payload = await makePayload(seedDir, 'payload.bin', 3_000_000);
      const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
      const seeder = await startAria2Seeder(file, seedDir);
      const fake = await startFakePeer({
        infoHash: metainfo.infoHash,
        pieceCount: metainfo.pieceCount,
        behaviour,
      });
      try {
        const session = await createSession({ port: 0, host: '127.0.0.1', localDiscovery: false });
        sessions.push(session);
        const events: SessionEvent[] = [];
        session.onEvent((event) => events.push(event));
        const leechDir = await makeTempDir();
        const torrent = await session.addTorrent(metainfo, {
          directory: leechDir,
          peers: [loopback(fake.port), loopback(seeder.port)],
        });
        const dropped = await waitFor(
          () =>
            events.find(
              (event) =>
                event.type === 'peer-disconnected' &&
                event.address === `127.0.0.1:${fake.port}` &&
                event.error !== undefined,
            ),
          { what: `the ${behaviour} peer to be dropped` },
        );
        expect(fake.pexSent).toBeGreaterThan(0);
        expect(dropped.type === 'peer-disconnected' && dropped.error?.code).toBe(code);
        expect(dropped.type === 'peer-disconnected' && dropped.error?.message).toMatch(reason);
        await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
        expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
        const taken = torrent.registry.known().filter(({ source }) => source === 'pex');
        expect(taken.length).toBeLessThanOrEqual(mostTaken);
        const row = torrent.stats().sources.find((each) => each.source === '[Peer Exchange]');
        expect((row?.seeds ?? 0) + (row?.peers ?? 0)).toBeLessThanOrEqual(mostTaken);
      } finally {
        await fake.close();
      }
    },
  );
});
