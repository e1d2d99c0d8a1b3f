/**
 * Hostile peers beside an honest aria2c seeder: one sends corrupt blocks (banned, its pieces
 * fetched elsewhere, the file still correct); liars send blocks we did not ask them for (while
 * choking us, or unchoked) or off the block grid (dropped at once, the honest seeder never
 * blamed); one floods requests and one floods messages (disconnected, memory bounded), one
 * unchokes and never answers (snubbed, replaced).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  freePort,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { createSession, type Session, type SessionEvent } from '../src/index.js';
import { startFakePeer, type FakeBehaviour } from './fake-peer.js';
import { makePayload, makeTorrent, sha1File, startAria2Seeder } from './helpers.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

const loopback = (port: number) => ({ host: '127.0.0.1', port, family: 4 as const });

async function scenario(
  behaviour: FakeBehaviour,
  extra: { unreachable?: boolean; slowSeeder?: boolean; seederAfterBan?: boolean } = {},
) {
  const seedDir = await makeTempDir();
  const leechDir = await makeTempDir();
  const payload = await makePayload(seedDir, 'payload.bin', 4 * 1024 * 1024 + 321);
  const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'), {
    pieceLengthLog2: 16,
  });
  const fake = await startFakePeer({
    infoHash: metainfo.infoHash,
    pieceCount: metainfo.pieceCount,
    behaviour,
  });
  const seeder = await startAria2Seeder(
    file,
    seedDir,
    extra.slowSeeder ? { uploadLimit: '1M' } : {},
  );
  const session: Session = await createSession({ port: 0, host: '127.0.0.1', snubTimeoutMs: 1000 });
  const events: SessionEvent[] = [];
  session.onEvent((event) => events.push(event));
  const fakeAddress = `127.0.0.1:${fake.port}`;
  const peers = [loopback(fake.port)];
  if (!extra.seederAfterBan) peers.push(loopback(seeder.port));
  if (extra.unreachable) peers.push(loopback(await freePort()));
  const torrent = await session.addTorrent(metainfo, { directory: leechDir, peers, seed: false });
  if (extra.seederAfterBan) {
    // The liar alone first, until it is banned: with the seeder there too, a loaded machine can
    // let the seeder fill every piece before any of the liar's blocks land, and nothing fails.
    await waitFor(
      () => events.some((event) => event.type === 'peer-banned' && event.address === fakeAddress),
      { what: 'the liar to be banned' },
    );
    torrent.addPeers([loopback(seeder.port)]);
  }
  // the fake peer is dialled first; give it a head start for the seeder's slower handshake
  await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
  const same = (await sha1File(join(leechDir, 'payload.bin'))) === (await sha1File(payload));
  const stats = torrent.stats();
  await session.close();
  await fake.close();
  await seeder.process.stop();
  return { same, stats, events, fake, fakeAddress };
}

describe.skipIf(!aria2 || !mktorrent)('hostile peers', () => {
  it('bans a peer that sends corrupt blocks and still gets every piece right', async () => {
    const { same, stats, events, fake, fakeAddress } = await scenario('corrupt', {
      seederAfterBan: true,
    });
    expect(same).toBe(true);
    expect(fake.requests).toBeGreaterThan(0);
    expect(stats.hashFailures).toBeGreaterThan(0);
    expect(
      events.some((event) => event.type === 'peer-banned' && event.address === fakeAddress),
    ).toBe(true);
    // the honest seeder was never banned
    expect(
      events
        .filter((event) => event.type === 'peer-banned')
        .every((event) => event.type === 'peer-banned' && event.address === fakeAddress),
    ).toBe(true);
    // once banned, never connected again
    const bannedAt = events.findIndex((event) => event.type === 'peer-banned');
    expect(
      events
        .slice(bannedAt)
        .some((event) => event.type === 'peer-connected' && event.address === fakeAddress),
    ).toBe(false);
  });

  it.each([
    ['unrequested-choked', 'blocks nobody asked for while it chokes us'],
    ['unrequested-unchoked', 'blocks other than those asked of it'],
    ['misaligned', 'blocks off the block grid'],
  ] as const)(
    'drops a peer that sends %s (%s), and never blames the honest seeder',
    async (behaviour, _what) => {
      const { same, stats, events, fake, fakeAddress } = await scenario(behaviour);
      expect(same).toBe(true);
      expect(fake.blocksSent).toBeGreaterThan(0);
      // the liar's blocks never entered a piece: nothing failed, nobody was banned
      expect(stats.hashFailures).toBe(0);
      expect(events.filter((event) => event.type === 'peer-banned')).toEqual([]);
      expect(
        events.some(
          (event) =>
            event.type === 'peer-disconnected' &&
            event.address === fakeAddress &&
            event.error?.code === 'peer-unrequested' &&
            event.error.party === 'peer',
        ),
      ).toBe(true);
    },
  );

  it('disconnects a peer that floods requests while we seed', async () => {
    const seedDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', 1024 * 1024);
    const { metainfo } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
    const fake = await startFakePeer({
      infoHash: metainfo.infoHash,
      pieceCount: metainfo.pieceCount,
      behaviour: 'flood-requests',
    });
    const session = await createSession({ port: 0, host: '127.0.0.1' });
    const events: SessionEvent[] = [];
    session.onEvent((event) => events.push(event));
    const torrent = await session.addTorrent(metainfo, { directory: seedDir });
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const before = process.memoryUsage().heapUsed;
    torrent.addPeers([loopback(fake.port)]);
    const fakeAddress = `127.0.0.1:${fake.port}`;
    await waitFor(
      () =>
        events.some((event) => event.type === 'peer-disconnected' && event.address === fakeAddress),
      {
        timeoutMs: PATIENCE_MS,
        what: 'the flooder to be dropped',
      },
    );
    const dropped = events.find(
      (event) => event.type === 'peer-disconnected' && event.address === fakeAddress,
    );
    expect(dropped).toMatchObject({ error: { code: 'peer-flood', party: 'peer' } });
    // 20,000 queued requests would be 320 MB of blocks: nothing of the kind was kept
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    expect(torrent.stats().uploaded).toBe(0);
    await session.close();
    await fake.close();
  });

  it('disconnects a peer that floods messages', async () => {
    const { same, events, fakeAddress } = await scenario('flood-haves');
    expect(same).toBe(true);
    expect(
      events.some(
        (event) =>
          event.type === 'peer-disconnected' &&
          event.address === fakeAddress &&
          event.error?.code === 'peer-flood',
      ),
    ).toBe(true);
  });

  it('drops a peer that sends a BEP 6 message without having negotiated BEP 6', async () => {
    const { same, events, fake, fakeAddress } = await scenario('unnegotiated-fast');
    expect(same).toBe(true);
    expect(fake.closedByRemote).toBeGreaterThanOrEqual(1);
    const dropped = events.find(
      (event) => event.type === 'peer-disconnected' && event.address === fakeAddress,
    );
    expect(dropped?.type === 'peer-disconnected' && dropped.error?.code).toBe('peer-protocol');
    expect(
      dropped?.type === 'peer-disconnected' && (dropped.error?.cause as { code?: string }).code,
    ).toBe('extension-not-negotiated');
  });

  it('snubs a peer that stalls, refetches its blocks elsewhere and replaces it', async () => {
    const { same, events, fake, fakeAddress } = await scenario('stall', {
      unreachable: true,
      slowSeeder: true,
    });
    expect(same).toBe(true);
    expect(fake.requests).toBeGreaterThan(0);
    expect(
      events.some((event) => event.type === 'peer-snubbed' && event.address === fakeAddress),
    ).toBe(true);
    expect(
      events.some(
        (event) =>
          event.type === 'peer-disconnected' &&
          event.address === fakeAddress &&
          event.error?.code === 'peer-stalled',
      ),
    ).toBe(true);
  });
});
