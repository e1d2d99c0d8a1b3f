/**
 * Time as the engine's pure parts see it: injected, so the picker, choker, limiters and
 * tracker tiers are tested without timers.
 */

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private time: number;
  constructor(start = 0) {
    this.time = start;
  }
  now(): number {
    return this.time;
  }
  advance(milliseconds: number): void {
    this.time += milliseconds;
  }
}

/** Random numbers in [0, 1), injected for the same reason. */
export type RandomSource = () => number;
