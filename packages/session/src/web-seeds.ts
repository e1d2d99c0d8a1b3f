/**
 * The web seeds of one torrent (BEP 19 `url-list`, BEP 17 `httpseeds`) and what became of each:
 * connected as a peer while there is something to download, backed off after a failure (the
 * server's own wait for a 503 or `Retry-After`, else doubling from 5 s to 5 minutes), banned
 * after repeated pieces that failed their hash. A slow one gets less work by itself: the engine
 * sizes every peer's pipeline from its rate. Each is a row of the torrent's source table.
 */
import { WebSeedError, type WebSeed } from '@bt/webseed';
import type { SourceStatus } from './sources.js';
import type { Clock } from './clock.js';
import { SessionError } from './errors.js';
import type { TorrentDescription } from './interfaces.js';
import type { Peer } from './peer.js';
import { WebSeedWire, type WebSeedFetcher } from './web-seed-wire.js';

/** Hash failures a web seed alone was to blame for before it is banned. */
const HASH_FAILURES_TO_BAN = 2;
const RETRY_BASE_MS = 5000;
const RETRY_MAX_MS = 300_000;

interface WebSeedEntry {
  seed: WebSeed;
  state: 'idle' | 'connected' | 'waiting' | 'banned';
  failures: number;
  hashFailures: number;
  retryAt: number;
  message?: string;
  peer?: Peer;
}

export interface WebSeedsHost {
  readonly clock: Clock;
  readonly description: TorrentDescription;
  /** True while the torrent downloads and lacks a wanted piece. */
  readonly wantsData: boolean;
  /** Makes the wire a peer of the torrent. */
  attachWebSeed(wire: WebSeedWire): Peer;
}

export class WebSeeds {
  private readonly host: WebSeedsHost;
  private readonly fetcher: WebSeedFetcher;
  private readonly entries: WebSeedEntry[];

  constructor(host: WebSeedsHost, fetcher: WebSeedFetcher, seeds: readonly WebSeed[]) {
    this.host = host;
    this.fetcher = fetcher;
    this.entries = seeds.map((seed) => ({
      seed,
      state: 'idle',
      failures: 0,
      hashFailures: 0,
      retryAt: 0,
    }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Connects the web seeds that may be tried again, while there is something to fetch. */
  tick(now: number): void {
    if (!this.host.wantsData) return;
    for (const entry of this.entries) {
      if (entry.state === 'waiting' && now >= entry.retryAt) entry.state = 'idle';
      if (entry.state !== 'idle') continue;
      entry.state = 'connected';
      const wire = new WebSeedWire({
        torrent: this.host.description,
        seed: entry.seed,
        fetcher: this.fetcher,
        onClosed: (error) => this.closed(entry, error),
      });
      entry.peer = this.host.attachWebSeed(wire);
    }
  }

  private closed(entry: WebSeedEntry, error?: Error): void {
    const delivered = (entry.peer?.download.total ?? 0) > 0;
    entry.peer = undefined;
    if (error === undefined) {
      entry.state = 'idle';
      return;
    }
    entry.message = error.message;
    if (SessionError.isInstance(error) && error.code === 'peer-banned') {
      entry.hashFailures++;
      if (entry.hashFailures >= HASH_FAILURES_TO_BAN) {
        entry.state = 'banned';
        return;
      }
    } else if (!(WebSeedError.isInstance(error) && error.code === 'retry-later')) {
      // a seed that delivered before it failed starts its back-off over
      entry.failures = delivered ? 1 : entry.failures + 1;
    }
    const wait =
      WebSeedError.isInstance(error) && error.retryAfterMs !== undefined
        ? Math.max(1000, error.retryAfterMs)
        : Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, entry.failures - 1));
    entry.state = 'waiting';
    entry.retryAt = this.host.clock.now() + wait;
  }

  /** One row per web seed for the torrent's source table. */
  sources(now: number): SourceStatus[] {
    return this.entries.map((entry) => ({
      source: entry.seed.url,
      state:
        entry.state === 'connected'
          ? 'working'
          : entry.state === 'idle'
            ? 'idle'
            : entry.state === 'banned'
              ? 'disabled'
              : 'error',
      message: entry.state === 'connected' ? undefined : entry.message,
      nextUpdateIn:
        entry.state === 'waiting'
          ? Math.max(0, Math.round((entry.retryAt - now) / 1000))
          : undefined,
      downloadRate: entry.peer?.download.rate ?? 0,
    }));
  }
}
