/**
 * Hostile input: random, truncated, oversized and wrong-type datagrams, spoofed answers, and
 * floods from one address and from many. Only typed errors inside (counted, never thrown), the
 * node keeps answering others, and every table and store stays within its cap.
 */
import { createSocket } from 'node:dgram';
import { encode } from '@bt/bencode';
import { type PeerAddress, randomBytes } from '@bt/primitives';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DhtCore, decodeKrpc, encodeKrpc } from '../src/index.js';
import { type Dht, createDht } from '../src/node.js';

const honest: PeerAddress = { host: '10.0.0.2', port: 6881, family: 4 };

function core(options: Partial<ConstructorParameters<typeof DhtCore>[0]> = {}): DhtCore {
  return new DhtCore({ now: 0, bootstrap: [], ...options });
}

function ping(id = randomBytes(20), t = Uint8Array.of(1, 2)): Uint8Array {
  return encodeKrpc({ kind: 'query', transactionId: t, id, method: 'ping' });
}

function answersPing(node: DhtCore, from: PeerAddress, now: number): boolean {
  const out = node.receive(ping(), from, now);
  return out.some(
    (datagram) => datagram.to.host === from.host && decodeKrpc(datagram.bytes).kind === 'response',
  );
}

describe('hostile datagrams (sans-IO core)', () => {
  it('random bytes: counted as malformed, never thrown, never answered', () => {
    const node = core();
    let sent = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        sent += node.receive(bytes, { host: '10.0.0.9', port: 1, family: 4 }, 1).length;
      }),
      { numRuns: 2000 },
    );
    expect(sent).toBe(0);
    expect(node.stats(1).malformed).toBeGreaterThan(1900);
    expect(answersPing(node, honest, 1)).toBe(true);
  });

  it('every truncation of valid messages', () => {
    const node = core();
    const messages = [
      ping(),
      encodeKrpc({
        kind: 'query',
        transactionId: Uint8Array.of(1),
        id: randomBytes(20),
        method: 'get_peers',
        infoHash: randomBytes(20),
        scrape: true,
      }),
      encodeKrpc({
        kind: 'response',
        transactionId: Uint8Array.of(1, 2),
        id: randomBytes(20),
        nodes: [{ id: randomBytes(20), address: { host: '1.2.3.4', port: 5, family: 4 } }],
        values: [{ host: '1.2.3.4', port: 5, family: 4 }],
      }),
    ];
    for (const message of messages) {
      for (let end = 0; end < message.length; end++) {
        expect(() =>
          node.receive(message.subarray(0, end), { host: '10.0.0.9', port: 1, family: 4 }, 1),
        ).not.toThrow();
      }
    }
    expect(node.stats(1).malformed).toBeGreaterThan(0);
  });

  it('oversized datagrams are dropped unread', () => {
    const node = core();
    const huge = encode({
      t: 'aa',
      y: 'q',
      q: 'ping',
      a: { id: randomBytes(20), pad: new Uint8Array(100_000) },
    });
    expect(node.receive(huge, honest, 1)).toEqual([]);
    expect(node.stats(1).malformed).toBe(1);
  });

  it('wrong types in every field get no answer and break nothing', () => {
    const node = core();
    const id = randomBytes(20);
    const cases: unknown[] = [
      { t: 5, y: 'q', q: 'ping', a: { id } },
      { t: 'aa', y: 5, q: 'ping', a: { id } },
      { t: 'aa', y: 'q', q: ['ping'], a: { id } },
      { t: 'aa', y: 'q', q: 'ping', a: [id] },
      { t: 'aa', y: 'q', q: 'get_peers', a: { id, info_hash: 7 } },
      { t: 'aa', y: 'q', q: 'announce_peer', a: { id, info_hash: id, port: 'x', token: 'y' } },
      { t: 'aa', y: 'q', q: 'put', a: { id, token: 'y' } },
      { t: 'aa', y: 'r', r: { id, nodes: 5 } },
      { t: 'aa', y: 'e', e: { code: 201 } },
    ];
    for (const value of cases) expect(node.receive(encode(value as never), honest, 1)).toEqual([]);
    expect(node.stats(1).malformed).toBe(cases.length);
    expect(answersPing(node, honest, 1)).toBe(true);
  });

  it('a flood from one IP is cut off; others are still answered', () => {
    const node = core({ maxQueriesPerIpPerSecond: 50 });
    const flooder: PeerAddress = { host: '10.6.6.6', port: 6666, family: 4 };
    let answered = 0;
    for (let i = 0; i < 10_000; i++) {
      for (const datagram of node.receive(ping(), flooder, 1000)) {
        if (decodeKrpc(datagram.bytes).kind === 'response') answered++;
      }
    }
    // A burst of 4 seconds' worth at most, then the IP is ignored for a while.
    expect(answered).toBeLessThanOrEqual(200);
    expect(node.stats(1000).rateLimited).toBeGreaterThanOrEqual(9_800);
    expect(answersPing(node, honest, 1000)).toBe(true);
    expect(answersPing(node, flooder, 30_000)).toBe(false);
  });

  it('spoofed answers (no query of ours, wrong source) change nothing', () => {
    const node = core();
    for (let i = 0; i < 1000; i++) {
      const response = encodeKrpc({
        kind: 'response',
        transactionId: Uint8Array.of(i >> 8, i & 0xff),
        id: randomBytes(20),
        nodes: [{ id: randomBytes(20), address: { host: '10.1.1.1', port: 1, family: 4 } }],
      });
      node.receive(response, { host: `10.2.${i >> 8}.${i & 0xff}`, port: 1, family: 4 }, 1);
    }
    expect(node.stats(1).unexpected).toBe(1000);
    expect(node.table()!.size).toBe(0);
  });

  it('stores stay within their caps under announces from many addresses', () => {
    const node = core({
      peerStore: { maxPeers: 500, maxPeersPerInfoHash: 50, maxInfoHashes: 20 },
      maxQueriesPerIpPerSecond: 1e6,
    });
    for (let i = 0; i < 5000; i++) {
      const from: PeerAddress = {
        host: `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`,
        port: 1000 + (i % 1000),
        family: 4,
      };
      const infoHash = new Uint8Array(20).fill(i % 40);
      const get = node.receive(
        encodeKrpc({
          kind: 'query',
          transactionId: Uint8Array.of(1),
          id: randomBytes(20),
          method: 'get_peers',
          infoHash,
        }),
        from,
        1,
      );
      const reply = decodeKrpc(get[0]!.bytes);
      const token = reply.kind === 'response' ? reply.token : undefined;
      if (!token) continue;
      node.receive(
        encodeKrpc({
          kind: 'query',
          transactionId: Uint8Array.of(2),
          id: randomBytes(20),
          method: 'announce_peer',
          infoHash,
          port: 1,
          token,
        }),
        from,
        1,
      );
    }
    const stats = node.stats(1);
    expect(stats.storedPeers).toBeLessThanOrEqual(500);
    expect(stats.storedInfoHashes).toBeLessThanOrEqual(20);
    expect(stats.storedPeers).toBeGreaterThan(0);
  });

  it('a forged token is refused', () => {
    const node = core();
    const reply = node.receive(
      encodeKrpc({
        kind: 'query',
        transactionId: Uint8Array.of(2),
        id: randomBytes(20),
        method: 'announce_peer',
        infoHash: randomBytes(20),
        port: 1,
        token: randomBytes(8),
      }),
      honest,
      1,
    );
    expect(decodeKrpc(reply[0]!.bytes)).toMatchObject({ kind: 'error', code: 203 });
    expect(node.stats(1).storedPeers).toBe(0);
  });
});

