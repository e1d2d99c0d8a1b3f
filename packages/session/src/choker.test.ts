import { describe, expect, it } from 'vitest';
import { Choker, type ChokeCandidate } from './choker.js';

function peers(
  count: number,
  rate: (index: number) => number = (index) => index * 100,
): ChokeCandidate[] {
  return Array.from({ length: count }, (_, index) => ({
    id: index,
    interested: true,
    downloadRate: rate(index),
    uploadRate: 0,
  }));
}

describe('Choker', () => {
  it('gives the regular slots to the fastest uploaders plus one optimistic', () => {
    const choker = new Choker({ slots: 3, random: () => 0 });
    const result = choker.rechoke(peers(10), 0, false);
    expect(result.size).toBe(4);
    for (const id of [9, 8, 7]) expect(result.has(id)).toBe(true);
  });

  it('ignores uninterested and snubbed peers for regular slots', () => {
    const choker = new Choker({ slots: 2, random: () => 0.99 });
    const list = peers(4);
    list[3]!.interested = false;
    list[2]!.snubbed = true;
    const result = choker.rechoke(list, 0, false);
    expect(result.has(3)).toBe(false);
    expect([...result].sort((a, b) => a - b)).toEqual([0, 1, 2]);
  });

  it('keeps the optimistic peer for 30 s and rotates it after', () => {
    let value = 0;
    const choker = new Choker({ slots: 1, random: () => value });
    const list = peers(6);
    const first = choker.rechoke(list, 0, false);
    expect(first.has(0)).toBe(true);
    value = 0.9;
    expect(choker.rechoke(list, 10_000, false).has(0)).toBe(true);
    expect(choker.due(15_000)).toBe(false);
    expect(choker.due(20_000)).toBe(true);
    const later = choker.rechoke(list, 30_000, false);
    expect(later.has(0)).toBe(false);
    expect(later.size).toBe(2);
  });

  it('spreads upload round-robin while seeding', () => {
    const choker = new Choker({ slots: 2, random: () => 0 });
    const list = peers(6);
    const served = new Set<number>();
    for (let round = 0; round < 3; round++) {
      for (const id of choker.rechoke(list, round * 10_000, true)) served.add(id);
    }
    expect(served.size).toBe(6);
  });
});
