/** A bounded series of (down, up) rate samples for the live charts, newest last. */
export interface RateSample {
  /** Milliseconds since the epoch. */
  at: number;
  down: number;
  up: number;
}

export function addSample(
  history: readonly RateSample[],
  sample: RateSample,
  keepMs: number,
): RateSample[] {
  const since = sample.at - keepMs;
  const first = history.findIndex((item) => item.at >= since);
  const kept = first < 0 ? [] : history.slice(first);
  kept.push(sample);
  return kept;
}

/** SVG polyline points for a series, scaled into width x height (y grows downwards). */
export function chartPoints(
  samples: readonly RateSample[],
  pick: (sample: RateSample) => number,
  options: { width: number; height: number; spanMs: number; now: number; max: number },
): string {
  const { width, height, spanMs, now, max } = options;
  const scale = max > 0 ? max : 1;
  return samples
    .map((sample) => {
      const x = width - ((now - sample.at) / spanMs) * width;
      const y = height - (pick(sample) / scale) * height;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

/** A round top for the chart's scale, at least the largest sample. */
export function niceMax(samples: readonly RateSample[]): number {
  let max = 0;
  for (const sample of samples) max = Math.max(max, sample.down, sample.up);
  if (max <= 0) return 1024;
  const power = 1024 ** Math.floor(Math.log(max) / Math.log(1024));
  const mantissa = max / power;
  const step =
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].find((value) => value >= mantissa) ?? 1024;
  return step * power;
}
