import { ManualClock } from './clock.js';
import { decodePexMessage, encodePexMessage, PexFlags } from '@bt/wire';
import type { PeerAddress } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import type { SessionError } from './errors.js';
import type { ExtensionPeer, ExtensionTorrent } from './extensions.js';
import { PeerExchange } from './peer-exchange.js';

interface FakePeer extends ExtensionPeer {
  sent: Uint8Array[];
  dropped: SessionError | undefined;
}

function fakePeer(
  port: number,
  options: { incoming?: boolean; listenPort?: number; seed?: boolean; pex?: boolean } = {},
): FakePeer {
  const peer: FakePeer = {
    id: port,
    address: { host: '10.0.0.1', port, family: 4 },
    listenPort: options.listenPort,
    incoming: options.incoming ?? false,
    seed: options.seed ?? false,
    handshake: undefined,
    sent: [],
    dropped: undefined,
    supports: (name) => name === 'ut_pex' && (options.pex ?? true),
    send: (_name, payload) => {
      peer.sent.push(payload);
      return true;
    },
    drop: (error) => {
      peer.dropped = error;
    },
  };
  return peer;
}

function setup(publicDiscovery = true) {
  const clock = new ManualClock(0);
  const peers: FakePeer[] = [];
  const added: PeerAddress[] = [];
  const torrent: ExtensionTorrent = {
    infoHash: new Uint8Array(20),
    description: undefined,
    publicDiscovery,
    clock,
    signal: new AbortController().signal,
    peers: () => peers,
    addPeers: (addresses) => added.push(...addresses),
  };
  return { clock, peers, added, pex: new PeerExchange(torrent) };
}

const key = (peer: PeerAddress): string => `${peer.host}:${peer.port}`;

describe('PeerExchange (BEP 11)', () => {
  it('tells each peer the others at once, then every 60 s what changed', () => {
    const { clock, peers, pex } = setup();
    const a = fakePeer(1);
    const b = fakePeer(2, { seed: true });
    const incoming = fakePeer(40000, { incoming: true, listenPort: 3 });
    const unknownPort = fakePeer(40001, { incoming: true });
    peers.push(a, b, incoming, unknownPort);
    pex.tick(clock.now());
    const first = decodePexMessage(a.sent[0]!);
    expect(first.added.map(key).sort()).toEqual(['10.0.0.1:2', '10.0.0.1:3']);
    expect(first.added.find((p) => p.port === 2)!.flags).toBe(PexFlags.seed | PexFlags.reachable);
    expect(first.added.find((p) => p.port === 3)!.flags).toBe(0);
    // nothing new: nothing sent, and never sooner than a minute
    peers.splice(peers.indexOf(b), 1);
    clock.advance(59_000);
    pex.tick(clock.now());
    expect(a.sent).toHaveLength(1);
    clock.advance(1000);
    pex.tick(clock.now());
    const second = decodePexMessage(a.sent[1]!);
    expect(second.added).toEqual([]);
    expect(second.dropped.map(key)).toEqual(['10.0.0.1:2']);
  });

  it('sends at most 50 added and 50 dropped after the first message', () => {
    const { clock, peers, pex } = setup();
    const listener = fakePeer(1);
    peers.push(listener, fakePeer(2, { pex: false }));
    pex.tick(clock.now());
    for (let port = 100; port < 220; port++) peers.push(fakePeer(port, { pex: false }));
    clock.advance(60_000);
    pex.tick(clock.now());
    expect(decodePexMessage(listener.sent.at(-1)!).added).toHaveLength(50);
    clock.advance(60_000);
    pex.tick(clock.now());
    expect(decodePexMessage(listener.sent.at(-1)!).added).toHaveLength(50);
    peers.splice(1);
    clock.advance(60_000);
    pex.tick(clock.now());
    const last = decodePexMessage(listener.sent.at(-1)!);
    expect(last.dropped).toHaveLength(50);
  });

  it('takes what peers tell, bounded per message and per host, into the pool with source pex', () => {
    const { clock, peers, added, pex } = setup();
    const sender = fakePeer(1);
    peers.push(sender);
    const many = Array.from({ length: 300 }, (_, i) => ({
      host: `10.1.${i >> 8}.${i & 0xff}`,
      port: 6881,
      family: 4 as const,
      flags: i === 0 ? PexFlags.seed : 0,
    }));
    pex.onMessage(sender, encodePexMessage({ added: many }));
    expect(added).toHaveLength(100);
    clock.advance(60_000);
    const sameHost = Array.from({ length: 20 }, (_, i) => ({
      host: '10.9.9.9',
      port: 1000 + i,
      family: 4 as const,
    }));
    const junk = [
      { host: '0.0.0.0', port: 1, family: 4 as const },
      { host: '239.1.1.1', port: 1, family: 4 as const },
      { host: '10.2.2.2', port: 0, family: 4 as const },
    ];
    pex.onMessage(sender, encodePexMessage({ added: [...sameHost, ...junk] }));
    expect(added).toHaveLength(104);
    expect(sender.dropped).toBeUndefined();
    expect(pex.sources()).toEqual([
      { source: '[Peer Exchange]', state: 'working', seeds: 1, peers: 103 },
    ]);
  });

  it('drops a peer that floods, sends an oversized message, or garbage', () => {
    const { clock, peers, pex } = setup();
    const flood = fakePeer(1);
    const big = fakePeer(2);
    const garbage = fakePeer(3);
    peers.push(flood, big, garbage);
    const message = encodePexMessage({ added: [{ host: '10.3.3.3', port: 1, family: 4 }] });
    pex.onMessage(flood, message);
    clock.advance(1000);
    pex.onMessage(flood, message);
    expect(flood.dropped?.message).toMatch(/flood/);
    expect(flood.dropped?.code).toBe('peer-flood');
    pex.onMessage(big, new Uint8Array(20_000));
    expect(big.dropped?.message).toMatch(/over/);
    pex.onMessage(garbage, new TextEncoder().encode('d5:added3:abc'));
    expect(garbage.dropped?.code).toBe('peer-protocol');
  });

  it('a private torrent (BEP 27) is never offered, sends and takes nothing, and says so', () => {
    const { clock, peers, added, pex } = setup(false);
    const a = fakePeer(1);
    peers.push(a, fakePeer(2));
    pex.tick(clock.now());
    pex.onMessage(a, encodePexMessage({ added: [{ host: '10.3.3.3', port: 1, family: 4 }] }));
    expect(pex.offered).toBe(false);
    expect(a.sent).toEqual([]);
    expect(added).toEqual([]);
    expect(pex.sources()).toEqual([
      { source: '[Peer Exchange]', state: 'disabled', message: 'private torrent' },
    ]);
  });
});
