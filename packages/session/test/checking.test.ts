/**
 * A peer that connects while a torrent is still checking its data is answered and held, then
 * gets our piece set once the check ends; it is not dropped (libtorrent would wait a minute
 * before it tried again: the 20-leecher seeding bench stalled on it).
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileStorage } from '@bt/storage';
import { generatePeerId } from '@bt/primitives';
import { encodeHandshake, WireDecoder, type WireItem } from '@bt/wire';
import { PATIENCE_MS, makeTempDir, removeTempDirs, requireProgram } from '@bt/test-support';
import { createSession, type Session } from '../src/index.js';
import { makePayload, makeTorrent } from './helpers.js';

const mktorrent = requireProgram('mktorrent');
const sessions: Session[] = [];

afterAll(async () => {
  await Promise.allSettled(sessions.map((session) => session.close()));
  await removeTempDirs();
});

describe.skipIf(!mktorrent)('a peer that connects while the data is being checked', () => {
  it('is answered, held, and told our pieces once the check ends', async () => {
    const dir = await makeTempDir();
    const payload = await makePayload(dir, 'payload.bin', 256 * 1024);
    const { metainfo } = await makeTorrent(payload, join(dir, 'payload.torrent'), {
      pieceLengthLog2: 16,
    });
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let checkStarted!: () => void;
    const checking = new Promise<void>((resolve) => (checkStarted = resolve));
    const session = await createSession({
      port: 0,
      host: '127.0.0.1',
      storage: async (torrent, directory) => {
        const storage = await createFileStorage({ layout: torrent, directory });
        const recheck = storage.recheck.bind(storage);
        // the check waits for the test, so the peer surely connects while it runs
        storage.recheck = async (options) => {
          checkStarted();
          await gate;
          return recheck(options);
        };
        return storage;
      },
    });
    sessions.push(session);
    const torrent = await session.addTorrent(metainfo, { directory: dir });
    await checking;
    expect(torrent.state).toBe('checking');

    const socket = connect({ host: '127.0.0.1', port: session.port });
    const decoder = new WireDecoder({ pieceCount: metainfo.pieceCount });
    const items: WireItem[] = [];
    let closed = false;
    let wake: () => void = () => undefined;
    socket.on('data', (chunk: Buffer) => {
      decoder.push(new Uint8Array(chunk));
      for (let item = decoder.next(); item !== undefined; item = decoder.next()) items.push(item);
      wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      wake();
    });
    const until = async (done: () => boolean): Promise<void> => {
      const deadline = AbortSignal.timeout(PATIENCE_MS);
      while (!done()) {
        if (closed) throw new Error('our seeder closed the connection');
        deadline.throwIfAborted();
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
    };
    try {
      socket.write(
        encodeHandshake({
          infoHash: metainfo.infoHash,
          peerId: generatePeerId(),
          extensions: { fast: true, extended: false, dht: false },
        }),
      );
      // answered while checking...
      await until(() => items.some((item) => item.type === 'handshake'));
      expect(torrent.state).toBe('checking');
      expect(items.some((item) => item.type === 'have-all')).toBe(false);
      // ...and told our pieces once the check found them all
      openGate();
      await until(() => items.some((item) => item.type === 'have-all'));
      expect(torrent.state).toBe('seeding');
      expect(closed).toBe(false);
      expect(torrent.peerStats()).toHaveLength(1);
    } finally {
      openGate();
      socket.destroy();
    }
  });
});
