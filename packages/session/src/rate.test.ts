import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { RateMeter, TokenBucket, pipelineDepth, takeAll } from './rate.js';

describe('RateMeter', () => {
  it('averages over the window and forgets old seconds', () => {
    const clock = new ManualClock();
    const meter = new RateMeter(clock, 5);
    for (let second = 0; second < 10; second++) {
      meter.add(1000);
      clock.advance(1000);
    }
    expect(meter.rate).toBeCloseTo(1000, -1);
    expect(meter.total).toBe(10_000);
    clock.advance(10_000);
    expect(meter.rate).toBe(0);
  });

  it('shows a burst at once', () => {
    const clock = new ManualClock();
    const meter = new RateMeter(clock);
    clock.advance(500);
    meter.add(1000);
    expect(meter.rate).toBeGreaterThan(0);
  });
});

describe('TokenBucket', () => {
  it('is unlimited at rate 0', () => {
    const bucket = new TokenBucket(new ManualClock());
    expect(bucket.tryTake(1e12)).toBe(true);
    expect(bucket.waitTime(1e12)).toBe(0);
  });

  it('limits to its rate', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, 100_000, 100_000);
    expect(bucket.tryTake(100_000)).toBe(true);
    expect(bucket.tryTake(10_000)).toBe(false);
    expect(bucket.waitTime(10_000)).toBeCloseTo(100);
    clock.advance(100);
    expect(bucket.tryTake(10_000)).toBe(true);
    let taken = 0;
    for (let step = 0; step < 100; step++) {
      clock.advance(100);
      while (bucket.tryTake(1000)) taken += 1000;
    }
    expect(taken).toBeGreaterThanOrEqual(990_000);
    expect(taken).toBeLessThanOrEqual(1_010_000);
  });

  it('takes from a chain all or nothing', () => {
    const clock = new ManualClock();
    const global = new TokenBucket(clock, 1000, 1000);
    const local = new TokenBucket(clock, 0);
    expect(takeAll([global, local], 1000)).toBe(true);
    expect(takeAll([global, local], 1000)).toBe(false);
  });
});

describe('pipelineDepth', () => {
  it('grows with the rate within bounds', () => {
    expect(pipelineDepth(0)).toBe(16);
    expect(pipelineDepth(16_384 * 100)).toBe(100);
    expect(pipelineDepth(1e9)).toBe(1024);
  });
});
