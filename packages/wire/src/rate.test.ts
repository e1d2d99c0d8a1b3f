import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate.js';

describe('RateMeter', () => {
  it('averages bytes over its window and forgets what falls out of it', () => {
    const meter = new RateMeter(5);
    for (let second = 0; second < 5; second++) meter.add(1000, second * 1000);
    expect(meter.rate(4999)).toBeCloseTo(5000 / 4.999, 0);
    // Ten seconds later nothing is left in the window.
    expect(meter.rate(15_000)).toBe(0);
    meter.add(500, 15_000);
    expect(meter.rate(15_000)).toBe(500 / 4);
  });

  it('reuses a slot for a new second instead of adding to an old one', () => {
    const meter = new RateMeter(2);
    meter.add(100, 0);
    meter.add(100, 2000);
    expect(meter.rate(2000)).toBe(100);
  });
});
