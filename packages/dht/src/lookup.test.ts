import { parseIPv4 } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import { type Candidate, Lookup } from './lookup.js';
import { type NodeContact, compareDistance, idKey, nodeIdForIp } from './node-id.js';

const target = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 11) & 0xff);

/** Ids a few bits from the target, on public addresses: their ids cannot match their IPs. */
function unverifiedNear(count: number): NodeContact[] {
  return Array.from({ length: count }, (_, i) => {
    const id = Uint8Array.from(target);
    id[19] = id[19]! ^ (i + 1);
    return { id, address: { host: `8.8.${i}.1`, port: 6881, family: 4 } };
  });
}

/** Ids that match their (public) IPs (BEP 42), wherever that puts them. */
function verified(count: number): NodeContact[] {
  return Array.from({ length: count }, (_, i) => {
    const host = `9.${i}.${i * 3}.7`;
    const random = Uint8Array.from({ length: 20 }, (_, j) => (i * 13 + j * 7) & 0xff);
    return { id: nodeIdForIp(parseIPv4(host), random), address: { host, port: 6881, family: 4 } };
  });
}

/** Answers every request (with a token) until the lookup is done; returns who was asked. */
function run(lookup: Lookup): Candidate[] {
  const asked: Candidate[] = [];
  for (let round = 0; round < 100 && !lookup.done; round++) {
    const picked = lookup.next(1000);
    if (picked.length === 0) break;
    for (const candidate of picked) {
      asked.push(candidate);
      candidate.token = Uint8Array.of(1);
      lookup.responded(candidate, candidate.id!);
    }
  }
  expect(lookup.done).toBe(true);
  return asked;
}

const keys = (list: readonly { id?: Uint8Array | undefined }[]) =>
  list.map((entry) => idKey(entry.id!)).sort();

describe('Lookup and BEP 42', () => {
  it('a storing lookup converges on the closest nodes whose ids match their IPs', () => {
    const near = unverifiedNear(8);
    const good = verified(12);
    const lookup = new Lookup(target, { alpha: 100, preferVerified: true });
    lookup.add(near);
    lookup.add(good);
    expect(lookup.candidates.filter((candidate) => candidate.verified)).toHaveLength(12);
    run(lookup);
    const closestGood = [...good].sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, 8);
    // The 8 closest verified nodes all answered, and they are where the lookup stores.
    const targets = lookup.storeTargets();
    expect(keys(targets)).toEqual(keys(closestGood));
    expect(targets.every((candidate) => candidate.verified)).toBe(true);
    // Unverified nodes were asked on the way (they know the way), just not stored on.
    expect(
      near.every((node) => lookup.candidates.some((c) => idKey(c.id!) === idKey(node.id))),
    ).toBe(true);
  });

  it('a plain lookup stops at the 8 closest, verified or not', () => {
    const near = unverifiedNear(8);
    const lookup = new Lookup(target, { alpha: 100 });
    lookup.add(near);
    lookup.add(verified(12));
    run(lookup);
    expect(keys(lookup.storeTargets())).toEqual(keys(near));
  });

  it('too few verified nodes: the closest others fill the store targets', () => {
    const near = unverifiedNear(8);
    const good = verified(3);
    const lookup = new Lookup(target, { alpha: 100, preferVerified: true });
    lookup.add(near);
    lookup.add(good);
    run(lookup);
    const targets = lookup.storeTargets();
    expect(targets).toHaveLength(8);
    expect(targets.filter((candidate) => candidate.verified)).toHaveLength(3);
    expect(keys(targets.filter((candidate) => !candidate.verified))).toEqual(
      keys([...near].sort((a, b) => compareDistance(target, a.id, b.id)).slice(0, 5)),
    );
    // Closest first.
    for (let i = 1; i < targets.length; i++)
      expect(compareDistance(target, targets[i - 1]!.id!, targets[i]!.id!)).toBeLessThan(0);
  });

  it('local addresses are exempt: any id on them counts as verified', () => {
    const local = unverifiedNear(8).map((node, i) => ({
      ...node,
      address: { host: `10.0.0.${i + 1}`, port: 6881, family: 4 as const },
    }));
    const lookup = new Lookup(target, { alpha: 100, preferVerified: true });
    lookup.add(local);
    lookup.add(verified(12));
    expect(lookup.candidates.filter((candidate) => candidate.verified)).toHaveLength(20);
    run(lookup);
    expect(keys(lookup.storeTargets())).toEqual(keys(local));
  });
});
