/**
 * BEP 5 `port` messages reach the DHT hook, and never for a private torrent (BEP 27): a peer
 * that sets the DHT bit sends `port`, then something that gets it dropped, so the drop says the
 * `port` was handled before it.
 */
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
import type { PeerAddress } from '@bt/primitives';
import { createSession, type SessionEvent } from '../src/index.js';
import { startFakePeer } from './fake-peer.js';
import { makePayload, makeTorrent } from './helpers.js';

const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

async function portsHeard(isPrivate: boolean): Promise<PeerAddress[]> {
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
  return heard;
}

describe.skipIf(!mktorrent)('DHT port messages', () => {
  it('reach the DHT hook with the peer’s address and the announced port', async () => {
    expect(await portsHeard(false)).toEqual([{ host: '127.0.0.1', port: 6999, family: 4 }]);
  });

  it('are ignored for a private torrent', async () => {
    expect(await portsHeard(true)).toEqual([]);
  });
});
