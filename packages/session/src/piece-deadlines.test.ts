import { describe, expect, it } from 'vitest';
import { PieceDeadlines } from './piece-deadlines.js';

describe('PieceDeadlines', () => {
  it('orders pieces by their earliest deadline over every owner', () => {
    const deadlines = new PieceDeadlines();
    const reader = deadlines.owner();
    const ends = deadlines.owner();
    deadlines.replace(reader, [
      { piece: 5, deadline: 100 },
      { piece: 6, deadline: 300 },
    ]);
    deadlines.replace(ends, [
      { piece: 0, deadline: 200 },
      { piece: 6, deadline: 50 },
    ]);
    expect(deadlines.urgent(() => false)).toEqual([
      { piece: 6, deadline: 50 },
      { piece: 5, deadline: 100 },
      { piece: 0, deadline: 200 },
    ]);
    expect(deadlines.deadlineOf(6)).toBe(50);
    expect(deadlines.urgent((piece) => piece === 6).map(({ piece }) => piece)).toEqual([5, 0]);
  });

  it('forgets what a released owner wanted, and a replaced set', () => {
    const deadlines = new PieceDeadlines();
    const a = deadlines.owner();
    const b = deadlines.owner();
    deadlines.set(a, 1, 10);
    deadlines.set(b, 2, 20);
    expect(deadlines.ownerCount).toBe(2);
    deadlines.release(a);
    expect(deadlines.urgent(() => false)).toEqual([{ piece: 2, deadline: 20 }]);
    deadlines.replace(b, [{ piece: 3, deadline: 5 }]);
    expect(deadlines.urgent(() => false)).toEqual([{ piece: 3, deadline: 5 }]);
    deadlines.clear(b, 3);
    expect(deadlines.active).toBe(false);
    deadlines.release(b);
    expect(deadlines.ownerCount).toBe(0);
    // a released owner's calls change nothing
    deadlines.set(a, 9, 1);
    expect(deadlines.urgent(() => false)).toEqual([]);
  });
});
