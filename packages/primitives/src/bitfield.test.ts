import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bitfield, PrimitivesError } from './index.js';

describe('Bitfield', () => {
  it('uses the BEP 3 bit order and counts', () => {
    const field = new Bitfield(10);
    expect(field.set(0)).toBe(true);
    expect(field.set(0)).toBe(false);
    field.set(9);
    expect([...field.toBytes()]).toEqual([0x80, 0x40]);
    expect(field.count).toBe(2);
    expect(field.clear(0)).toBe(true);
    expect(field.clear(0)).toBe(false);
    expect(field.count).toBe(1);
    expect(field.indices()).toEqual([9]);
    expect(field.missing()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('ignores spare bits, short input and out-of-range indices from the wire', () => {
    const field = new Bitfield(10, Uint8Array.of(0xff, 0xff, 0xff));
    expect(field.count).toBe(10);
    expect(field.complete).toBe(true);
    expect(field.has(10)).toBe(false);
    expect(field.has(-1)).toBe(false);
    expect(field.set(12)).toBe(false);
    expect(field.set(Number.NaN)).toBe(false);
    expect([...field.toBytes()]).toEqual([0xff, 0xc0]);
    const short = new Bitfield(20, Uint8Array.of(0x80));
    expect(short.indices()).toEqual([0]);
  });

  it('makes full and empty fields', () => {
    expect(Bitfield.full(17).complete).toBe(true);
    expect(Bitfield.full(17).missing()).toEqual([]);
    expect([...Bitfield.full(17).toBytes()]).toEqual([0xff, 0xff, 0x80]);
    expect(new Bitfield(17).empty).toBe(true);
    expect(Bitfield.full(0).complete).toBe(true);
  });

  it('clones independently', () => {
    const field = new Bitfield(9);
    field.set(8);
    const copy = field.clone();
    field.clear(8);
    expect(copy.indices()).toEqual([8]);
    expect(copy.count).toBe(1);
  });

  it('refuses an invalid length with a typed error', () => {
    expect(() => new Bitfield(-1)).toThrow(PrimitivesError);
    expect(() => new Bitfield(1.5)).toThrow(expect.objectContaining({ code: 'invalid-length' }));
  });

  it('agrees with a plain set', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 70 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -2, max: 72 }))),
        (length, operations) => {
          const field = new Bitfield(length);
          const model = new Set<number>();
          for (const [add, index] of operations) {
            const inRange = index >= 0 && index < length;
            if (add) expect(field.set(index)).toBe(inRange && !model.has(index));
            else expect(field.clear(index)).toBe(model.has(index));
            if (add && inRange) model.add(index);
            else model.delete(index);
          }
          const sorted = [...model].sort((a, b) => a - b);
          expect(field.indices()).toEqual(sorted);
          expect(field.count).toBe(model.size);
          expect(new Bitfield(length, field.toBytes()).indices()).toEqual(sorted);
          expect(field.missing().length + field.count).toBe(length);
        },
      ),
    );
  });
});
