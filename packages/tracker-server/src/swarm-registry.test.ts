import { decodeCompactPeers, type TrackerPeer } from '@bt/primitives';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type SwarmAnnounce,
  SwarmRegistry,
  SwarmRegistryError,
  type SwarmRegistryOptions,
} from './swarm-registry.js';

function hash(n: number): Uint8Array {
  return new Uint8Array(20).fill(n);
}

function id(n: number): Uint8Array {
  return new Uint8Array(20)
    .fill(100 + (n % 100))
    .map((byte, i) => (i < 4 ? (n >> (i * 8)) & 0xff : byte));
}

function peer(n: number, family: 4 | 6 = 4): TrackerPeer {
  return family === 4
    ? { host: `10.0.${(n >> 8) & 255}.${n & 255}`, port: 6881, family, peerId: id(n) }
    : { host: `2001:db8::${n.toString(16)}`, port: 6881, family, peerId: id(n) };
}

function setup(options: SwarmRegistryOptions = {}) {
  const clock = { now: 1_000_000 };
  const registry = new SwarmRegistry({ interval: 100, now: () => clock.now, ...options });
  const announce = (n: number, overrides: Partial<SwarmAnnounce> = {}) =>
    registry.announce({ infoHash: hash(1), peer: peer(n), left: 10, ...overrides });
  return { clock, registry, announce };
}

const ports = (peers: readonly TrackerPeer[]) => peers.map((p) => p.host).sort();

