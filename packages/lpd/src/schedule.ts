/**
 * BEP 14's pacing of our own announces, pure (time comes in as numbers): each swarm is announced
 * when it is added and then every 5 minutes, and no more than one announce goes out a minute, so
 * several swarms due together share one datagram (up to `MAX_INFO_HASHES_PER_ANNOUNCE`, the
 * longest-waiting first; the rest wait their turn).
 */
import { toHex } from '@bt/primitives';
import { MAX_INFO_HASHES_PER_ANNOUNCE } from './announce.js';

export interface AnnounceScheduleOptions {
  /** Between two announces of one swarm (ms). Default 5 minutes (BEP 14). */
  intervalMs?: number;
  /** Between two announces of any swarms (ms). Default 1 minute (BEP 14). */
  minGapMs?: number;
  /** Info-hashes per announce. Default `MAX_INFO_HASHES_PER_ANNOUNCE`. */
  maxPerAnnounce?: number;
}

interface Entry {
  readonly infoHash: Uint8Array;
  nextAt: number;
}

export class AnnounceSchedule {
  private readonly entries = new Map<string, Entry>();
  private readonly intervalMs: number;
  private readonly minGapMs: number;
  private readonly maxPerAnnounce: number;
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(options: AnnounceScheduleOptions = {}) {
    this.intervalMs = options.intervalMs ?? 300_000;
    this.minGapMs = options.minGapMs ?? 60_000;
    this.maxPerAnnounce = Math.min(
      MAX_INFO_HASHES_PER_ANNOUNCE,
      Math.max(1, options.maxPerAnnounce ?? MAX_INFO_HASHES_PER_ANNOUNCE),
    );
  }

  get size(): number {
    return this.entries.size;
  }

  /** A swarm to announce, due at once (as soon as the minute since the last announce is over). */
  add(infoHash: Uint8Array, now: number): void {
    const key = toHex(infoHash);
    if (!this.entries.has(key)) this.entries.set(key, { infoHash, nextAt: now });
  }

  remove(infoHash: Uint8Array): void {
    this.entries.delete(toHex(infoHash));
  }

  /** The swarms announced, in the order added. */
  infoHashes(): Uint8Array[] {
    return [...this.entries.values()].map((entry) => entry.infoHash);
  }

  has(infoHash: Uint8Array): boolean {
    return this.entries.has(toHex(infoHash));
  }

  /**
   * The info-hashes to announce now, in one datagram; empty when none is due or the last
   * announce was less than `minGapMs` ago. Those returned are due again `intervalMs` later.
   */
  due(now: number): Uint8Array[] {
    if (now - this.lastSentAt < this.minGapMs) return [];
    const ready = [...this.entries.values()].filter((entry) => entry.nextAt <= now);
    if (ready.length === 0) return [];
    ready.sort((a, b) => a.nextAt - b.nextAt);
    const chosen = ready.slice(0, this.maxPerAnnounce);
    for (const entry of chosen) entry.nextAt = now + this.intervalMs;
    this.lastSentAt = now;
    return chosen.map((entry) => entry.infoHash);
  }

  /** When the swarm is announced next (ms, on the caller's clock), or undefined if unknown. */
  nextAnnounceAt(infoHash: Uint8Array): number | undefined {
    const entry = this.entries.get(toHex(infoHash));
    if (!entry) return undefined;
    return Math.max(entry.nextAt, this.lastSentAt + this.minGapMs);
  }

  /** The earliest moment anything may be due (for a timer), or undefined with nothing to announce. */
  nextDueAt(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.entries.values())
      if (earliest === undefined || entry.nextAt < earliest) earliest = entry.nextAt;
    return earliest === undefined ? undefined : Math.max(earliest, this.lastSentAt + this.minGapMs);
  }
}
