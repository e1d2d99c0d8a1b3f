/**
 * Rates and rate limits. A `RateMeter` gives bytes per second over a short sliding window; a
 * `TokenBucket` limits a flow to a rate with a burst, and says how long to wait for tokens.
 * Both take their time from an injected clock.
 */
import type { Clock } from './clock.js';

/** Bytes per second over the last `windowSeconds` (default 5), in one-second buckets. */
export class RateMeter {
  private readonly clock: Clock;
  private readonly buckets: Float64Array;
  private readonly started: number;
  private current = 0;
  total = 0;

  constructor(clock: Clock, windowSeconds = 5) {
    this.clock = clock;
    this.buckets = new Float64Array(windowSeconds + 1);
    this.started = clock.now();
  }

  add(bytes: number): void {
    this.advance();
    this.buckets[this.current % this.buckets.length]! += bytes;
    this.total += bytes;
  }

  /** Bytes per second over the full seconds of the window (or since the meter started). */
  get rate(): number {
    this.advance();
    const elapsed = (this.clock.now() - this.started) / 1000;
    const span = Math.min(this.buckets.length - 1, elapsed);
    if (span <= 0) return 0;
    let sum = 0;
    for (let index = 0; index < this.buckets.length; index++) {
      if (index !== this.current % this.buckets.length) sum += this.buckets[index]!;
    }
    // the running second counts in proportion, so a fresh burst shows at once
    const fraction = elapsed - Math.floor(elapsed);
    sum += this.buckets[this.current % this.buckets.length]!;
    return sum / Math.max(span + (elapsed >= this.buckets.length - 1 ? fraction : 0), 1e-3);
  }

  private advance(): void {
    const second = Math.floor((this.clock.now() - this.started) / 1000);
    while (this.current < second) {
      this.current++;
      this.buckets[this.current % this.buckets.length] = 0;
      if (second - this.current > this.buckets.length) this.current = second - this.buckets.length;
    }
  }
}

/** A token bucket; a rate of 0 means unlimited. */
export class TokenBucket {
  private readonly clock: Clock;
  private rateValue: number;
  private burst: number;
  private tokens: number;
  private last: number;

  constructor(clock: Clock, bytesPerSecond = 0, burstBytes?: number) {
    this.clock = clock;
    this.rateValue = bytesPerSecond;
    this.burst = burstBytes ?? Math.max(bytesPerSecond / 4, 65_536);
    this.tokens = this.burst;
    this.last = clock.now();
  }

  get rate(): number {
    return this.rateValue;
  }

  set rate(bytesPerSecond: number) {
    this.refill();
    this.rateValue = bytesPerSecond;
    this.burst = Math.max(bytesPerSecond / 4, 65_536);
    this.tokens = Math.min(this.tokens, this.burst);
  }

  get unlimited(): boolean {
    return this.rateValue <= 0;
  }

  /** Takes `bytes` if available now; true when taken. */
  tryTake(bytes: number): boolean {
    if (this.unlimited) return true;
    this.refill();
    if (this.tokens < bytes && this.tokens < this.burst) return false;
    // a request bigger than the burst goes once the bucket is full, leaving it in debt
    this.tokens -= bytes;
    return true;
  }

  /** Milliseconds until `bytes` can be taken (0 when now). */
  waitTime(bytes: number): number {
    if (this.unlimited) return 0;
    this.refill();
    const need = Math.min(bytes, this.burst) - this.tokens;
    return need <= 0 ? 0 : (need / this.rateValue) * 1000;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rateValue);
    this.last = now;
  }
}

/** Takes from every bucket of a chain (per-torrent and global) or from none. */
export function takeAll(buckets: readonly TokenBucket[], bytes: number): boolean {
  for (const bucket of buckets) if (bucket.waitTime(bytes) > 0) return false;
  for (const bucket of buckets) bucket.tryTake(bytes);
  return true;
}

export interface PipelineOptions {
  blockSize?: number;
  /** Seconds of data to keep asked for. Default 1. */
  queueSeconds?: number;
  min?: number;
  max?: number;
}

/**
 * How many requests to keep outstanding with a peer: its rate times a queue time, in blocks,
 * so a fast peer on loopback is never starved while a slow one is not flooded.
 */
export function pipelineDepth(bytesPerSecond: number, options: PipelineOptions = {}): number {
  const blockSize = options.blockSize ?? 16_384;
  const min = options.min ?? 16;
  const max = options.max ?? 1024;
  const depth = Math.ceil((bytesPerSecond * (options.queueSeconds ?? 1)) / blockSize);
  return Math.max(min, Math.min(max, depth));
}
