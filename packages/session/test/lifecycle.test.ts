/**
 * The torrent lifecycle between two of our sessions on loopback: pause and resume, remove,
 * sequential picking, and the download rate limit (a lower bound on time, which cannot flake).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  waitFor,
} from '@bt/test-support';
import { createSession, type Session } from '../src/index.js';
import { makePayload, makeTorrent, sha1File } from './helpers.js';

const mktorrent = requireProgram('mktorrent');
const sessions: Session[] = [];

afterAll(async () => {
  await Promise.allSettled(sessions.map((session) => session.close()));
  await removeTempDirs();
});

async function pair(size: number, seederUploadLimit = 0) {
  const seedDir = await makeTempDir();
  const leechDir = await makeTempDir();
  const payload = await makePayload(seedDir, 'payload.bin', size);
  const { metainfo } = await makeTorrent(payload, join(seedDir, 'payload.torrent'), {
    pieceLengthLog2: 16,
  });
  const seeder = await createSession({
    port: 0,
    host: '127.0.0.1',
    uploadLimit: seederUploadLimit,
  });
  const leecher = await createSession({ port: 0, host: '127.0.0.1' });
  sessions.push(seeder, leecher);
  const seeding = await seeder.addTorrent(metainfo, { directory: seedDir });
  await seeding.whenComplete(AbortSignal.timeout(PATIENCE_MS));
  return {
    seeder,
    leecher,
    metainfo,
    payload,
    leechDir,
    peer: { host: '127.0.0.1', port: seeder.port, family: 4 as const },
  };
}

describe.skipIf(!mktorrent)('torrent lifecycle', () => {
  it('pauses (no peers, no progress), resumes to completion, and is removed', async () => {
    const { seeder, leecher, metainfo, payload, leechDir, peer } = await pair(
      4 * 1024 * 1024,
      1024 * 1024,
    );
    const torrent = await leecher.addTorrent(metainfo, { directory: leechDir, peers: [peer] });
    await waitFor(() => torrent.stats().piecesHave >= 3, {
      timeoutMs: PATIENCE_MS,
      what: 'some pieces',
    });
    await torrent.pause();
    expect(torrent.state).toBe('paused');
    expect(torrent.stats().peers).toBe(0);
    // nothing arrives while paused (a piece already in hand may still finish verifying): the
    // count stays put until the seeder has seen the connection go, after which nothing can come
    const paused = torrent.stats().downloaded;
    await waitFor(() => seeder.get(metainfo.infoHash)?.stats().peers === 0, {
      what: 'the seeder to see the paused leecher go',
    });
    expect(torrent.stats().downloaded).toBe(paused);
    await torrent.resume();
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    await leecher.removeTorrent(metainfo.infoHash);
    expect(leecher.list()).toEqual([]);
    expect(torrent.state).toBe('stopped');
  });

  it('fetches pieces in order in sequential mode', async () => {
    // 128 pieces: the hash pool reorders verification within what it holds at once (a worker
    // that starts late on a loaded machine can hold a dozen), so the order is judged over many
    const { leecher, metainfo, leechDir, peer } = await pair(8 * 1024 * 1024);
    const order: number[] = [];
    const torrent = await leecher.addTorrent(metainfo, {
      directory: leechDir,
      peers: [peer],
      sequential: true,
      seed: false,
    });
    torrent.on('piece-verified', ({ piece }) => order.push(piece));
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(order).toHaveLength(metainfo.pieceCount);
    // requests go strictly in order; verification on the worker pool may reorder a little
    const firstQuarter = order.slice(0, Math.floor(order.length / 4));
    expect(firstQuarter.every((piece) => piece < order.length / 2)).toBe(true);
  });

  it('keeps to the download limit', async () => {
    const { leecher, metainfo, leechDir, peer } = await pair(3 * 1024 * 1024);
    const started = performance.now();
    const torrent = await leecher.addTorrent(metainfo, {
      directory: leechDir,
      peers: [peer],
      downloadLimit: 1024 * 1024,
      seed: false,
    });
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    // 3 MiB at 1 MiB/s (after a burst of at most a quarter second's worth) cannot take under 2.5 s
    expect((performance.now() - started) / 1000).toBeGreaterThan(2.5);
  });
});
