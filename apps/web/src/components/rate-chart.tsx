/** A live chart of down and up rates over the last minutes, drawn as SVG. */
import { formatRate } from '../format.js';
import { chartPoints, niceMax, type RateSample } from '../rate-history.js';

export interface RateChartProps {
  samples: readonly RateSample[];
  /** What the chart shows, for its accessible name. */
  label: string;
  spanMs?: number;
  height?: number;
  compact?: boolean;
}

const WIDTH = 300;

export function RateChart({
  samples,
  label,
  spanMs = 180_000,
  height = 80,
  compact,
}: RateChartProps) {
  const now = samples.at(-1)?.at ?? Date.now();
  const max = niceMax(samples);
  const options = { width: WIDTH, height, spanMs, now, max };
  const down = chartPoints(samples, (sample) => sample.down, options);
  const up = chartPoints(samples, (sample) => sample.up, options);
  const last = samples.at(-1);
  const summary = `${label}: down ${formatRate(last?.down ?? 0)}, up ${formatRate(last?.up ?? 0)}`;
  return (
    <figure class={compact ? 'chart chart-compact' : 'chart'}>
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={summary}
        data-samples={samples.length}
      >
        <line class="chart-grid" x1="0" x2={WIDTH} y1={height / 2} y2={height / 2} />
        {samples.length > 1 && <polyline class="chart-down" points={down} />}
        {samples.length > 1 && <polyline class="chart-up" points={up} />}
      </svg>
      {!compact && (
        <figcaption>
          <span class="legend-down">▼ {formatRate(last?.down ?? 0)}</span>
          <span class="legend-up">▲ {formatRate(last?.up ?? 0)}</span>
          <span class="chart-scale">
            scale {formatRate(max)}, last {Math.round(spanMs / 60_000)} min
          </span>
        </figcaption>
      )}
    </figure>
  );
}
