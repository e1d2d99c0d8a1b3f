/**
 * Announcing: when each tracker is told what (BEP 3 events, by BEP 12 tiers, on the intervals
 * the trackers ask for), what it answered (peers go to the registry), the `stopped` announces
 * on the way out, and the source table of the stats. Picking a client by URL scheme is the
 * resolver's job (`TrackerClientResolver`); URLs nobody speaks are disabled once.
 */
import type { AnnounceEvent, AnnounceResult } from '@bt/primitives';
import { SessionError } from './errors.js';
import type { SourceStatus } from './sources.js';
import type { TorrentDescription } from './interfaces.js';
import type { TorrentContext, TorrentOptions } from './torrent-context.js';
import { TrackerTiers } from './tracker-tiers.js';

const TRACKER_TIMEOUT_MS = 15_000;
const STOPPED_TIMEOUT_MS = 5000;

/** What announcing needs of its torrent (a `Torrent`, or a magnet's before its metadata). */
export interface AnnouncingContext {
  readonly options: Pick<TorrentOptions, 'trackers' | 'peerId' | 'port'> & {
    readonly torrent: Pick<TorrentDescription, 'infoHash' | 'announce'>;
  };
  /** Every swarm's info-hash (a hybrid torrent announces both); the torrent's own by default. */
  readonly swarmHashes?: readonly Uint8Array[];
  readonly clock: TorrentContext['clock'];
  readonly registry: TorrentContext['registry'];
  readonly signal: AbortSignal;
  readonly uploadMeter: { readonly total: number };
  readonly downloadMeter: { readonly total: number };
  emit: TorrentContext['emit'];
}

export interface AnnouncingHooks {
  /** A tracker gave us peers (already in the registry). */
  peersFound(): void;
  /** Bytes left to download (BEP 3 `left`). */
  left(): number;
}

export class Announcing {
  private readonly ctx: AnnouncingContext;
  private readonly hooks: AnnouncingHooks;
  private readonly tiers: TrackerTiers;
  private readonly unsupported: string[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(ctx: AnnouncingContext, hooks: AnnouncingHooks) {
    this.ctx = ctx;
    this.hooks = hooks;
    this.tiers = new TrackerTiers(ctx.options.torrent.announce);
    for (const tier of ctx.options.torrent.announce) {
      for (const url of tier) {
        if (ctx.options.trackers(url)) continue;
        this.tiers.disable(url, 'unsupported tracker scheme');
        this.unsupported.push(url);
      }
    }
  }

  /** Says once, when the torrent starts, which trackers nobody here speaks. */
  reportUnsupported(): void {
    for (const url of this.unsupported.splice(0)) {
      this.ctx.emit('tracker-failed', {
        url,
        event: 'started',
        error: new SessionError('unsupported-tracker', `no client speaks ${url}`),
      });
    }
  }

  /** Starts the announces that are due. */
  tick(now: number): void {
    for (const due of this.tiers.due(now)) {
      const promise = this.announce(due.url, due.event, TRACKER_TIMEOUT_MS).finally(() =>
        this.running.delete(promise),
      );
      this.running.add(promise);
    }
  }

  /** The download completed: the next announce says so. */
  markCompleted(now: number): void {
    this.tiers.markCompleted(now);
  }

  /** A user asked for fresh peers: every tracker is asked again, within its `min interval`. */
  reannounce(now: number): void {
    this.tiers.reannounce(now);
    this.tick(now);
  }

  /** Waits for announces in flight, then tells the trackers we stop (bounded). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.running]);
    await Promise.allSettled(
      this.tiers
        .stopTargets()
        .map((target) => this.announce(target.url, 'stopped', STOPPED_TIMEOUT_MS)),
    );
  }

  private async announce(url: string, event: AnnounceEvent, timeoutMs: number): Promise<void> {
    const { ctx } = this;
    const client = ctx.options.trackers(url);
    if (!client) return;
    this.tiers.announcing(url, ctx.clock.now());
    const signal =
      event === 'stopped'
        ? AbortSignal.timeout(timeoutMs)
        : AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      const request = {
        peerId: ctx.options.peerId,
        port: ctx.options.port(),
        uploaded: ctx.uploadMeter.total,
        downloaded: ctx.downloadMeter.total,
        left: this.hooks.left(),
        event,
        numwant: event === 'stopped' ? 0 : 80,
      };
      const hashes = ctx.swarmHashes ?? [ctx.options.torrent.infoHash];
      // one announce per swarm (BEP 52: a hybrid torrent is in the v1 and the v2 swarm); the
      // tracker counts as answering when one of them is answered
      const results = await Promise.allSettled(
        hashes.map((infoHash) => client.announce(url, { ...request, infoHash }, { signal })),
      );
      const answered = results.flatMap((outcome) =>
        outcome.status === 'fulfilled' ? [outcome.value] : [],
      );
      if (answered.length === 0) throw (results[0] as PromiseRejectedResult).reason;
      const result = answered.length === 1 ? answered[0]! : mergeAnswers(answered);
      this.tiers.succeeded(url, event, result, ctx.clock.now());
      if (event !== 'stopped') {
        for (const peer of result.peers) ctx.registry.add(peer, 'tracker', ctx.clock.now());
      }
      ctx.emit('tracker-announced', {
        url,
        event,
        peers: result.peers.length,
        seeds: result.complete,
        leechers: result.incomplete,
      });
      if (result.peers.length > 0) this.hooks.peersFound();
    } catch (error) {
      const failure = SessionError.from(error, 'tracker-failed');
      this.tiers.failed(url, failure.message, ctx.clock.now());
      ctx.emit('tracker-failed', { url, event, error: failure });
    }
  }

  /** The trackers' rows of the source table. */
  sources(now: number): SourceStatus[] {
    return this.tiers.status().map((tracker) => ({
      source: tracker.url,
      state: tracker.state,
      message: tracker.message,
      nextUpdateIn:
        tracker.nextAnnounceAt !== undefined
          ? Math.max(0, Math.round((tracker.nextAnnounceAt - now) / 1000))
          : undefined,
      seeds: tracker.seeds,
      peers: tracker.leechers,
    }));
  }
}

/** One answer from a tracker's answers for each swarm: every peer, the larger counts. */
function mergeAnswers(answers: readonly AnnounceResult[]): AnnounceResult {
  const [first, ...rest] = answers as [AnnounceResult, ...AnnounceResult[]];
  const seen = new Set<string>();
  const peers = [];
  for (const answer of answers) {
    for (const peer of answer.peers) {
      const key = `${peer.host}:${peer.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      peers.push(peer);
    }
  }
  let merged: AnnounceResult = { ...first, peers };
  for (const answer of rest) {
    merged = {
      ...merged,
      interval: Math.min(merged.interval, answer.interval),
      complete: maxOf(merged.complete, answer.complete),
      incomplete: maxOf(merged.incomplete, answer.incomplete),
    };
  }
  return merged;
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
