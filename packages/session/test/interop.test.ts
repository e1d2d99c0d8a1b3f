/**
 * Our session against clients nobody here wrote: it downloads from seeding aria2c,
 * Transmission and WebTorrent, and they download from it; single- and multi-file torrents;
 * peers given by hand, through our tracker, and through opentracker (HTTP and UDP). Bytes are
 * compared with the originals every time.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  startOpentracker,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import type { Metainfo } from '@bt/metainfo';
import { createSession, type Session, type Torrent } from '../src/index.js';
import {
  MULTI_FILE,
  MULTI_FILE_PATHS,
  makePayload,
  makeTorrent,
  sameFiles,
  sha1File,
  startAria2Leecher,
  startAria2Seeder,
  startOurTracker,
  startTransmission,
} from './helpers.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');
const transmission = requireProgram('transmission-cli');
const opentracker = requireProgram('opentracker');

const sessions: Session[] = [];
async function session(): Promise<Session> {
  const created = await createSession({ port: 0, host: '127.0.0.1' });
  sessions.push(created);
  return created;
}

afterAll(async () => {
  await Promise.allSettled(sessions.map((s) => s.close()));
  await stopAllProcesses();
  await removeTempDirs();
});

const loopback = (port: number) => ({ host: '127.0.0.1', port, family: 4 as const });

/** A seed folder holding a single file of `size` bytes, its torrent, and an empty leech folder. */
async function singleFileFixture(size: number, announce?: string[]) {
  const seedDir = await makeTempDir();
  const leechDir = await makeTempDir();
  const payload = await makePayload(seedDir, 'payload.bin', size);
  const { metainfo, file } = await makeTorrent(
    payload,
    join(seedDir, 'payload.torrent'),
    announce === undefined ? undefined : { announce },
  );
  return { seedDir, leechDir, payload, metainfo, file };
}

/** The same for the multi-file layout `MULTI_FILE`, announcing to `announce`. */
async function multiFileFixture(announce: string[]) {
  const seedDir = await makeTempDir();
  const leechDir = await makeTempDir();
  await makePayload(seedDir, 'multi', MULTI_FILE);
  const { metainfo, file } = await makeTorrent(
    join(seedDir, 'multi'),
    join(seedDir, 'multi.torrent'),
    { announce },
  );
  return { seedDir, leechDir, metainfo, file };
}

/** A new session of ours downloads `metainfo` from the peer at `port` (given by hand). */
async function leechByHand(
  metainfo: Metainfo,
  port: number,
  directory: string,
  timeoutMs: number,
): Promise<Torrent> {
  const ours = await session();
  const torrent = await ours.addTorrent(metainfo, {
    directory,
    peers: [loopback(port)],
    seed: false,
  });
  await torrent.whenComplete(AbortSignal.timeout(timeoutMs));
  return torrent;
}

describe.skipIf(!aria2 || !mktorrent)('aria2c', () => {
  it('seeds a single-file torrent to us (peer by hand)', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await singleFileFixture(
      3 * 1024 * 1024 + 12_345,
    );
    const seeder = await startAria2Seeder(file, seedDir);
    const torrent = await leechByHand(metainfo, seeder.port, leechDir, PATIENCE_MS);
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    expect(torrent.stats()).toMatchObject({ progress: 1, hashFailures: 0 });
    await seeder.process.stop();
  });

  it('seeds a multi-file torrent to us through our HTTP tracker', async () => {
    const tracker = await startOurTracker();
    const { seedDir, leechDir, metainfo, file } = await multiFileFixture([tracker.url]);
    const seeder = await startAria2Seeder(file, seedDir);
    const ours = await session();
    const torrent = await ours.addTorrent(metainfo, { directory: leechDir, seed: false });
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sameFiles(seedDir, leechDir, MULTI_FILE_PATHS)).toBe(true);
    expect(torrent.stats().sources[0]).toMatchObject({ source: tracker.url, state: 'working' });
    await seeder.process.stop();
    await tracker.close();
  });

  it('downloads a single-file torrent from us through our HTTP tracker', async () => {
    const tracker = await startOurTracker();
    const { seedDir, leechDir, payload, metainfo, file } = await singleFileFixture(
      2 * 1024 * 1024 + 7,
      [tracker.url],
    );
    const ours = await session();
    const seeding = await ours.addTorrent(metainfo, { directory: seedDir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const leecher = startAria2Leecher(file, leechDir);
    await leecher.exited;
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    expect(seeding.stats().uploaded).toBeGreaterThanOrEqual(metainfo.length);
    await tracker.close();
  });

  it.skipIf(!opentracker)(
    'downloads a multi-file torrent from us through opentracker (we announce over UDP and HTTP tiers)',
    async () => {
      const seedDir = await makeTempDir();
      const leechDir = await makeTempDir();
      await makePayload(seedDir, 'multi', MULTI_FILE);
      const probe = await makeTorrent(join(seedDir, 'multi'), join(seedDir, 'probe.torrent'));
      const tracker = await startOpentracker({
        program: opentracker!,
        infoHashes: [probe.metainfo.infoHashHex],
      });
      // two tiers (mktorrent: one -a per tier); aria2 without DHT speaks only HTTP to trackers
      const { metainfo, file } = await makeTorrent(
        join(seedDir, 'multi'),
        join(seedDir, 'multi.torrent'),
        {
          announce: [tracker.udpUrl, tracker.httpUrl],
        },
      );
      expect(metainfo.announce).toEqual([[tracker.udpUrl], [tracker.httpUrl]]);
      const ours = await session();
      const seeding = await ours.addTorrent(metainfo, { directory: seedDir });
      await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      await waitFor(() => seeding.stats().sources.every((source) => source.state === 'working'), {
        timeoutMs: PATIENCE_MS,
        what: 'both announces',
      });
      const leecher = startAria2Leecher(file, leechDir);
      await leecher.exited;
      expect(await sameFiles(seedDir, leechDir, MULTI_FILE_PATHS)).toBe(true);
      expect(seeding.stats().uploaded).toBeGreaterThanOrEqual(metainfo.length);
      await tracker.process.stop();
    },
  );
});

