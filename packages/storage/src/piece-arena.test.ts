import { describe, expect, it } from 'vitest';
import { DIRECT_ALIGNMENT, PieceArena } from './piece-arena.js';

describe('piece arena', () => {
  it('hands out disjoint slots of one aligned shared memory, at most as many as fit', () => {
    const arena = new PieceArena(65_536, 65_536 * 3 + 100);
    expect(arena.slots).toBe(3);
    expect(arena.aligned).toBe(true);
    const taken = [arena.take(65_536), arena.take(1000), arena.take(65_536)];
    expect(arena.take(1)).toBeUndefined();
    expect(arena.used).toBe(3);
    const offsets = taken.map((view) => view!.byteOffset).sort((a, b) => a - b);
    expect(offsets).toEqual([0, 65_536, 131_072]);
    for (const view of taken) {
      expect(view!.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(view!.byteOffset % DIRECT_ALIGNMENT).toBe(0);
    }
    expect(taken[1]!.length).toBe(1000);
    // a slot given back (through its short view) is whole again for the next piece
    arena.give(taken[1]!);
    expect(arena.used).toBe(2);
    const again = arena.take(65_536)!;
    expect(again.byteOffset).toBe(taken[1]!.byteOffset);
    expect(again.length).toBe(65_536);
  });

  it('has no slot when a piece is larger than the cache', () => {
    const arena = new PieceArena(1 << 20, 1000);
    expect(arena.slots).toBe(0);
    expect(arena.take(10)).toBeUndefined();
  });
});