describe('SwarmRegistry', () => {
  it('lists the other peers, never the announcer, with counts', () => {
    const { announce } = setup();
    expect(announce(1)).toMatchObject({
      peers: [],
      complete: 0,
      incomplete: 1,
      downloaded: 0,
      interval: 100,
    });
    announce(2, { left: 0 });
    const third = announce(3);
    expect(ports(third.peers)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(third).toMatchObject({ complete: 1, incomplete: 2 });
    expect(third.peers.every((p) => p.compact?.length === 6)).toBe(true);
  });

  it('gives a seeder leechers only', () => {
    const { announce } = setup();
    announce(1, { left: 0 });
    announce(2);
    expect(ports(announce(3, { left: 0 }).peers)).toEqual(['10.0.0.2']);
  });

  it('moves a peer between seeders and leechers and counts completed once', () => {
    const { announce } = setup();
    announce(1, { event: 'started' });
    expect(announce(1, { left: 0, event: 'completed' })).toMatchObject({
      complete: 1,
      incomplete: 0,
      downloaded: 1,
    });
    expect(announce(1, { left: 0, event: 'completed' })).toMatchObject({
      complete: 1,
      downloaded: 1,
    });
  });

  it('removes a peer on stopped and answers it with no peers', () => {
    const { announce, registry } = setup();
    announce(1);
    announce(2);
    expect(announce(2, { event: 'stopped' })).toMatchObject({
      peers: [],
      complete: 0,
      incomplete: 1,
    });
    expect(registry.stats().peers).toBe(1);
    expect(announce(3).peers.map((p) => p.host)).toEqual(['10.0.0.1']);
  });

  it('keys peers without an id by address, and follows an id to its new address', () => {
    const { registry, announce } = setup();
    const anonymous = { host: '10.9.9.9', port: 1, family: 4 as const };
    registry.announce({ infoHash: hash(1), peer: anonymous, left: 1 });
    registry.announce({ infoHash: hash(1), peer: anonymous, left: 1 });
    expect(registry.stats().peers).toBe(1);
    announce(1);
    announce(1, { peer: { ...peer(1), host: '10.1.1.1', port: 999 } });
    expect(registry.stats().peers).toBe(2);
    expect(
      announce(2)
        .peers.map((p) => `${p.host}:${p.port}`)
        .sort(),
    ).toEqual(['10.1.1.1:999', '10.9.9.9:1']);
  });

  it('expires peers after twice the interval, and prune drops idle torrents', () => {
    const { clock, registry, announce } = setup();
    announce(1);
    clock.now += 150_000;
    announce(2);
    registry.announce({ infoHash: hash(2), peer: peer(5), left: 1 });
    clock.now += 60_000; // peer 1 is 210 s old, past 2 x 100 s
    expect(announce(3).peers.map((p) => p.host)).toEqual(['10.0.0.2']);
    expect(registry.scrape([hash(1)])[0]).toMatchObject({ incomplete: 2 });
    clock.now += 150_000; // torrent 2 idle for 210 s; torrent 1 for 150 s
    expect(registry.prune()).toBe(1);
    expect(registry.stats()).toMatchObject({ torrents: 1, peers: 2 });
  });

  it('prunes by last activity even when a busy torrent has not moved within the second', () => {
    const { clock, registry, announce } = setup(); // interval 100 s: torrents idle for 200 s go
    const start = clock.now;
    announce(1);
    clock.now = start + 500;
    announce(2); // active again, not moved (under a second since its last move)
    clock.now = start + 200_300;
    expect(registry.prune()).toBe(0);
    clock.now = start + 200_600;
    expect(registry.prune()).toBe(1);
    expect(registry.stats()).toMatchObject({ torrents: 0, peers: 0 });
  });

  it('defaults and caps numwant', () => {
    const { announce } = setup({ defaultNumwant: 5, numwantCap: 8, maxPeersPerTorrent: 100 });
    for (let n = 1; n <= 20; n++) announce(n);
    expect(announce(21).peers).toHaveLength(5);
    expect(announce(21, { numwant: -1 }).peers).toHaveLength(5);
    expect(announce(21, { numwant: 3 }).peers).toHaveLength(3);
    expect(announce(21, { numwant: 1000 }).peers).toHaveLength(8);
    expect(announce(21, { numwant: 0 }).peers).toHaveLength(0);
    const listed = announce(21, { numwant: 8 }).peers;
    expect(new Set(listed.map((p) => p.host)).size).toBe(8);
  });

  it('answers in one family when asked', () => {
    const { registry } = setup();
    registry.announce({ infoHash: hash(1), peer: peer(1, 6), left: 1 });
    registry.announce({ infoHash: hash(1), peer: peer(2, 4), left: 1 });
    const v6 = registry.announce({ infoHash: hash(1), peer: peer(3, 6), left: 1, family: 6 });
    expect(v6.peers.map((p) => p.host)).toEqual(['2001:db8::1']);
    expect(v6.peers[0]!.compact).toHaveLength(18);
    const both = registry.announce({ infoHash: hash(1), peer: peer(4, 4), left: 1 });
    expect(both.peers).toHaveLength(3);
  });

  it('evicts the least recently seen peer when a torrent is full', () => {
    const { clock, announce, registry } = setup({ maxPeersPerTorrent: 3 });
    for (const n of [1, 2, 3]) {
      announce(n);
      clock.now += 1;
    }
    announce(1); // refreshed: peer 2 is now the oldest
    announce(4);
    expect(ports(announce(4).peers)).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(registry.stats()).toMatchObject({ peers: 3, evictedPeers: 1 });
  });

  it('evicts the least recently announced torrent when there are too many', () => {
    const { clock, registry } = setup({ maxTorrents: 2 });
    registry.announce({ infoHash: hash(1), peer: peer(1), left: 1 });
    registry.announce({ infoHash: hash(2), peer: peer(1), left: 1 });
    clock.now += 1000; // activity order is kept to the second
    registry.announce({ infoHash: hash(1), peer: peer(2), left: 1 });
    registry.announce({ infoHash: hash(3), peer: peer(1), left: 1 });
    expect(registry.scrape([hash(1), hash(2), hash(3)]).map((f) => f.incomplete)).toEqual([
      2, 0, 1,
    ]);
    expect(registry.stats()).toMatchObject({ torrents: 2, peers: 3, evictedTorrents: 1 });
  });

  it('holds the total number of peers under maxPeers across torrents', () => {
    const { registry } = setup({ maxPeers: 10 });
    for (let n = 0; n < 100; n++)
      registry.announce({ infoHash: hash(n % 7), peer: peer(n), left: 1 });
    const stats = registry.stats();
    expect(stats.peers).toBe(10);
    const counted = registry
      .scrape(Array.from({ length: 7 }, (_, i) => hash(i)))
      .reduce((sum, f) => sum + f.incomplete, 0);
    expect(counted).toBe(10);
  });

  it('stays bounded under a flood of distinct peers and torrents', () => {
    const { registry } = setup({ maxPeers: 500, maxTorrents: 50, maxPeersPerTorrent: 20 });
    for (let n = 0; n < 20_000; n++) {
      registry.announce({ infoHash: hash(n % 256), peer: peer(n), left: n % 2 });
    }
    const stats = registry.stats();
    expect(stats.torrents).toBeLessThanOrEqual(50);
    expect(stats.peers).toBeLessThanOrEqual(500);
    expect(stats.seeders + stats.leechers).toBe(stats.peers);
  });

  it('honours an allow-list of info-hashes or a predicate', () => {
    const listed = new SwarmRegistry({ allowList: [hash(1)] });
    expect(listed.isAllowed(hash(1))).toBe(true);
    expect(listed.isAllowed(hash(2))).toBe(false);
    expect(() => listed.announce({ infoHash: hash(2), peer: peer(1), left: 0 })).toThrowError(
      expect.objectContaining({ code: 'torrent-not-allowed' }),
    );
    expect(listed.scrape([hash(2)])[0]).toMatchObject({
      complete: 0,
      incomplete: 0,
      downloaded: 0,
    });
    const predicate = new SwarmRegistry({ allowList: (infoHash) => infoHash[0] === 7 });
    expect(predicate.isAllowed(hash(7))).toBe(true);
    expect(predicate.isAllowed(hash(8))).toBe(false);
  });

  it('refuses info-hashes that are not 20 bytes, with a typed error', () => {
    const registry = new SwarmRegistry();
    try {
      registry.announce({ infoHash: new Uint8Array(19), peer: peer(1), left: 0 });
      expect.unreachable();
    } catch (error) {
      expect(SwarmRegistryError.isInstance(error)).toBe(true);
      expect((error as SwarmRegistryError).code).toBe('invalid-info-hash');
    }
  });

  it('rejects nonsensical limits', () => {
    expect(() => new SwarmRegistry({ maxPeers: 0 })).toThrow(RangeError);
    expect(() => new SwarmRegistry({ interval: Number.NaN })).toThrow(RangeError);
  });

  it('keeps the listed peers a sample of the whole swarm', () => {
    const { announce } = setup({ maxPeersPerTorrent: 1000 });
    for (let n = 1; n <= 200; n++) announce(n);
    const seen = new Set<string>();
    for (let round = 0; round < 50; round++)
      for (const p of announce(201, { numwant: 10 }).peers) seen.add(p.host);
    // 50 samples of 10 from 200, from random starting points: far more than one window.
    expect(seen.size).toBeGreaterThan(100);
  });

  it('lists peers as packed compact bytes on the fast path, in the asked family only', () => {
    const { registry } = setup();
    registry.announce({ infoHash: hash(1), peer: peer(1, 4), left: 1 });
    registry.announce({ infoHash: hash(1), peer: peer(2, 6), left: 0 });
    registry.announce({
      infoHash: hash(1),
      peer: { host: 'peer.example', port: 7, family: 4 },
      left: 1,
    });
    const v4 = registry.announce({
      infoHash: hash(1),
      peer: peer(3, 4),
      left: 1,
      family: 4,
      compact: true,
    });
    expect(v4.peers).toEqual([]);
    expect(decodeCompactPeers(v4.compactPeers!, 4)).toEqual([
      { host: '10.0.0.1', port: 6881, family: 4 },
    ]);
    const v6 = registry.announce({
      infoHash: hash(1),
      peer: peer(4, 6),
      left: 1,
      family: 6,
      compact: true,
    });
    expect(decodeCompactPeers(v6.compactPeers!, 6)).toEqual([
      { host: '2001:db8::2', port: 6881, family: 6 },
    ]);
    // Host names have no compact form, but are listed as objects.
    const objects = registry.announce({ infoHash: hash(1), peer: peer(5, 4), left: 1, family: 4 });
    expect(objects.peers.map((p) => p.host).sort()).toEqual([
      '10.0.0.1',
      '10.0.0.3',
      'peer.example',
    ]);
    expect(objects.peers.find((p) => p.host === '10.0.0.1')!.peerId).toEqual(id(1));
    expect(objects.peers.find((p) => p.host === 'peer.example')!.peerId).toBeUndefined();
    expect(
      registry.announce({
        ...{ infoHash: hash(1), peer: peer(3, 4), left: 1 },
        event: 'stopped',
        family: 4,
        compact: true,
      }).compactPeers,
    ).toHaveLength(0);
  });

  it('writes compact peers into a caller buffer when asked, else allocates', () => {
    const { registry } = setup();
    registry.announce({ infoHash: hash(1), peer: peer(1), left: 1 });
    registry.announce({ infoHash: hash(1), peer: peer(2), left: 1 });
    const into = new Uint8Array(64);
    const result = registry.announce({
      infoHash: hash(1),
      peer: peer(3),
      left: 1,
      family: 4,
      compact: true,
      compactInto: into,
    });
    expect(result.compactPeers!.buffer).toBe(into.buffer);
    expect(result.compactPeers).toHaveLength(12);
    const small = new Uint8Array(6);
    const fallback = registry.announce({
      infoHash: hash(1),
      peer: peer(3),
      left: 1,
      family: 4,
      compact: true,
      compactInto: small,
    });
    expect(fallback.compactPeers!.buffer).not.toBe(small.buffer);
    expect(
      decodeCompactPeers(fallback.compactPeers!, 4)
        .map((p) => p.host)
        .sort(),
    ).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('samples distinct peers, never the announcer, as many as asked or available (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ seeder: fc.boolean(), v6: fc.boolean() }), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.nat({ max: 59 }),
        fc.nat({ max: 80 }),
        fc.boolean(),
        fc.constantFrom(undefined, 4 as const, 6 as const),
        (swarm, selfIndex, numwant, compact, family) => {
          const registry = new SwarmRegistry({ numwantCap: 100 });
          swarm.forEach((member, n) =>
            registry.announce({
              infoHash: hash(1),
              peer: peer(n + 1, member.v6 ? 6 : 4),
              left: member.seeder ? 0 : 1,
            }),
          );
          const self = selfIndex % swarm.length;
          const me = swarm[self]!;
          const askFamily = compact ? (family ?? 4) : family;
          const result = registry.announce({
            infoHash: hash(1),
            peer: peer(self + 1, me.v6 ? 6 : 4),
            left: me.seeder ? 0 : 1,
            numwant,
            family: askFamily,
            compact,
          });
          const hosts = compact
            ? decodeCompactPeers(result.compactPeers!, askFamily!).map((p) => p.host)
            : result.peers.map((p) => p.host);
          const eligible = swarm.filter(
            (member, n) =>
              n !== self &&
              !(me.seeder && member.seeder) &&
              (askFamily === undefined || (member.v6 ? 6 : 4) === askFamily),
          ).length;
          expect(new Set(hosts).size).toBe(hosts.length);
          expect(hosts).not.toContain(peer(self + 1, me.v6 ? 6 : 4).host);
          expect(hosts).toHaveLength(Math.min(numwant, eligible));
        },
      ),
      { numRuns: 300 },
    );
  });
});
