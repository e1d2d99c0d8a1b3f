/**
 * The multicast shell on the host's loopback only: datagrams reach it unicast on a free port
 * (the group is joined on `lo`, nothing goes out on another interface). Announces of others are
 * handed on with the sender's address; our own, malformed, oversized and flooding ones are not.
 */
import { createSocket } from 'node:dgram';
import { fromHex } from '@bt/primitives';
import { freeUdpPort, waitFor } from '@bt/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAnnounce } from '../src/index.js';
import { type LocalPeerDiscovery, openLocalPeerDiscovery } from '../src/node.js';
import type { PeerAddress } from '@bt/primitives';

const A = fromHex('c12fe1c06bba254a9dc9f519b335aa7c1367a88a');
const opened: LocalPeerDiscovery[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((each) => each.close()));
});

async function send(port: number, datagrams: Uint8Array[]): Promise<void> {
  const socket = createSocket('udp4');
  for (const datagram of datagrams) {
    await new Promise<void>((resolve, reject) =>
      socket.send(datagram, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  }
  socket.close();
}

describe('openLocalPeerDiscovery on loopback', () => {
  it('hands on announces of others with the sender address and announced port, drops the rest', async () => {
    const port = await freeUdpPort();
    const heard: { infoHashes: readonly Uint8Array[]; peer: PeerAddress }[] = [];
    const dropped: string[] = [];
    const discovery = await openLocalPeerDiscovery({
      port,
      families: [4],
      interface4: '127.0.0.1',
      cookie: 'mine',
      onAnnounce: (announce, peer) => heard.push({ infoHashes: announce.infoHashes, peer }),
      onDropped: (reason) => dropped.push(reason),
    });
    opened.push(discovery);
    expect(discovery.families).toEqual([4]);
    await send(port, [
      encodeAnnounce({ family: 4, port: 51413, infoHashes: [A], cookie: 'theirs' }),
      encodeAnnounce({ family: 4, port: 6881, infoHashes: [A], cookie: 'mine' }),
      new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'),
      new Uint8Array(5000),
    ]);
    await waitFor(() => heard.length + dropped.length === 4);
    expect(heard).toEqual([
      { infoHashes: [A], peer: { host: '127.0.0.1', port: 51413, family: 4 } },
    ]);
    expect(dropped).toEqual(['own', 'malformed', 'oversized']);
    expect(discovery.stats).toMatchObject({ received: 4, dropped: 2 });
  });

  it('a flood from one sender is cut to its burst, with no more work than counting', async () => {
    const port = await freeUdpPort();
    let heard = 0;
    let limited = 0;
    const discovery = await openLocalPeerDiscovery({
      port,
      families: [4],
      interface4: '127.0.0.1',
      now: () => 0, // no refill: what passes is the burst
      limiter: { perSenderBurst: 3 },
      onAnnounce: () => heard++,
      onDropped: (reason) => {
        if (reason === 'rate-limited') limited++;
      },
    });
    opened.push(discovery);
    const valid = encodeAnnounce({ family: 4, port: 1, infoHashes: [A] });
    await send(
      port,
      Array.from({ length: 100 }, () => valid),
    );
    await waitFor(() => heard + limited === 100, { what: 'the flood to arrive' });
    expect(heard).toBe(3);
    expect(limited).toBe(97);
  });
});
