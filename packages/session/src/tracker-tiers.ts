/**
 * Which tracker to announce to, when, and with which event (BEP 3, BEP 12). Every tier is
 * announced to; within a tier the trackers are shuffled once and tried in order until one
 * answers, and the one that answers moves to the front. The tracker's `interval` and
 * `min interval` are respected; failures back off exponentially. The status of every tracker
 * is kept in the shape of the table mainstream clients show. Pure: time comes in as numbers.
 */
import type { AnnounceEvent, AnnounceResult } from '@bt/primitives';
import type { RandomSource } from './clock.js';

export type TrackerState = 'idle' | 'announcing' | 'working' | 'error' | 'disabled';

export interface TrackerStatus {
  url: string;
  tier: number;
  state: TrackerState;
  /** The last error or warning. */
  message?: string;
  /** When the next announce is due (clock milliseconds), if scheduled. */
  nextAnnounceAt?: number;
  lastAnnounceAt?: number;
  seeds?: number;
  leechers?: number;
  /** Peers in the last answer. */
  peers?: number;
  interval?: number;
  minInterval?: number;
  failures: number;
}

interface Entry extends TrackerStatus {
  /** We announced `started` here and have not sent `stopped`. */
  started: boolean;
  completedSent: boolean;
  trackerId?: string;
}

export interface TrackerTiersOptions {
  random?: RandomSource;
  /** Interval used when a tracker gives none (seconds). Default 1800. */
  defaultInterval?: number;
  /** First retry after a failure (seconds), doubled per failure. Default 15. */
  retryBase?: number;
  /** Longest retry (seconds). Default 1800. */
  retryMax?: number;
}

/** One announce to make: to which tracker, with which event. */
export interface DueAnnounce {
  url: string;
  tier: number;
  event: AnnounceEvent;
  trackerId?: string;
}

export class TrackerTiers {
  private readonly tiers: Entry[][];
  private readonly defaultInterval: number;
  private readonly retryBase: number;
  private readonly retryMax: number;
  private completed = false;

  constructor(announce: readonly (readonly string[])[], options: TrackerTiersOptions = {}) {
    const random = options.random ?? Math.random;
    this.defaultInterval = options.defaultInterval ?? 1800;
    this.retryBase = options.retryBase ?? 15;
    this.retryMax = options.retryMax ?? 1800;
    const seen = new Set<string>();
    this.tiers = [];
    for (const tier of announce) {
      const urls = tier.filter((url) => !seen.has(url) && seen.add(url));
      if (urls.length === 0) continue;
      // BEP 12: shuffle each tier once
      for (let index = urls.length - 1; index > 0; index--) {
        const swap = Math.floor(random() * (index + 1));
        [urls[index], urls[swap]] = [urls[swap]!, urls[index]!];
      }
      const number = this.tiers.length;
      this.tiers.push(
        urls.map((url) => ({
          url,
          tier: number,
          state: 'idle',
          failures: 0,
          started: false,
          completedSent: false,
        })),
      );
    }
  }

  get size(): number {
    return this.tiers.reduce((sum, tier) => sum + tier.length, 0);
  }

  /** Announces due now: at most one per tier, the first tracker of the tier still to try. */
  due(now: number): DueAnnounce[] {
    const result: DueAnnounce[] = [];
    for (const tier of this.tiers) {
      if (tier.some((entry) => entry.state === 'announcing')) continue;
      const entry = this.current(tier);
      if (!entry || (entry.nextAnnounceAt !== undefined && entry.nextAnnounceAt > now)) continue;
      result.push(this.describe(entry));
    }
    return result;
  }

  /** The earliest time something is due, to sleep until. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const tier of this.tiers) {
      const entry = this.current(tier);
      if (!entry || entry.state === 'announcing') continue;
      const at = entry.nextAnnounceAt ?? 0;
      next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  /** The tracker of a tier to use: the first not waiting out a failure, else the soonest. */
  private current(tier: Entry[]): Entry | undefined {
    const usable = tier.filter((entry) => entry.state !== 'disabled');
    if (usable.length === 0) return undefined;
    const healthy = usable.find((entry) => entry.failures === 0);
    if (healthy) return healthy;
    return usable.reduce((a, b) => ((a.nextAnnounceAt ?? 0) <= (b.nextAnnounceAt ?? 0) ? a : b));
  }

