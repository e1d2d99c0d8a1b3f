/**
 * The swarm registry a tracker server answers from, as an interface, and a small in-memory
 * default. `bt tracker` hands the same registry to the HTTP and the UDP server so both
 * endpoints see one swarm; this package declares only the shape it needs (structurally) and
 * never imports the UDP package.
 *
 * The default keeps memory bounded whatever clients send: peers expire after twice the
 * announce interval, and caps on torrents, peers per torrent and peers in total turn a flood
 * of new identities into answers that store nothing.
 */
import type { AnnounceEvent, ScrapeFile, TrackerPeer } from '@bt/primitives';

/**
 * One announce as a server hands it to the registry, the peer's address already decided
 * (the connection's source address, or one the server chose to trust).
 */
export interface SwarmAnnounce {
  infoHash: Uint8Array;
  /** Where other peers reach this one, with its peer id. */
  peer: TrackerPeer;
  /** `none` or absent for a regular announce. */
  event?: AnnounceEvent;
  /** Bytes still needed; 0 makes the peer a seeder. */
  left: number;
  /** Peers wanted; absent means the registry's default. Registries cap it. */
  numwant?: number;
  /** List only peers of this family. Default: both. */
  family?: 4 | 6;
}

/** A listed peer, with its compact form (6 or 18 bytes) where the registry keeps one. */
export interface SwarmPeer extends TrackerPeer {
  readonly compact?: Uint8Array;
}

export interface SwarmAnnounceResult {
  /** Other peers of the swarm; the registry's own objects, to read only. */
  peers: SwarmPeer[];
  /** Seeders, after this announce. */
  complete: number;
  /** Leechers, after this announce. */
  incomplete: number;
}

/**
 * What a server needs of a registry: `SwarmRegistry` of `@bt/tracker-udp` has this shape,
 * and any object that does can be passed. A registry refuses a torrent by throwing an error
 * with a string `code` (the server turns its message into a `failure reason`), or says so
 * beforehand through `isAllowed`.
 */
export interface TrackerRegistry {
  announce(announce: SwarmAnnounce): SwarmAnnounceResult;
  scrape(infoHashes: readonly Uint8Array[]): ScrapeFile[];
  /** Whether a torrent is served at all (an allow-list). */
  isAllowed?(infoHash: Uint8Array): boolean;
  /** Drops expired entries; servers call it now and then when the registry has it. */
  prune?(): unknown;
  /** Seconds between announces the registry expects; servers tell clients. */
  readonly interval?: number;
}

export interface MemorySwarmRegistryOptions {
  /** Seconds between announces the servers ask for; peers expire after twice this. Default 1800. */
  interval?: number;
  /** Most torrents tracked at once; announces for more are answered but not stored. Default 100 000. */
  maxTorrents?: number;
  /** Most peers stored per torrent. Default 5 000. */
  maxPeersPerTorrent?: number;
  /** Peers listed when an announce does not say. Default 50. */
  defaultNumwant?: number;
  /** Most peers listed in one answer. Default 200. */
  numwantCap?: number;
  /** Most peers stored over all torrents. Default 1 000 000. */
  maxPeers?: number;
  /** The clock, in milliseconds; tests pass their own. Default `Date.now`. */
  now?: () => number;
}

const LATIN1 = new TextDecoder('latin1');

/** Bytes as a string key, one character per byte (windows-1252 maps bytes one to one). */
function byteKey(bytes: Uint8Array): string {
  return LATIN1.decode(bytes);
}

/** The reverse of `byteKey`: character code to byte. */
const KEY_BYTES = (() => {
  const table = new Map<number, number>();
  for (let byte = 0; byte < 256; byte++)
    table.set(LATIN1.decode(Uint8Array.of(byte)).charCodeAt(0), byte);
  return table;
})();

/**
 * A stored peer: what a server reads (a `TrackerPeer`) plus the registry's bookkeeping. The
 * peer id lives only in `key` (a string is far smaller than a typed array); `peerId` rebuilds
 * the bytes on demand, which only dictionary-model answers ask for.
 */
class PeerRecord implements TrackerPeer {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly family: 4 | 6,
    readonly key: string,
    readonly hasPeerId: boolean,
    public seeder: boolean,
    public expires: number,
    /** Position in its swarm's `seeders` or `leechers` list. */
    public slot = 0,
  ) {}

  get peerId(): Uint8Array | undefined {
    if (!this.hasPeerId) return undefined;
    const bytes = new Uint8Array(this.key.length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = KEY_BYTES.get(this.key.charCodeAt(i)) ?? 0;
    return bytes;
  }
}

interface Swarm {
  /** Two lists so a seeder is sent leechers in O(numwant), whatever the swarm's size. */
  leechers: PeerRecord[];
  seeders: PeerRecord[];
  index: Map<string, PeerRecord>;
  downloaded: number;
}

/** The registry the servers of this package use when given none. */
export class MemorySwarmRegistry implements TrackerRegistry {
  readonly interval: number;
  readonly #maxTorrents: number;
  readonly #maxPeersPerTorrent: number;
  readonly #maxPeers: number;
  readonly #defaultNumwant: number;
  readonly #numwantCap: number;
  readonly #now: () => number;
  readonly #swarms = new Map<string, Swarm>();
  #peerCount = 0;

