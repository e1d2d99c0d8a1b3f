import { describe, expect, it } from 'vitest';
import { Bitfield } from './bitfield.js';

describe('Bitfield', () => {
  it('uses the BEP 3 bit order and counts', () => {
    const field = new Bitfield(10);
    expect(field.set(0)).toBe(true);
    expect(field.set(0)).toBe(false);
    field.set(9);
    expect([...field.toBytes()]).toEqual([0x80, 0x40]);
    expect(field.count).toBe(2);
    expect(field.clear(0)).toBe(true);
    expect(field.count).toBe(1);
    expect([...field.indices()]).toEqual([9]);
  });

  it('ignores spare bits and out-of-range indices from the wire', () => {
    const field = new Bitfield(10, Uint8Array.of(0xff, 0xff));
    expect(field.count).toBe(10);
    expect(field.complete).toBe(true);
    expect(field.has(10)).toBe(false);
    expect(field.set(12)).toBe(false);
    expect([...field.toBytes()]).toEqual([0xff, 0xc0]);
  });

  it('makes a full field', () => {
    expect(Bitfield.full(17).complete).toBe(true);
    expect(new Bitfield(17).empty).toBe(true);
  });
});