  private describe(entry: Entry): DueAnnounce {
    let event: AnnounceEvent = 'none';
    if (!entry.started) event = 'started';
    else if (this.completed && !entry.completedSent) event = 'completed';
    return { url: entry.url, tier: entry.tier, event, trackerId: entry.trackerId };
  }

  private find(url: string): { tier: Entry[]; entry: Entry } {
    for (const tier of this.tiers) {
      const entry = tier.find((candidate) => candidate.url === url);
      if (entry) return { tier, entry };
    }
    throw new Error(`unknown tracker ${url}`);
  }

  announcing(url: string, now: number): void {
    const { entry } = this.find(url);
    entry.state = 'announcing';
    entry.lastAnnounceAt = now;
  }

  succeeded(url: string, event: AnnounceEvent, result: AnnounceResult, now: number): void {
    const { tier, entry } = this.find(url);
    entry.state = 'working';
    entry.failures = 0;
    entry.message = result.warning;
    entry.seeds = result.complete;
    entry.leechers = result.incomplete;
    entry.peers = result.peers.length;
    entry.interval = result.interval;
    entry.minInterval = result.minInterval;
    if (result.trackerId) entry.trackerId = result.trackerId;
    if (event === 'started') entry.started = true;
    if (event === 'completed') entry.completedSent = true;
    if (event === 'stopped') entry.started = false;
    const interval = result.interval > 0 ? result.interval : this.defaultInterval;
    entry.nextAnnounceAt = now + Math.max(interval, result.minInterval ?? 0) * 1000;
    // BEP 12: the tracker that answered moves to the front of its tier
    tier.splice(tier.indexOf(entry), 1);
    tier.unshift(entry);
  }

  failed(url: string, message: string, now: number): void {
    const { entry } = this.find(url);
    entry.state = 'error';
    entry.message = message;
    entry.failures++;
    const delay = Math.min(this.retryMax, this.retryBase * 2 ** (entry.failures - 1));
    entry.nextAnnounceAt = now + delay * 1000;
  }

  /** A tracker that can never work (unsupported scheme). */
  disable(url: string, message: string): void {
    const { entry } = this.find(url);
    entry.state = 'disabled';
    entry.message = message;
  }

  /** The download finished: the next announce to each started tracker says `completed`, now. */
  markCompleted(now: number): void {
    if (this.completed) return;
    this.completed = true;
    for (const tier of this.tiers) {
      for (const entry of tier)
        if (entry.started && !entry.completedSent && entry.state !== 'announcing')
          entry.nextAnnounceAt = now;
    }
  }

  /** Ask again now, within `min interval` (a user's "update trackers"). */
  reannounce(now: number): void {
    for (const tier of this.tiers) {
      for (const entry of tier) {
        if (entry.state === 'announcing' || entry.state === 'disabled') continue;
        const earliest =
          (entry.lastAnnounceAt ?? Number.NEGATIVE_INFINITY) + (entry.minInterval ?? 0) * 1000;
        entry.nextAnnounceAt = Math.max(now, earliest);
      }
    }
  }

  /** Trackers to send `stopped` to: every one we announced `started` to. */
  stopTargets(): DueAnnounce[] {
    const result: DueAnnounce[] = [];
    for (const tier of this.tiers) {
      for (const entry of tier)
        if (entry.started)
          result.push({
            url: entry.url,
            tier: entry.tier,
            event: 'stopped',
            trackerId: entry.trackerId,
          });
    }
    return result;
  }

  /** A snapshot for the source table. */
  status(): TrackerStatus[] {
    return this.tiers
      .flat()
      .map(({ started: _started, completedSent: _completed, trackerId: _id, ...status }) => ({
        ...status,
      }));
  }
}