  constructor(options: MemorySwarmRegistryOptions = {}) {
    this.interval = options.interval ?? 1800;
    this.#maxTorrents = options.maxTorrents ?? 100_000;
    this.#maxPeersPerTorrent = options.maxPeersPerTorrent ?? 5_000;
    this.#maxPeers = options.maxPeers ?? 1_000_000;
    this.#defaultNumwant = options.defaultNumwant ?? 50;
    this.#numwantCap = options.numwantCap ?? 200;
    this.#now = options.now ?? Date.now;
  }

  /** Torrents and peers currently stored. */
  get size(): { torrents: number; peers: number } {
    return { torrents: this.#swarms.size, peers: this.#peerCount };
  }

  announce(announce: SwarmAnnounce): SwarmAnnounceResult {
    const now = this.#now();
    const event = announce.event ?? 'none';
    const torrentKey = byteKey(announce.infoHash);
    let swarm = this.#swarms.get(torrentKey);
    const self = announce.peer;
    const peerKey = self.peerId ? byteKey(self.peerId) : `@${self.host}:${self.port}`;
    if (swarm === undefined) {
      if (event === 'stopped' || this.#swarms.size >= this.#maxTorrents) {
        return { complete: 0, incomplete: 0, peers: [] };
      }
      swarm = { leechers: [], seeders: [], index: new Map(), downloaded: 0 };
      this.#swarms.set(torrentKey, swarm);
    }
    const existing = swarm.index.get(peerKey);
    const seeder = announce.left === 0;
    const expires = now + this.interval * 2000;
    if (event === 'stopped') {
      if (existing) this.#remove(swarm, existing);
    } else {
      if (event === 'completed' && (!existing || !existing.seeder)) swarm.downloaded++;
      if (existing && existing.host === self.host && existing.port === self.port) {
        existing.expires = expires;
        if (existing.seeder !== seeder) {
          this.#unlist(swarm, existing);
          existing.seeder = seeder;
          this.#list(swarm, existing);
        }
      } else {
        // New, or moved to another address: (re)stored as a fresh record.
        if (existing) this.#remove(swarm, existing);
        if (swarm.index.size < this.#maxPeersPerTorrent && this.#peerCount < this.#maxPeers) {
          const record = new PeerRecord(
            self.host,
            self.port,
            self.family,
            peerKey,
            self.peerId !== undefined,
            seeder,
            expires,
          );
          swarm.index.set(peerKey, record);
          this.#list(swarm, record);
          this.#peerCount++;
        }
      }
    }
    const numwant =
      event === 'stopped'
        ? 0
        : Math.min(announce.numwant ?? this.#defaultNumwant, this.#numwantCap);
    const peers: SwarmPeer[] = [];
    if (numwant > 0) {
      this.#pick(swarm, swarm.leechers, peerKey, numwant, now, announce.family, peers);
      if (!seeder) this.#pick(swarm, swarm.seeders, peerKey, numwant, now, announce.family, peers);
    }
    const result = { complete: swarm.seeders.length, incomplete: swarm.leechers.length, peers };
    if (swarm.index.size === 0 && swarm.downloaded === 0) this.#swarms.delete(torrentKey);
    return result;
  }

  scrape(infoHashes: readonly Uint8Array[]): ScrapeFile[] {
    this.prune();
    return infoHashes.map((infoHash) => {
      const swarm = this.#swarms.get(byteKey(infoHash));
      return swarm
        ? {
            infoHash,
            complete: swarm.seeders.length,
            incomplete: swarm.leechers.length,
            downloaded: swarm.downloaded,
          }
        : { infoHash, complete: 0, incomplete: 0, downloaded: 0 };
    });
  }

  /** Drops every peer whose last announce is older than twice the interval. */
  prune(): void {
    const now = this.#now();
    for (const [key, swarm] of this.#swarms) {
      for (const record of swarm.index.values())
        if (record.expires <= now) this.#remove(swarm, record);
      if (swarm.index.size === 0 && swarm.downloaded === 0) this.#swarms.delete(key);
    }
  }

  /** Adds up to `count` live peers of `list` (not `self`) to `out`, from a random place. */
  #pick(
    swarm: Swarm,
    list: PeerRecord[],
    self: string,
    count: number,
    now: number,
    family: 4 | 6 | undefined,
    out: SwarmPeer[],
  ): void {
    const total = list.length;
    if (total === 0 || out.length >= count) return;
    const start = Math.floor(Math.random() * total);
    let expired: PeerRecord[] | undefined;
    for (let i = 0; i < total && out.length < count; i++) {
      const record = list[(start + i) % total]!;
      if (record.expires <= now) (expired ??= []).push(record);
      else if (record.key !== self && (family === undefined || record.family === family))
        out.push(record);
    }
    if (expired) for (const record of expired) this.#remove(swarm, record);
  }

  #list(swarm: Swarm, record: PeerRecord): void {
    const list = record.seeder ? swarm.seeders : swarm.leechers;
    record.slot = list.length;
    list.push(record);
  }

  /** Swap-remove from its list, O(1). */
  #unlist(swarm: Swarm, record: PeerRecord): void {
    const list = record.seeder ? swarm.seeders : swarm.leechers;
    const last = list.pop()!;
    if (last !== record) {
      list[record.slot] = last;
      last.slot = record.slot;
    }
  }

  #remove(swarm: Swarm, record: PeerRecord): void {
    if (swarm.index.get(record.key) !== record) return;
    swarm.index.delete(record.key);
    this.#unlist(swarm, record);
    this.#peerCount--;
  }
}