describe.skipIf(!transmission || !mktorrent)('Transmission', () => {
  it('seeds a single-file torrent to us (peer by hand)', async () => {
    const { seedDir, leechDir, payload, metainfo, file } = await singleFileFixture(
      2 * 1024 * 1024 + 999,
    );
    const seeder = await startTransmission(file, seedDir, join(seedDir, '.transmission'));
    const torrent = await leechByHand(metainfo, seeder.port, leechDir, PATIENCE_MS);
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    expect(torrent.stats()).toMatchObject({ progress: 1, hashFailures: 0 });
    await seeder.process.stop();
  });

  it('downloads a multi-file torrent from us through our HTTP tracker', async () => {
    const tracker = await startOurTracker();
    const { seedDir, leechDir, metainfo, file } = await multiFileFixture([tracker.url]);
    const ours = await session();
    const seeding = await ours.addTorrent(metainfo, { directory: seedDir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const leecher = await startTransmission(file, leechDir, join(leechDir, '.transmission'));
    await waitFor(() => sameFiles(seedDir, leechDir, MULTI_FILE_PATHS), {
      timeoutMs: PATIENCE_MS,
      intervalMs: 250,
      what: 'Transmission to finish',
    });
    expect(seeding.stats().uploaded).toBeGreaterThan(0);
    await leecher.process.stop();
    await tracker.close();
  });
});

describe.skipIf(!mktorrent)('WebTorrent (npm)', () => {
  it('seeds a multi-file torrent to us, and downloads a single-file one from us', async () => {
    const { default: WebTorrent } = await import('webtorrent');
    const client = new WebTorrent({
      dht: false,
      lsd: false,
      tracker: false,
      utp: false,
      webSeeds: false,
      natUpnp: false,
      natPmp: false,
    });
    try {
      // WebTorrent seeds, we download
      const seedDir = await makeTempDir();
      const leechDir = await makeTempDir();
      await makePayload(seedDir, 'multi', MULTI_FILE);
      const multi = await makeTorrent(join(seedDir, 'multi'), join(seedDir, 'multi.torrent'));
      const seeded = client.add(Buffer.from(multi.bytes), { path: seedDir });
      await new Promise<void>((resolve) => seeded.on('done', () => resolve()));
      await waitFor(() => client.torrentPort > 0, { what: 'WebTorrent to listen' });
      const ours = await session();
      const downloading = await ours.addTorrent(multi.metainfo, {
        directory: leechDir,
        peers: [loopback(client.torrentPort)],
        seed: false,
      });
      await downloading.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      expect(await sameFiles(seedDir, leechDir, MULTI_FILE_PATHS)).toBe(true);

      // we seed, WebTorrent downloads
      const ourSeedDir = await makeTempDir();
      const theirDir = await makeTempDir();
      const payload = await makePayload(ourSeedDir, 'single.bin', 1_500_000);
      const single = await makeTorrent(payload, join(ourSeedDir, 'single.torrent'));
      const seeding = await ours.addTorrent(single.metainfo, { directory: ourSeedDir });
      await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      const theirs = client.add(Buffer.from(single.bytes), { path: theirDir });
      // WebTorrent dials out only with MSE/PE encryption (which we do not speak), so we dial it
      theirs.on('ready', () => seeding.addPeers([loopback(client.torrentPort)]));
      await new Promise<void>((resolve, reject) => {
        theirs.on('done', () => resolve());
        theirs.on('error', reject);
      });
      expect(await sha1File(join(theirDir, 'single.bin'))).toBe(await sha1File(payload));
      expect(seeding.stats().uploaded).toBeGreaterThanOrEqual(single.metainfo.length);
    } finally {
      await new Promise<void>((resolve) => client.destroy(() => resolve()));
    }
  });
});
