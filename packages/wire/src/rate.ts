/**
 * A transfer rate over a sliding window of one-second buckets: cheap to update on every chunk,
 * read on demand. Pure: the caller passes the clock.
 */
export class RateMeter {
  readonly #buckets: Float64Array;
  readonly #seconds: Float64Array;

  /** @param windowSeconds how many seconds the rate averages over. */
  constructor(windowSeconds = 5) {
    this.#buckets = new Float64Array(windowSeconds);
    this.#seconds = new Float64Array(windowSeconds).fill(-1);
  }

  add(bytes: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % this.#buckets.length;
    if (this.#seconds[slot] !== second) {
      this.#seconds[slot] = second;
      this.#buckets[slot] = 0;
    }
    this.#buckets[slot]! += bytes;
  }

  /** Bytes per second over the last full window (the current second counts pro rata). */
  rate(nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    const window = this.#buckets.length;
    let total = 0;
    for (let i = 0; i < window; i++) {
      const at = this.#seconds[i]!;
      if (at > second - window && at <= second) total += this.#buckets[i]!;
    }
    const elapsed = window - 1 + (nowMs - second * 1000) / 1000;
    return elapsed > 0 ? total / elapsed : 0;
  }
}