describe('hostile datagrams over UDP (shell)', () => {
  const open: Dht[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((dht) => dht.close()));
  });

  it('keeps answering a polite client through a flood of garbage and pings', async () => {
    const dht = await createDht({ host: '127.0.0.1', bootstrap: [] });
    open.push(dht);
    const port = dht.address().port;
    const flooder = createSocket('udp4');
    await new Promise<void>((resolve) => flooder.bind(0, '127.0.0.2', () => resolve()));
    const garbage = [
      randomBytes(1400),
      new Uint8Array(60_000),
      ping(),
      new TextEncoder().encode('d1:t'),
    ];
    for (let i = 0; i < 4000; i++) flooder.send(garbage[i % garbage.length]!, port, '127.0.0.1');
    const client = createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    const answer = new Promise<Buffer>((resolve) =>
      client.once('message', (message) => resolve(message)),
    );
    // UDP: the kernel may drop our ping among the flood's, so it is sent again until answered.
    const retry = setInterval(() => client.send(ping(), port, '127.0.0.1'), 250);
    client.send(ping(), port, '127.0.0.1');
    const reply = await answer.finally(() => clearInterval(retry));
    expect(decodeKrpc(reply).kind).toBe('response');
    const stats = dht.stats();
    expect(stats.malformed + stats.rateLimited + stats.queriesIn).toBeGreaterThan(0);
    flooder.close();
    client.close();
  });
});
