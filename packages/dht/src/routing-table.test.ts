import { type PeerAddress, parseIPv4 } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import { commonPrefixLength, compareDistance, nodeIdForIp, randomIdInBucket } from './node-id.js';
import { BUCKET_SIZE, GOOD_FOR, MAX_FAILURES, RoutingTable } from './routing-table.js';

/** A deterministic id: `first` in byte 0, `n` in the last two bytes. */
function makeId(first: number, n = 0): Uint8Array {
  const id = new Uint8Array(20);
  id[0] = first;
  id[18] = n >> 8;
  id[19] = n & 0xff;
  return id;
}

const publicAddress = (n: number): PeerAddress => ({
  host: `8.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`,
  port: 6881,
  family: 4,
});
const localAddress = (n: number): PeerAddress => ({
  host: `127.0.${(n >> 8) & 0xff}.${n & 0xff}`,
  port: 7000 + n,
  family: 4,
});

describe('RoutingTable', () => {
  it('splits only the bucket holding our id, and keeps k per bucket', () => {
    const table = new RoutingTable(makeId(0), 0);
    // 20 nodes far from us (first bit 1): one bucket, no split there.
    for (let n = 0; n < 20; n++)
      table.heard({ id: makeId(0x80 | n, n), address: localAddress(n) }, 'response', 1);
    expect(table.stats(1)).toMatchObject({ nodes: BUCKET_SIZE });
    // Near us: the bucket covering our id splits, so more fit.
    for (let n = 0; n < 20; n++)
      table.heard({ id: makeId(n + 1, n), address: localAddress(100 + n) }, 'response', 1);
    expect(table.stats(1).buckets).toBeGreaterThan(2);
    expect(table.size).toBeGreaterThan(2 * BUCKET_SIZE);
  });

  it('returns the closest nodes in order', () => {
    const table = new RoutingTable(makeId(0), 0);
    for (let n = 0; n < 60; n++)
      table.heard({ id: makeId((n * 37) & 0xff, n), address: localAddress(n) }, 'response', 1);
    const target = makeId(0x55, 3);
    const closest = table.closest(target, 8);
    expect(closest).toHaveLength(8);
    const all = table.nodes().sort((a, b) => compareDistance(target, a.id, b.id));
    expect(closest.map((node) => node.key)).toEqual(all.slice(0, 8).map((node) => node.key));
  });

  it('returns the closest nodes in order for every count and target', () => {
    const table = new RoutingTable(makeId(0x21), 0);
    for (let n = 0; n < 80; n++)
      table.heard({ id: makeId((n * 53 + 7) & 0xff, n), address: localAddress(n) }, 'response', 1);
    // A failed node is skipped; a node that never answered is skipped only when `now` is given.
    const failed = table.nodes()[3]!;
    for (let i = 0; i < MAX_FAILURES; i++) table.failed(failed.id, failed.address);
    table.heard({ id: makeId(0x22, 999), address: localAddress(999) }, 'query', 2);
    for (const target of [makeId(0x21), makeId(0x00, 5), makeId(0xff, 77), makeId(0x22, 999)]) {
      for (const now of [undefined, 3]) {
        const all = table
          .nodes()
          .filter((node) => node.failures < MAX_FAILURES)
          .filter((node) => now === undefined || Number.isFinite(node.lastResponse))
          .sort((a, b) => compareDistance(target, a.id, b.id));
        for (const count of [0, 1, 2, 7, 8, 9, 20, 500]) {
          const closest = table.closest(target, count, now);
          expect(closest.map((node) => node.key)).toEqual(
            all.slice(0, count).map((node) => node.key),
          );
        }
      }
    }
  });

  it('allows one node per public IP and per /24 in a bucket; loopback is exempt', () => {
    const table = new RoutingTable(makeId(0), 0);
    table.heard(
      { id: makeId(0x80, 1), address: { host: '8.8.8.8', port: 1, family: 4 } },
      'response',
      1,
    );
    table.heard(
      { id: makeId(0x81, 2), address: { host: '8.8.8.8', port: 2, family: 4 } },
      'response',
      1,
    );
    table.heard(
      { id: makeId(0x82, 3), address: { host: '8.8.8.9', port: 1, family: 4 } },
      'response',
      1,
    );
    expect(table.size).toBe(1);
    table.heard(
      { id: makeId(0x83, 4), address: { host: '127.0.0.1', port: 1, family: 4 } },
      'response',
      1,
    );
    table.heard(
      { id: makeId(0x84, 5), address: { host: '127.0.0.1', port: 2, family: 4 } },
      'response',
      1,
    );
    expect(table.size).toBe(3);
  });

  it('ignores a known id claimed from another address', () => {
    const table = new RoutingTable(makeId(0), 0);
    table.heard({ id: makeId(0x80, 1), address: localAddress(1) }, 'response', 1);
    table.heard({ id: makeId(0x80, 1), address: localAddress(2) }, 'response', 2);
    expect(table.nodes().map((node) => node.address)).toEqual([localAddress(1)]);
  });

  it('good, questionable and bad by the 15-minute rules; bad nodes give way to replacements', () => {
    const table = new RoutingTable(makeId(0), 0);
    for (let n = 0; n < BUCKET_SIZE; n++)
      table.heard({ id: makeId(0x80 | n, n), address: publicAddress(n << 8) }, 'response', 1);
    expect(table.stats(1)).toMatchObject({ good: BUCKET_SIZE, questionable: 0 });
    const later = 1 + GOOD_FOR;
    expect(table.stats(later)).toMatchObject({ good: 0, questionable: BUCKET_SIZE });
    // A newcomer to the full, questionable bucket waits as a replacement; the stalest node is to be pinged.
    const newcomer = { id: makeId(0xf0, 99), address: publicAddress(99 << 8) };
    const toPing = table.heard(newcomer, 'response', later);
    expect(toPing).toBeDefined();
    expect(table.get(newcomer.id)).toBeUndefined();
    for (let i = 0; i < MAX_FAILURES; i++) table.failed(toPing!.id, toPing!.address);
    expect(table.get(toPing!.id)).toBeUndefined();
    expect(table.get(newcomer.id)).toBeDefined();
  });

  it('prefers ids that match their IP (BEP 42)', () => {
    const table = new RoutingTable(makeId(0), 0);
    for (let n = 0; n < BUCKET_SIZE; n++)
      table.heard({ id: makeId(0x80 | n, n), address: publicAddress(n << 8) }, 'response', 1);
    // 8.0.50.0's valid id: BEP 42 prefix for it, placed in the far bucket (first bit 1).
    const address = publicAddress(50 << 8);
    let verified: Uint8Array | undefined;
    for (let r = 0; r < 256 && !verified; r++) {
      const random = new Uint8Array(20).fill(r);
      random[19] = r;
      const id = nodeIdForIp(parseIPv4(address.host), random);
      if (id[0]! & 0x80) verified = id;
    }
    expect(verified).toBeDefined();
    table.heard({ id: verified!, address }, 'response', 2);
    expect(table.get(verified!)?.verified).toBe(true);
    expect(table.size).toBe(BUCKET_SIZE);
  });

  it('picks refresh targets inside the bucket', () => {
    const own = makeId(0x5a, 7);
    for (const prefix of [0, 1, 7, 8, 13, 100, 159]) {
      const id = randomIdInBucket(own, prefix, new Uint8Array(20).fill(0xa5));
      expect(commonPrefixLength(own, id)).toBe(prefix);
    }
  });
});
