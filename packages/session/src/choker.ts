/**
 * The standard choking algorithm (BEP 3, "choking and optimistic unchoking"): every 10 s the
 * peers that give us the most get the regular unchoke slots; every 30 s one more peer is
 * unchoked at random, so newcomers get a chance. Seeding, the slots go round-robin so upload
 * is spread over every interested peer rather than kept by the fastest. Pure: it is handed the
 * candidates and the time, and answers which peers to unchoke.
 */
import type { RandomSource } from './clock.js';

export interface ChokeCandidate {
  /** The peer's id in its torrent. */
  id: number;
  /** The peer wants something from us. */
  interested: boolean;
  /** Bytes per second the peer sends us. */
  downloadRate: number;
  /** Bytes per second we send the peer. */
  uploadRate: number;
  /** The peer stopped sending what we asked: it does not earn a regular slot. */
  snubbed?: boolean;
}

export interface ChokerOptions {
  /** Regular unchoke slots (the optimistic one comes on top). Default 4. */
  slots?: number;
  rechokeIntervalMs?: number;
  optimisticIntervalMs?: number;
  random?: RandomSource;
}

export class Choker {
  private readonly slots: number;
  private readonly rechokeInterval: number;
  private readonly optimisticInterval: number;
  private readonly random: RandomSource;
  private lastRechoke = Number.NEGATIVE_INFINITY;
  private lastOptimistic = Number.NEGATIVE_INFINITY;
  private optimistic: number | undefined;
  /** Seeding: when each peer last got a slot, for the round-robin. */
  private readonly lastServed = new Map<number, number>();
  private unchoked = new Set<number>();

  constructor(options: ChokerOptions = {}) {
    this.slots = options.slots ?? 4;
    this.rechokeInterval = options.rechokeIntervalMs ?? 10_000;
    this.optimisticInterval = options.optimisticIntervalMs ?? 30_000;
    this.random = options.random ?? Math.random;
  }

  /** True when a rechoke is due (every 10 s, or at once when `force`). */
  due(now: number): boolean {
    return now - this.lastRechoke >= this.rechokeInterval;
  }

  get current(): ReadonlySet<number> {
    return this.unchoked;
  }

  /** The set of peers to unchoke now; everyone else is choked. */
  rechoke(candidates: readonly ChokeCandidate[], now: number, seeding: boolean): Set<number> {
    this.lastRechoke = now;
    const interested = candidates.filter((peer) => peer.interested);
    const ids = new Set(candidates.map((peer) => peer.id));
    for (const id of this.lastServed.keys()) if (!ids.has(id)) this.lastServed.delete(id);

    let ranked: ChokeCandidate[];
    if (seeding) {
      // round-robin: who waited longest first, rate breaking ties
      ranked = [...interested].sort(
        (a, b) =>
          (this.lastServed.get(a.id) ?? Number.NEGATIVE_INFINITY) -
            (this.lastServed.get(b.id) ?? Number.NEGATIVE_INFINITY) || b.uploadRate - a.uploadRate,
      );
    } else {
      ranked = [...interested].sort(
        (a, b) =>
          Number(a.snubbed ?? false) - Number(b.snubbed ?? false) ||
          b.downloadRate - a.downloadRate,
      );
    }
    const result = new Set<number>();
    for (const peer of ranked) {
      if (result.size >= this.slots) break;
      if (!seeding && peer.snubbed) continue;
      result.add(peer.id);
    }
    if (seeding) {
      // a seed keeps a peer for one round only when others wait
      for (const id of result) this.lastServed.set(id, now);
    }

    const optimisticDue = now - this.lastOptimistic >= this.optimisticInterval;
    const stillThere =
      this.optimistic !== undefined && interested.some((peer) => peer.id === this.optimistic);
    if (optimisticDue || !stillThere) {
      const waiting = interested.filter((peer) => !result.has(peer.id));
      this.optimistic =
        waiting.length > 0 ? waiting[Math.floor(this.random() * waiting.length)]!.id : undefined;
      if (optimisticDue) this.lastOptimistic = now;
    }
    if (this.optimistic !== undefined) result.add(this.optimistic);
    this.unchoked = result;
    return result;
  }
}
