/**
 * LEDBAT congestion control as BEP 29 describes it: the window grows while the one-way queuing
 * delay our packets see (the remote's timestamp difference minus its two-minute minimum, the
 * base delay) is below the target (100 ms), and shrinks as it rises above; a loss halves it, a
 * timeout drops it to one packet. Slow start doubles the window each round trip until the first
 * loss or until the delay reaches half the target.
 */

export interface LedbatOptions {
  /** BEP 29 CCONTROL_TARGET: queuing delay to aim at (µs). Default 100,000. */
  targetDelay?: number;
  /** Most the window grows by per round trip at zero delay (bytes). Default 3,000. */
  gain?: number;
  /** Smallest window (bytes): one packet. */
  minWindow: number;
  /** Largest window (bytes). */
  maxWindow: number;
  /** Window to start with (bytes). Default two packets' worth of `minWindow`. */
  initialWindow?: number;
}

/** How long a base delay sample counts (ms): BEP 29's two minutes, kept as two one-minute minima. */
const BASE_HISTORY_MS = 60_000;

export class Ledbat {
  /** Bytes that may be in flight. */
  window: number;
  slowStart = true;
  /** The latest queuing delay estimate (µs). */
  ourDelay = 0;
  readonly #target: number;
  readonly #gain: number;
  readonly #minWindow: number;
  readonly #maxWindow: number;
  #ssthresh: number;
  /** Minima of the remote's delay samples, this minute and last minute (uint32, wrapping). */
  #baseCurrent: number | undefined;
  #basePrevious: number | undefined;
  #baseStartedAt = 0;

  constructor(options: LedbatOptions) {
    this.#target = options.targetDelay ?? 100_000;
    this.#gain = options.gain ?? 3000;
    this.#minWindow = options.minWindow;
    this.#maxWindow = options.maxWindow;
    this.window = Math.min(options.initialWindow ?? 2 * options.minWindow, this.#maxWindow);
    this.#ssthresh = this.#maxWindow;
  }

  /** The base delay (µs, on the remote's clock offset), undefined before any sample. */
  get baseDelay(): number | undefined {
    if (this.#baseCurrent === undefined) return this.#basePrevious;
    if (this.#basePrevious === undefined) return this.#baseCurrent;
    return wrappedLess(this.#basePrevious, this.#baseCurrent)
      ? this.#basePrevious
      : this.#baseCurrent;
  }

  /**
   * `ackedBytes` were acknowledged by a packet carrying `delaySample` (its timestamp difference;
   * 0 means none yet). `now` in ms.
   */
  onAck(ackedBytes: number, delaySample: number, now: number): void {
    if (delaySample !== 0) this.#sample(delaySample >>> 0, now);
    const delayFactor = (this.#target - this.ourDelay) / this.#target;
    let growth = (this.#gain * delayFactor * ackedBytes) / this.window;
    if (this.slowStart) {
      if (this.ourDelay > this.#target / 2 || this.window >= this.#ssthresh) this.slowStart = false;
      else growth = Math.max(growth, ackedBytes);
    }
    this.window = clamp(this.window + growth, this.#minWindow, this.#maxWindow);
  }

  /** A packet was lost (BEP 29: the window is multiplied by 0.5). */
  onLoss(): void {
    this.slowStart = false;
    this.window = clamp(this.window / 2, this.#minWindow, this.#maxWindow);
    this.#ssthresh = this.window;
  }

  /** Nothing was acknowledged within the timeout: one packet, then slow start to half the old window. */
  onTimeout(): void {
    this.#ssthresh = Math.max(this.#minWindow, this.window / 2);
    this.window = this.#minWindow;
    this.slowStart = true;
  }

  #sample(sample: number, now: number): void {
    if (this.#baseCurrent === undefined || now - this.#baseStartedAt >= BASE_HISTORY_MS) {
      this.#basePrevious = this.#baseCurrent;
      this.#baseCurrent = sample;
      this.#baseStartedAt = now;
    } else if (wrappedLess(sample, this.#baseCurrent)) {
      this.#baseCurrent = sample;
    }
    const base = this.baseDelay!;
    this.ourDelay = wrappedLess(sample, base) ? 0 : (sample - base) >>> 0;
  }
}

/** `a < b` for uint32 values that may wrap (the remote's clock is unrelated to ours). */
function wrappedLess(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}
