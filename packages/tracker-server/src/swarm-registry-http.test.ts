import { describe, expect, it } from 'vitest';
import { SwarmRegistry, type SwarmAnnounce } from './swarm-registry.js';

const torrent = new Uint8Array(20).fill(7);

function id(n: number): Uint8Array {
  const bytes = new Uint8Array(20);
  new DataView(bytes.buffer).setUint32(16, n);
  return bytes;
}

function announce(
  n: number,
  overrides: Partial<SwarmAnnounce> & { host?: string; port?: number } = {},
): SwarmAnnounce {
  const { host, port, ...rest } = overrides;
  return {
    infoHash: torrent,
    peer: {
      host: host ?? `10.0.${n >> 8}.${n & 255}`,
      port: port ?? 1000 + n,
      family: 4,
      peerId: id(n),
    },
    event: 'started',
    left: 100,
    numwant: 50,
    ...rest,
  };
}

/** The cases the HTTP server's former registry was tested on, held by the one registry. */
describe('SwarmRegistry (as the HTTP server uses it)', () => {
  it('counts seeders and leechers, lists the others, and forgets stopped peers', () => {
    const registry = new SwarmRegistry();
    registry.announce(announce(1, { left: 0 }));
    registry.announce(announce(2));
    const third = registry.announce(announce(3));
    expect(third).toMatchObject({ complete: 1, incomplete: 2 });
    expect(third.peers.map((peer) => peer.port).sort()).toEqual([1001, 1002]);
    const completed = registry.announce(announce(2, { event: 'completed', left: 0 }));
    expect(completed).toMatchObject({ complete: 2, incomplete: 1 });
    // A seeder is not sent other seeders.
    expect(completed.peers.map((peer) => peer.port)).toEqual([1003]);
    registry.announce(announce(3, { event: 'stopped', numwant: 0 }));
    expect(registry.scrape([torrent])).toEqual([
      { infoHash: torrent, complete: 2, incomplete: 0, downloaded: 1 },
    ]);
  });

  it('honours numwant and moves a peer that changes address', () => {
    const registry = new SwarmRegistry();
    for (let n = 0; n < 30; n++) registry.announce(announce(n));
    expect(registry.announce(announce(99, { numwant: 10 })).peers).toHaveLength(10);
    registry.announce(announce(5, { host: '10.9.9.9', port: 9 }));
    const all = registry.announce(announce(98, { numwant: 100 })).peers;
    const moved = all.filter((peer) => peer.port === 9);
    expect(moved.map(({ host, port, family, peerId }) => ({ host, port, family, peerId }))).toEqual(
      [{ host: '10.9.9.9', port: 9, family: 4, peerId: id(5) }],
    );
    expect(registry.stats().peers).toBe(32);
  });

  it('caps numwant, filters by family, and lists peers without ids by address', () => {
    const registry = new SwarmRegistry({ numwantCap: 3 });
    for (let n = 0; n < 5; n++) registry.announce(announce(n));
    registry.announce({
      infoHash: torrent,
      peer: { host: '2001:db8::1', port: 1, family: 6 },
      left: 5,
    });
    registry.announce({
      infoHash: torrent,
      peer: { host: '2001:db8::1', port: 1, family: 6 },
      left: 0,
    });
    expect(registry.announce(announce(9, { numwant: 100 })).peers).toHaveLength(3);
    const v6 = registry.announce(announce(10, { family: 6 }));
    expect(v6.peers.map((peer) => peer.host)).toEqual(['2001:db8::1']);
    expect(v6).toMatchObject({ complete: 1, incomplete: 7 });
  });

  it('gives back every peer id byte for byte (the ids are stored as strings)', () => {
    const registry = new SwarmRegistry();
    const ids = Array.from({ length: 13 }, (_, k) =>
      Uint8Array.from({ length: 20 }, (_, i) => (k * 20 + i) & 0xff),
    );
    ids.forEach((peerId, k) =>
      registry.announce({
        infoHash: torrent,
        peer: { host: '10.0.0.1', port: k + 1, family: 4, peerId },
        left: 1,
      }),
    );
    const listed = registry.announce(announce(500, { numwant: 100 })).peers;
    for (const [k, peerId] of ids.entries())
      expect(listed.find((peer) => peer.port === k + 1)?.peerId).toEqual(peerId);
  });

  it('expires peers after twice the interval', () => {
    let now = 0;
    const registry = new SwarmRegistry({ interval: 10, now: () => now });
    registry.announce(announce(1));
    now = 19_999;
    registry.announce(announce(2));
    expect(registry.scrape([torrent])[0]!.incomplete).toBe(2);
    // Expiry runs at most once a second per torrent.
    now = 21_000;
    expect(registry.scrape([torrent])[0]!.incomplete).toBe(1);
    now = 40_000;
    registry.prune();
    expect(registry.stats()).toMatchObject({ torrents: 0, peers: 0 });
  });

  it('stores no more than its caps however many identities announce', () => {
    const registry = new SwarmRegistry({
      maxPeersPerTorrent: 100,
      maxPeers: 150,
      maxTorrents: 3,
    });
    for (let n = 0; n < 1000; n++) registry.announce(announce(n));
    expect(registry.stats()).toMatchObject({ torrents: 1, peers: 100 });
    for (let t = 0; t < 10; t++) {
      for (let n = 0; n < 100; n++)
        registry.announce(announce(n, { infoHash: new Uint8Array(20).fill(t + 100) }));
    }
    expect(registry.stats().torrents).toBeLessThanOrEqual(3);
    expect(registry.stats().peers).toBeLessThanOrEqual(150);
    // Answers still flow in a full registry: the newest swarm lists its peers.
    const newest = new Uint8Array(20).fill(109);
    expect(registry.announce(announce(5000, { infoHash: newest, numwant: 5 })).peers).toHaveLength(
      5,
    );
  });
});
