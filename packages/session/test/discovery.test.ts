/**
 * BEP 5 `port` messages reach the DHT hook, and never for a private torrent (BEP 27): a peer
 * that sets the DHT bit sends `port`, then something that gets it dropped, so the drop says the
 * `port` was handled before it.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { generatePeerId, type PeerAddress } from '@bt/primitives';
import { encodeHandshake, WireDecoder } from '@bt/wire';
import { createSession, type SessionEvent } from '../src/index.js';
import { startFakePeer } from './fake-peer.js';
import { makePayload, makeTorrent } from './helpers.js';

const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

async function portsHeard(
  isPrivate: boolean,
): Promise<{ heard: PeerAddress[]; dhtBits: boolean[] }> {
  const seedDir = await makeTempDir();
  const payload = await makePayload(seedDir, 'payload.bin', 256 * 1024);
  const { metainfo } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
  const fake = await startFakePeer({
    infoHash: metainfo.infoHash,
    pieceCount: metainfo.pieceCount,
    behaviour: 'dht-port',
  });
  const heard: PeerAddress[] = [];
  const session = await createSession({
    port: 0,
    host: '127.0.0.1',
    dht: true,
    onDhtNode: (address) => heard.push(address),
  });
  const events: SessionEvent[] = [];
  session.onEvent((event) => events.push(event));
  try {
    await session.addTorrent(
      { ...metainfo, private: isPrivate },
      {
        directory: await makeTempDir(),
        peers: [{ host: '127.0.0.1', port: fake.port, family: 4 }],
      },
    );
    await waitFor(
      () =>
        events.some(
          (event) => event.type === 'peer-disconnected' && event.error?.code === 'peer-unrequested',
        ),
      { timeoutMs: PATIENCE_MS, what: 'the fake peer to be dropped after its port message' },
    );
  } finally {
    await session.close();
    await fake.close();
  }
  return { heard, dhtBits: fake.dhtBits };
}

describe.skipIf(!mktorrent)('DHT port messages', () => {
  it('reach the DHT hook with the peer’s address and the announced port', async () => {
    const { heard, dhtBits } = await portsHeard(false);
    expect(heard).toEqual([{ host: '127.0.0.1', port: 6999, family: 4 }]);
    // a public torrent of a session with `dht` on announces the DHT bit (BEP 5)
    expect(dhtBits.length).toBeGreaterThan(0);
    expect(dhtBits.every((bit) => bit)).toBe(true);
  });

  it('are ignored for a private torrent', async () => {
    const { heard, dhtBits } = await portsHeard(true);
    expect(heard).toEqual([]);
    // a private torrent (BEP 27) never announces the DHT, though the session runs one
    expect(dhtBits.length).toBeGreaterThan(0);
    expect(dhtBits.some((bit) => bit)).toBe(false);
  });
});

/** The DHT bit of the handshake a session with `dht` on answers to an incoming peer. */
async function acceptedDhtBit(isPrivate: boolean): Promise<boolean> {
  const seedDir = await makeTempDir();
  const payload = await makePayload(seedDir, 'payload.bin', 256 * 1024);
  const { metainfo } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));
  const session = await createSession({ port: 0, host: '127.0.0.1', dht: true });
  const events: SessionEvent[] = [];
  session.onEvent((event) => events.push(event));
  const socket = connect({ host: '127.0.0.1', port: session.port });
  try {
    await session.addTorrent(
      { ...metainfo, private: isPrivate },
      { directory: await makeTempDir() },
    );
    // a torrent still checking its files turns peers away
    await waitFor(
      () => events.some((event) => event.type === 'state-changed' && event.state === 'downloading'),
      { timeoutMs: PATIENCE_MS, what: 'the torrent to start downloading' },
    );
    const decoder = new WireDecoder({ pieceCount: metainfo.pieceCount });
    return await new Promise<boolean>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('close', () => reject(new Error('the session closed before its handshake')));
      socket.on('data', (chunk: Buffer) => {
        decoder.push(chunk);
        const item = decoder.next();
        if (item?.type === 'handshake') resolve(item.extensions.dht);
      });
      socket.write(
        encodeHandshake({
          infoHash: metainfo.infoHash,
          peerId: generatePeerId('-FK0001-'),
          extensions: { dht: true },
        }),
      );
    });
  } finally {
    socket.destroy();
    await session.close();
  }
}

describe.skipIf(!mktorrent)('the DHT reserved bit of accepted peers', () => {
  it('is set for a public torrent when the session runs a DHT', async () => {
    expect(await acceptedDhtBit(false)).toBe(true);
  });

  it('is never set for a private torrent (BEP 27)', async () => {
    expect(await acceptedDhtBit(true)).toBe(false);
  });
});
