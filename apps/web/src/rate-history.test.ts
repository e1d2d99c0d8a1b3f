import { describe, expect, it } from 'vitest';
import { addSample, chartPoints, niceMax } from './rate-history.js';

describe('rate history', () => {
  it('keeps only the samples within the window, newest last', () => {
    let history = addSample([], { at: 0, down: 1, up: 0 }, 1000);
    history = addSample(history, { at: 600, down: 2, up: 0 }, 1000);
    history = addSample(history, { at: 1500, down: 3, up: 0 }, 1000);
    expect(history.map((sample) => sample.at)).toEqual([600, 1500]);
  });

  it('scales points into the chart, right edge being now', () => {
    const points = chartPoints(
      [
        { at: 0, down: 0, up: 0 },
        { at: 100, down: 50, up: 0 },
      ],
      (sample) => sample.down,
      { width: 200, height: 100, spanMs: 100, now: 100, max: 100 },
    );
    expect(points).toBe('0.0,100.0 200.0,50.0');
  });

  it('rounds the scale up to 1, 2 or 5 times a power of 1024', () => {
    expect(niceMax([])).toBe(1024);
    expect(niceMax([{ at: 0, down: 3000, up: 0 }])).toBe(5 * 1024);
    expect(niceMax([{ at: 0, down: 0, up: 1.5 * 1024 * 1024 }])).toBe(2 * 1024 * 1024);
  });
});
