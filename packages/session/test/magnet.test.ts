/**
 * Magnet links end to end (BEP 9, BEP 5) against clients nobody here wrote, on loopback: the
 * metadata and the file from a libtorrent, an aria2 and a Transmission seeder named only by
 * `x.pe`; from a libtorrent seeder found through a loopback libtorrent DHT; a libtorrent leecher
 * given only the magnet finds our seeder through that DHT and takes metadata and data from us;
 * and hostile metadata (a liar, a size over the cap).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatMagnet } from '@bt/metainfo';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  startOpentracker,
  startProcess,
  waitFor,
  type RunningProcess,
} from '@bt/test-support';
import { HttpTrackerClient } from '@bt/tracker-http/node';
import { createSession, type Session, type SessionEvent, type SourceStatus } from '../src/index.js';
import {
  makePayload,
  makeTorrent,
  sha1File,
  startAria2Seeder,
  startTransmission,
} from './helpers.js';
import {
  jsonLine,
  magnetScript,
  requireLibtorrentPython,
  startMagnetSeeder,
  type MagnetSeeder,
} from './libtorrent.js';
import { startFakePeer } from './fake-peer.js';

requireProgram('mktorrent');
const python = requireLibtorrentPython();
const aria2 = requireProgram('aria2c');
const transmission = requireProgram('transmission-cli');
const opentracker = requireProgram('opentracker');
const sessions: Session[] = [];
const processes: RunningProcess[] = [];

afterAll(async () => {
  await Promise.allSettled(sessions.map((session) => session.close()));
  await Promise.allSettled(processes.map((child) => child.stop()));
  await removeTempDirs();
});

async function fixture(size = 3 * 1024 * 1024 + 1234) {
  const dir = await makeTempDir();
  const payload = await makePayload(dir, 'payload.bin', size);
  const torrent = await makeTorrent(payload, join(dir, 'payload.torrent'));
  return { dir, payload, ...torrent };
}

async function startLibtorrentSeeder(
  torrent: string,
  dir: string,
  block: number,
  nodes: number,
  dht: boolean,
): Promise<MagnetSeeder> {
  const seeder = await startMagnetSeeder(python!, { torrent, dir, block, nodes, dht });
  processes.push(seeder.process);
  return seeder;
}

async function magnetDownload(
  magnet: string,
  options: { dht?: boolean; bootstrap?: string[] } = {},
) {
  const session = await createSession({
    port: 0,
    host: '127.0.0.1',
    dht: options.dht ?? false,
    dhtBootstrap: options.bootstrap,
  });
  sessions.push(session);
  const dir = await makeTempDir();
  const pending = session.addMagnet(magnet, { directory: dir });
  expect(pending.state).toBe('metadata');
  expect(session.stats().torrents[0]!.state).toBe('metadata');
  const metainfo = await pending.whenMetadata(AbortSignal.timeout(PATIENCE_MS));
  const torrent = await pending.whenTorrent(AbortSignal.timeout(PATIENCE_MS));
  await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
  return { session, dir, metainfo, torrent };
}

describe.skipIf(!python)('magnet links against libtorrent', () => {
  it('x.pe only: metadata and file from a libtorrent seeder', async () => {
    const source = await fixture();
    const { seeder } = await startLibtorrentSeeder(source.file, source.dir, 41, 0, false);
    const magnet = formatMagnet({
      infoHash: source.metainfo.infoHash,
      name: 'payload.bin',
      peers: [seeder],
    });
    const { dir, metainfo } = await magnetDownload(magnet);
    expect(Buffer.compare(metainfo.infoBytes, source.metainfo.infoBytes)).toBe(0);
    expect(await sha1File(join(dir, 'payload.bin'))).toBe(await sha1File(source.payload));
  });

  it('through a loopback libtorrent DHT: our node finds the seeder, then metadata and file', async () => {
    const source = await fixture();
    const { nodes } = await startLibtorrentSeeder(source.file, source.dir, 42, 4, true);
    const magnet = `magnet:?xt=urn:btih:${source.metainfo.infoHashHex.toUpperCase()}`;
    const { session, dir } = await magnetDownload(magnet, {
      dht: true,
      bootstrap: [`${nodes[0]!.host}:${nodes[0]!.port}`],
    });
    expect(await sha1File(join(dir, 'payload.bin'))).toBe(await sha1File(source.payload));
    const row = session.stats().torrents[0]!.sources.find((each) => each.source === '[DHT]');
    expect(row?.peers).toBeGreaterThan(0);
  });

  it('a libtorrent leecher with only the magnet finds our seeder through the DHT', async () => {
    const source = await fixture();
    const { nodes } = await startLibtorrentSeeder(source.file, source.dir, 43, 4, false);
    const seeder = await createSession({
      port: 0,
      host: '127.0.0.1',
      dht: true,
      dhtBootstrap: nodes.map((node) => `${node.host}:${node.port}`),
    });
    sessions.push(seeder);
    const seeding = await seeder.addTorrent(source.metainfo, { directory: source.dir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    // our announce reached the DHT before the leecher asks
    await waitFor(
      () =>
        seeding.stats().sources.find((each) => each.source === '[DHT]')?.state === 'working' ||
        undefined,
      { what: 'our DHT announce' },
    );
    const saveDir = await makeTempDir();
    const magnet = `magnet:?xt=urn:btih:${source.metainfo.infoHashHex}`;
    const dhtAddress = seeder.dht!.address!();
    const leecher = startProcess(
      python!,
      [
        magnetScript,
        'leech',
        magnet,
        saveDir,
        '43',
        ...nodes.map((node) => `${node.host}:${node.port}`),
        `${dhtAddress.host}:${dhtAddress.port}`,
      ],
      { label: 'libtorrent leecher' },
    );
    processes.push(leecher);
    await jsonLine(leecher, 'finished');
    expect(await sha1File(join(saveDir, 'payload.bin'))).toBe(await sha1File(source.payload));
    expect(seeding.stats().uploaded).toBeGreaterThanOrEqual(source.metainfo.length);
  });
});

describe('magnet links against aria2 and Transmission (x.pe only)', () => {
  it.skipIf(!aria2)('metadata and file from an aria2 seeder', async () => {
    const source = await fixture();
    const { process: child, port } = await startAria2Seeder(source.file, source.dir);
    processes.push(child);
    const magnet = formatMagnet({
      infoHash: source.metainfo.infoHash,
      peers: [{ host: '127.0.0.1', port }],
    });
    const { dir } = await magnetDownload(magnet);
    expect(await sha1File(join(dir, 'payload.bin'))).toBe(await sha1File(source.payload));
  });

  it.skipIf(!transmission)('metadata and file from a Transmission seeder', async () => {
    const source = await fixture();
    const config = await makeTempDir();
    const { process: child, port } = await startTransmission(source.file, source.dir, config);
    processes.push(child);
    const magnet = formatMagnet({
      infoHash: source.metainfo.infoHash,
      peers: [{ host: '127.0.0.1', port }],
    });
    const { dir } = await magnetDownload(magnet);
    expect(await sha1File(join(dir, 'payload.bin'))).toBe(await sha1File(source.payload));
  });
});

describe.skipIf(!aria2 || !opentracker)("a magnet's tr= tracker (opentracker)", () => {
  it('is announced to before the metadata arrives, and gives the aria2 seeder it knows', async () => {
    const probe = await fixture();
    const tracker = await startOpentracker({
      program: opentracker!,
      infoHashes: [probe.metainfo.infoHashHex],
    });
    processes.push(tracker.process);
    // the seeder's torrent names the tracker (the info dictionary, and so the info-hash, is the same)
    const { file, metainfo } = await makeTorrent(
      probe.payload,
      join(probe.dir, 'tracked.torrent'),
      {
        announce: [tracker.httpUrl],
      },
    );
    expect(metainfo.infoHashHex).toBe(probe.metainfo.infoHashHex);
    const { process: child } = await startAria2Seeder(file, probe.dir);
    processes.push(child);
    const client = new HttpTrackerClient();
    try {
      await waitFor(
        async () => {
          const { files } = await client.scrape(tracker.httpUrl, [metainfo.infoHash]);
          return (files[0]?.complete ?? 0) > 0;
        },
        { what: 'aria2 to announce itself to opentracker' },
      );
    } finally {
      await client.close();
    }
    // no x.pe, no DHT: the tracker is the only way to the seeder
    const magnet = formatMagnet({
      infoHash: metainfo.infoHash,
      name: 'payload.bin',
      trackers: [tracker.httpUrl],
    });
    const session = await createSession({ port: 0, host: '127.0.0.1', localDiscovery: false });
    sessions.push(session);
    const dir = await makeTempDir();
    const pending = session.addMagnet(magnet, { directory: dir });
    let rowsAtMetadata: SourceStatus[] = [];
    pending.on('metadata-received', () => (rowsAtMetadata = pending.stats().sources));
    await pending.whenMetadata(AbortSignal.timeout(PATIENCE_MS));
    expect(rowsAtMetadata.find((row) => row.source === tracker.httpUrl)).toMatchObject({
      state: 'working',
      seeds: 1,
    });
    const torrent = await pending.whenTorrent(AbortSignal.timeout(PATIENCE_MS));
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(dir, 'payload.bin'))).toBe(await sha1File(probe.payload));
  });
});

describe('hostile metadata', () => {
  it('bans a peer whose metadata fails the info-hash, and gets it from an honest one', async () => {
    const source = await fixture(300_000);
    // the liar serves an info dictionary of the right size that is not the torrent's
    const lie = new Uint8Array(source.metainfo.infoBytes);
    lie[lie.length - 2] = lie[lie.length - 2]! ^ 0xff;
    expect(createHash('sha1').update(lie).digest().equals(source.metainfo.infoHash)).toBe(false);
    const liar = await createSession({ port: 0, host: '127.0.0.1' });
    const honest = await createSession({ port: 0, host: '127.0.0.1' });
    sessions.push(liar, honest);
    const lying = await liar.addTorrent(
      { ...source.metainfo, infoBytes: lie },
      { directory: source.dir },
    );
    await lying.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const seeding = await honest.addTorrent(source.metainfo, { directory: source.dir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    // the liar alone first: its copy fails, so it is banned; then an honest peer
    const magnet = formatMagnet({
      infoHash: source.metainfo.infoHash,
      peers: [{ host: '127.0.0.1', port: liar.port }],
    });
    const session = await createSession({ port: 0, host: '127.0.0.1' });
    sessions.push(session);
    const events: SessionEvent[] = [];
    session.onEvent((event) => events.push(event));
    const dir = await makeTempDir();
    const pending = session.addMagnet(magnet, { directory: dir });
    const failed = await waitFor(() => events.find((event) => event.type === 'metadata-failed'), {
      what: 'the lie to be found',
    });
    expect(failed).toMatchObject({ address: `127.0.0.1:${liar.port}` });
    expect(pending.stats()).toMatchObject({ state: 'metadata', hashFailures: 1, banned: 1 });
    pending.addPeers([{ family: 4, host: '127.0.0.1', port: honest.port }], 'manual');
    const metainfo = await pending.whenMetadata(AbortSignal.timeout(PATIENCE_MS));
    expect(Buffer.compare(metainfo.infoBytes, source.metainfo.infoBytes)).toBe(0);
    const torrent = await pending.whenTorrent(AbortSignal.timeout(PATIENCE_MS));
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(dir, 'payload.bin'))).toBe(await sha1File(source.payload));
  });

  it.skipIf(!aria2)(
    'drops a peer that never answers a metadata request, and asks an aria2 seeder instead',
    async () => {
      const source = await fixture(300_000);
      const silent = await startFakePeer({
        infoHash: source.metainfo.infoHash,
        pieceCount: source.metainfo.pieceCount,
        behaviour: 'metadata-silent',
        metadataSize: source.metainfo.infoBytes.length,
      });
      const session = await createSession({ port: 0, host: '127.0.0.1' });
      sessions.push(session);
      const events: SessionEvent[] = [];
      session.onEvent((event) => events.push(event));
      const dir = await makeTempDir();
      try {
        const pending = session.addMagnet(
          formatMagnet({
            infoHash: source.metainfo.infoHash,
            peers: [{ host: '127.0.0.1', port: silent.port }],
          }),
          { directory: dir },
        );
        // the silent peer holds the only request (the info dictionary is one 16 KiB piece)
        await waitFor(() => silent.requests > 0, { what: 'a metadata request to the silent peer' });
        const { process: child, port } = await startAria2Seeder(source.file, source.dir);
        processes.push(child);
        pending.addPeers([{ family: 4, host: '127.0.0.1', port }], 'manual');
        const metainfo = await pending.whenMetadata(AbortSignal.timeout(PATIENCE_MS));
        expect(Buffer.compare(metainfo.infoBytes, source.metainfo.infoBytes)).toBe(0);
        // it came once the silent peer was dropped for its stall, with the reason
        const dropped = events.findIndex(
          (event) =>
            event.type === 'peer-disconnected' &&
            event.address === `127.0.0.1:${silent.port}` &&
            event.error?.code === 'peer-stalled',
        );
        expect(dropped).toBeGreaterThanOrEqual(0);
        expect(events.findIndex((event) => event.type === 'metadata-received')).toBeGreaterThan(
          dropped,
        );
        const disconnect = events[dropped];
        expect(disconnect?.type === 'peer-disconnected' && disconnect.error?.message).toMatch(
          /ut_metadata: no answer to a metadata request/,
        );
        const torrent = await pending.whenTorrent(AbortSignal.timeout(PATIENCE_MS));
        await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
        expect(await sha1File(join(dir, 'payload.bin'))).toBe(await sha1File(source.payload));
      } finally {
        await silent.close();
      }
    },
  );

  it('refuses metadata over the size cap without fetching it', async () => {
    const source = await fixture(300_000);
    const seeder = await createSession({ port: 0, host: '127.0.0.1' });
    sessions.push(seeder);
    const seeding = await seeder.addTorrent(source.metainfo, { directory: source.dir });
    await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    const session = await createSession({ port: 0, host: '127.0.0.1' });
    sessions.push(session);
    const dropped = new Promise<string>((resolve) =>
      session.onEvent((event) => {
        if (event.type === 'peer-disconnected' && event.error) resolve(event.error.message);
      }),
    );
    const pending = session.addMagnet(
      formatMagnet({
        infoHash: source.metainfo.infoHash,
        peers: [{ host: '127.0.0.1', port: seeder.port }],
      }),
      { directory: await makeTempDir(), maxMetadataSize: 100 },
    );
    expect(await dropped).toMatch(/over the cap of 100/);
    expect(pending.metainfo).toBeUndefined();
    expect(pending.stats().metadata).toEqual({ receivedBytes: 0, totalBytes: undefined });
    await session.removeTorrent(source.metainfo.infoHash);
    await expect(pending.whenMetadata()).rejects.toThrow(/stopped before its metadata/);
  });
});
