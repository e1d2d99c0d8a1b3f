/**
 * Peers from the DHT (BEP 5) for every public torrent: a lookup when the torrent starts and
 * every 15 minutes (every minute while it knows few peers), each found peer added to the pool
 * as it arrives, then `announce_peer` with our port. A private torrent (BEP 27) neither looks
 * up nor announces; its `[DHT]` row says so.
 */
import type { PeerAddress } from '@bt/primitives';
import type { ExtensionTorrent, TorrentExtensionHandler, TorrentPlugin } from './extensions.js';
import type { SourceStatus } from './sources.js';

/** What the session consumes of a DHT node; `Dht` of `@bt/dht/node` is one. */
export interface SessionDht {
  /** BEP 5 get_peers: a swarm's peers as they arrive. */
  lookup(infoHash: Uint8Array, options?: { signal?: AbortSignal }): AsyncIterable<PeerAddress>;
  /** BEP 5 announce_peer (after its own lookup). */
  announce(
    infoHash: Uint8Array,
    options?: { port?: number; signal?: AbortSignal },
  ): Promise<unknown>;
  /** A node a peer told us of (BEP 5 `port` message). */
  addNode(address: PeerAddress): void;
  /** Where the node's socket is bound (its port goes in BEP 5 `port` messages). */
  address?(): PeerAddress;
  close(): Promise<void>;
}

export const DHT_SOURCE = '[DHT]';
const INTERVAL_MS = 15 * 60_000;
const SHORT_INTERVAL_MS = 60_000;
/** Fewer connected peers than this: look again sooner. */
const FEW_PEERS = 5;
/** Most distinct addresses counted for the row. */
const MAX_COUNTED = 10_000;

export interface DhtDiscoveryOptions {
  dht: SessionDht;
  /** Our listen port, for announces. */
  port: () => number;
}

/** The DHT as a per-torrent peer source. */
export function dhtDiscovery(options: DhtDiscoveryOptions): TorrentPlugin {
  return {
    attach: (torrent) =>
      torrent.publicDiscovery
        ? new DhtRounds(torrent, options)
        : {
            sources: () => [{ source: DHT_SOURCE, state: 'disabled', message: 'private torrent' }],
          },
  };
}

class DhtRounds implements TorrentExtensionHandler {
  private readonly torrent: ExtensionTorrent;
  private readonly options: DhtDiscoveryOptions;
  private readonly found = new Set<string>();
  private nextAt = Number.NEGATIVE_INFINITY;
  private running = false;
  private error: string | undefined;
  private rounds = 0;
  private readonly controller = new AbortController();

  constructor(torrent: ExtensionTorrent, options: DhtDiscoveryOptions) {
    this.torrent = torrent;
    this.options = options;
  }

  tick(now: number): void {
    if (this.running || now < this.nextAt || this.controller.signal.aborted) return;
    this.running = true;
    void this.round().finally(() => {
      this.running = false;
      let connected = 0;
      for (const peer of this.torrent.peers()) if (peer) connected++;
      this.nextAt =
        this.torrent.clock.now() + (connected < FEW_PEERS ? SHORT_INTERVAL_MS : INTERVAL_MS);
    });
  }

  private async round(): Promise<void> {
    const signal = AbortSignal.any([this.controller.signal, this.torrent.signal]);
    const { dht } = this.options;
    try {
      const hashes = this.torrent.swarmHashes ?? [this.torrent.infoHash];
      // each swarm in turn (a hybrid torrent is in two): its peers, then our announce to it
      for (const infoHash of hashes) {
        for await (const address of dht.lookup(infoHash, { signal })) {
          const key = `${address.host}:${address.port}`;
          if (this.found.size < MAX_COUNTED) this.found.add(key);
          this.torrent.addPeers([address], 'dht');
        }
        if (signal.aborted) return;
        await dht.announce(infoHash, { port: this.options.port(), signal });
      }
      this.rounds++;
      this.error = undefined;
    } catch (error) {
      if (!signal.aborted) this.error = error instanceof Error ? error.message : String(error);
    }
  }

  sources(now: number): SourceStatus[] {
    return [
      {
        source: DHT_SOURCE,
        state: this.running
          ? 'announcing'
          : this.error !== undefined
            ? 'error'
            : this.rounds > 0
              ? 'working'
              : 'idle',
        message: this.error,
        nextUpdateIn: this.running
          ? undefined
          : Math.max(0, Math.round((this.nextAt - now) / 1000)),
        peers: this.found.size,
      },
    ];
  }

  close(): void {
    this.controller.abort();
  }
}
