/**
 * Bounds what received announces can cost us, pure (time comes in as numbers): a token bucket per
 * sender address and one for all senders together, with the senders remembered bounded (the
 * oldest forgotten first). A flood, spoofed or not, costs one map lookup per datagram.
 */

export interface AnnounceLimiterOptions {
  /** Announces one sender may send in a burst. Default 5. */
  perSenderBurst?: number;
  /** One more announce per sender every this many ms. Default 10 s. */
  perSenderRefillMs?: number;
  /** Announces of all senders in a burst. Default 50. */
  totalBurst?: number;
  /** One more announce of any sender every this many ms. Default 100 ms (10 a second). */
  totalRefillMs?: number;
  /** Senders remembered. Default 256. */
  maxSenders?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class AnnounceLimiter {
  private readonly senders = new Map<string, Bucket>();
  private readonly total: Bucket;
  private readonly perSenderBurst: number;
  private readonly perSenderRefillMs: number;
  private readonly totalBurst: number;
  private readonly totalRefillMs: number;
  private readonly maxSenders: number;
  private refusedCount = 0;

  constructor(options: AnnounceLimiterOptions = {}) {
    this.perSenderBurst = options.perSenderBurst ?? 5;
    this.perSenderRefillMs = options.perSenderRefillMs ?? 10_000;
    this.totalBurst = options.totalBurst ?? 50;
    this.totalRefillMs = options.totalRefillMs ?? 100;
    this.maxSenders = options.maxSenders ?? 256;
    this.total = { tokens: this.totalBurst, at: Number.NEGATIVE_INFINITY };
  }

  /** True when an announce from `sender` (its address) may be read now; counts it. */
  allow(sender: string, now: number): boolean {
    let bucket = this.senders.get(sender);
    if (!bucket) {
      if (this.senders.size >= this.maxSenders) {
        const oldest = this.senders.keys().next().value as string;
        this.senders.delete(oldest);
      }
      bucket = { tokens: this.perSenderBurst, at: now };
      this.senders.set(sender, bucket);
    }
    // the sender's own bucket first: one flooding sender does not use up everyone's
    if (
      !take(bucket, now, this.perSenderBurst, this.perSenderRefillMs) ||
      !take(this.total, now, this.totalBurst, this.totalRefillMs)
    ) {
      this.refusedCount++;
      return false;
    }
    return true;
  }

  /** Announces refused so far. */
  get refused(): number {
    return this.refusedCount;
  }
}

function take(bucket: Bucket, now: number, burst: number, refillMs: number): boolean {
  if (bucket.at === Number.NEGATIVE_INFINITY) bucket.at = now;
  if (now > bucket.at) {
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) / refillMs);
    bucket.at = now;
  }
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
