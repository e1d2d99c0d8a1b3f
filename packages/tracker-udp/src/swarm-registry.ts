/**
 * The in-memory swarm registry a tracker server keeps: torrents, the peers announcing them,
 * and the counts a scrape reports. Transport-free (no sockets, no timers, no UDP or HTTP
 * types), so the HTTP and the UDP server of one `bt tracker` share a single instance; the HTTP
 * package accepts any object with the same structural interface rather than importing this one.
 *
 * Rules (BEP 3, BEP 15, BEP 48):
 * - A peer is identified by its peer id when it sends one, else by `host:port`. Announcing
 *   again refreshes it (new address, seeder state); `stopped` removes it.
 * - A peer expires `2 × interval` seconds after its last announce. Expiry is lazy (on each
 *   announce or scrape of its torrent) plus `prune()`, which drops whole torrents that nobody
 *   announced within that window; servers call `prune()` periodically.
 * - `numwant` defaults to `defaultNumwant` (50) and is capped at `numwantCap` (200). The
 *   announcing peer is never listed to itself; a seeder is only given leechers.
 * - Memory is bounded by three limits, each enforced by evicting the least recently seen:
 *   `maxPeersPerTorrent` (the torrent's least recently announced peer goes), `maxTorrents`
 *   (the least recently announced torrent goes, with its peers) and `maxPeers` across all
 *   torrents (the least recently seen peer of the least recently announced torrent goes).
 *   A flood of fake announces therefore costs old entries, never unbounded memory.
 * - An optional allow-list (info-hashes or a predicate) limits the torrents tracked: check
 *   `isAllowed()` first; `announce()` throws `SwarmRegistryError('torrent-not-allowed')` and
 *   `scrape()` reports zeros for a torrent that is not allowed.
 */
import {
  type AddressFamily,
  type AnnounceEvent,
  encodeCompactPeer,
  type ScrapeFile,
  type TrackerPeer,
} from '@bt/primitives';

const marker = Symbol.for('@bt/tracker-udp.swarm-registry-error');

export type SwarmRegistryErrorCode = 'torrent-not-allowed' | 'invalid-info-hash';

/** A caller asked for something the registry refuses; `code` says what. */
export class SwarmRegistryError extends Error {
  override name = 'SwarmRegistryError';
  readonly code: SwarmRegistryErrorCode;
  readonly [marker] = true;

  constructor(code: SwarmRegistryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(error: unknown): error is SwarmRegistryError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

export interface SwarmRegistryOptions {
  /** Seconds between regular announces that servers tell clients; peers expire after twice this. Default 1800. */
  interval?: number;
  /** Peers listed when the announce does not say (or says -1). Default 50. */
  defaultNumwant?: number;
  /** Most peers listed in one answer. Default 200. */
  numwantCap?: number;
  /** Most torrents tracked at once. Default 100,000. */
  maxTorrents?: number;
  /** Most peers tracked per torrent. Default 10,000. */
  maxPeersPerTorrent?: number;
  /** Most peers tracked across all torrents. Default 500,000 (roughly 150-250 MB). */
  maxPeers?: number;
  /** Only these info-hashes are tracked (or those the predicate accepts). Default: any. */
  allowList?: readonly Uint8Array[] | ((infoHash: Uint8Array) => boolean);
  /** Milliseconds clock, for tests. Default `Date.now`. */
  now?: () => number;
}

export interface SwarmAnnounce {
  /** 20 bytes. */
  infoHash: Uint8Array;
  /**
   * Where other peers reach this one: the transport's source address (or the address the
   * server decided to trust) with the announced port, and the peer id when the client sent one.
   */
  peer: TrackerPeer;
  /** BEP 3 event; `none` or absent for a regular announce. */
  event?: AnnounceEvent;
  /** Bytes the peer still needs; 0 makes it a seeder. */
  left: number;
  /** Peers wanted; absent or negative means `defaultNumwant`; capped at `numwantCap`. */
  numwant?: number;
  /** List only peers of this address family (a UDP tracker answers in its request's family). Default: both. */
  family?: AddressFamily;
}

/** A listed peer: the announcing peer's address and id, and its compact form where its host is an IP literal. */
export interface SwarmPeer extends TrackerPeer {
  /** 6 bytes (IPv4) or 18 bytes (IPv6), BEP 23 / BEP 7; absent when the host is a name. */
  readonly compact?: Uint8Array;
}

export interface SwarmAnnounceResult {
  /** The registry's own objects: read them, never change them. */
  peers: SwarmPeer[];
  /** Seeders, after this announce. */
  complete: number;
  /** Leechers, after this announce. */
  incomplete: number;
  /** `completed` events ever seen for the torrent (while it is tracked). */
  downloaded: number;
  /** Seconds; the registry's `interval`. */
  interval: number;
}

export interface SwarmRegistryStats {
  torrents: number;
  peers: number;
  seeders: number;
  leechers: number;
  /** Entries evicted by the memory limits since creation. */
  evictedPeers: number;
  evictedTorrents: number;
}

interface PeerEntry {
  key: string;
  peer: SwarmPeer;
  seeder: boolean;
  lastSeen: number;
  /** Which of the torrent's four pools holds it, and where. */
  pool: number;
  index: number;
}

interface Torrent {
  key: string;
  infoHash: Uint8Array;
  /** Least recently seen first (refreshing re-inserts), so expiry and eviction pop the front. */
  peers: Map<string, PeerEntry>;
  /** 0: IPv4 leechers, 1: IPv4 seeders, 2: IPv6 leechers, 3: IPv6 seeders; for O(numwant) sampling. */
  pools: [PeerEntry[], PeerEntry[], PeerEntry[], PeerEntry[]];
  downloaded: number;
  lastActivity: number;
}

function binaryKey(bytes: Uint8Array): string {
  let key = '';
  for (let i = 0; i < bytes.length; i++) key += String.fromCharCode(bytes[i]!);
  return key;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

export class SwarmRegistry {
  /** Seconds between announces; peers expire after twice this. */
  readonly interval: number;
  readonly defaultNumwant: number;
  readonly numwantCap: number;
  readonly maxTorrents: number;
  readonly maxPeersPerTorrent: number;
  readonly maxPeers: number;

  readonly #torrents = new Map<string, Torrent>();
  readonly #allowSet: Set<string> | undefined;
  readonly #allowPredicate: ((infoHash: Uint8Array) => boolean) | undefined;
  readonly #now: () => number;
  #peerCount = 0;
  #evictedPeers = 0;
  #evictedTorrents = 0;

  constructor(options: SwarmRegistryOptions = {}) {
    this.interval = positive(options.interval, 1800, 'interval');
    this.defaultNumwant = positive(options.defaultNumwant, 50, 'defaultNumwant');
    this.numwantCap = positive(options.numwantCap, 200, 'numwantCap');
    this.maxTorrents = positive(options.maxTorrents, 100_000, 'maxTorrents');
    this.maxPeersPerTorrent = positive(options.maxPeersPerTorrent, 10_000, 'maxPeersPerTorrent');
    this.maxPeers = positive(options.maxPeers, 500_000, 'maxPeers');
    const allow = options.allowList;
    if (typeof allow === 'function') this.#allowPredicate = allow;
    else if (allow) this.#allowSet = new Set(allow.map(binaryKey));
    this.#now = options.now ?? Date.now;
  }

  /** Whether the allow-list (if any) lets this torrent be tracked. */
  isAllowed(infoHash: Uint8Array): boolean {
    if (this.#allowPredicate) return this.#allowPredicate(infoHash);
    if (this.#allowSet) return this.#allowSet.has(binaryKey(infoHash));
    return true;
  }

  /**
   * Records an announce and lists other peers of the torrent. Throws `SwarmRegistryError`
   * for a torrent the allow-list refuses or an info-hash that is not 20 bytes.
   */
  announce(request: SwarmAnnounce): SwarmAnnounceResult {
    const { infoHash, peer } = request;
    if (infoHash.length !== 20) throw new SwarmRegistryError('invalid-info-hash', 'an info-hash is 20 bytes');
    if (!this.isAllowed(infoHash)) {
      throw new SwarmRegistryError('torrent-not-allowed', 'this tracker does not track that torrent');
    }
    const now = this.#now();
    const torrentKey = binaryKey(infoHash);
    let torrent = this.#torrents.get(torrentKey);
    if (torrent) {
      this.#torrents.delete(torrentKey);
      this.#expire(torrent, now);
    } else {
      while (this.#torrents.size >= this.maxTorrents) this.#evictTorrent();
      torrent = {
        key: torrentKey,
        infoHash: infoHash.slice(),
        peers: new Map(),
        pools: [[], [], [], []],
        downloaded: 0,
        lastActivity: now,
      };
    }
    torrent.lastActivity = now;
    this.#torrents.set(torrentKey, torrent);

    const peerKey = peer.peerId ? `i${binaryKey(peer.peerId)}` : `a${peer.host}:${peer.port}`;
    let entry = torrent.peers.get(peerKey);
    const event = request.event ?? 'none';
    if (event === 'stopped') {
      if (entry) this.#removePeer(torrent, entry);
      return this.#result(torrent, []);
    }
    if (event === 'completed' && (!entry || !entry.seeder)) torrent.downloaded++;
    const seeder = request.left === 0;
    const pool = (peer.family === 6 ? 2 : 0) + (seeder ? 1 : 0);
    if (entry) {
      torrent.peers.delete(peerKey);
      torrent.peers.set(peerKey, entry);
      entry.lastSeen = now;
      const stored = entry.peer;
      if (stored.host !== peer.host || stored.port !== peer.port || stored.family !== peer.family) {
        entry.peer = makePeer(peer);
      }
      entry.seeder = seeder;
      if (entry.pool !== pool) {
        this.#leavePool(torrent, entry);
        this.#joinPool(torrent, entry, pool);
      }
    } else {
      while (torrent.peers.size >= this.maxPeersPerTorrent) this.#evictPeerOf(torrent);
      while (this.#peerCount >= this.maxPeers) this.#evictAnyPeer(torrent);
      entry = { key: peerKey, peer: makePeer(peer), seeder, lastSeen: now, pool, index: 0 };
      torrent.peers.set(peerKey, entry);
      this.#joinPool(torrent, entry, pool);
      this.#peerCount++;
    }

    const wanted =
      request.numwant === undefined || request.numwant < 0 ? this.defaultNumwant : request.numwant;
    const numwant = Math.min(Math.floor(wanted), this.numwantCap);
    return this.#result(torrent, this.#sample(torrent, entry, numwant, request.family));
  }

  /** Counts for each info-hash, in order; zeros for torrents not tracked (or not allowed). */
  scrape(infoHashes: readonly Uint8Array[]): ScrapeFile[] {
    const now = this.#now();
    return infoHashes.map((infoHash) => {
      const torrent = this.#torrents.get(binaryKey(infoHash));
      if (!torrent) return { infoHash, complete: 0, downloaded: 0, incomplete: 0 };
      this.#expire(torrent, now);
      const [l4, s4, l6, s6] = torrent.pools;
      return {
        infoHash,
        complete: s4.length + s6.length,
        downloaded: torrent.downloaded,
        incomplete: l4.length + l6.length,
      };
    });
  }

  /** Drops every torrent nobody announced within `2 × interval`. Cost: what it drops. */
  prune(): number {
    const cutoff = this.#now() - this.interval * 2000;
    let dropped = 0;
    for (const torrent of this.#torrents.values()) {
      if (torrent.lastActivity >= cutoff) break;
      this.#dropTorrent(torrent);
      dropped++;
    }
    return dropped;
  }

  stats(): SwarmRegistryStats {
    let seeders = 0;
    for (const torrent of this.#torrents.values()) seeders += torrent.pools[1].length + torrent.pools[3].length;
    return {
      torrents: this.#torrents.size,
      peers: this.#peerCount,
      seeders,
      leechers: this.#peerCount - seeders,
      evictedPeers: this.#evictedPeers,
      evictedTorrents: this.#evictedTorrents,
    };
  }

  #result(torrent: Torrent, peers: SwarmPeer[]): SwarmAnnounceResult {
    const [l4, s4, l6, s6] = torrent.pools;
    return {
      peers,
      complete: s4.length + s6.length,
      incomplete: l4.length + l6.length,
      downloaded: torrent.downloaded,
      interval: this.interval,
    };
  }

  /**
   * Up to `numwant` peers other than `self`, from a random starting point across the pools
   * that fit (a seeder gets leechers only; `family` narrows to one family).
   */
  #sample(torrent: Torrent, self: PeerEntry, numwant: number, family: AddressFamily | undefined): SwarmPeer[] {
    if (numwant <= 0) return [];
    const pools: PeerEntry[][] = [];
    for (let p = 0; p < 4; p++) {
      if (family !== undefined && (p < 2 ? 4 : 6) !== family) continue;
      if (self.seeder && p % 2 === 1) continue;
      const pool = torrent.pools[p as 0 | 1 | 2 | 3];
      if (pool.length > 0) pools.push(pool);
    }
    let total = 0;
    for (const pool of pools) total += pool.length;
    const peers: SwarmPeer[] = [];
    if (total === 0) return peers;
    let position = Math.floor(Math.random() * total);
    for (let seen = 0; seen < total && peers.length < numwant; seen++, position = (position + 1) % total) {
      let offset = position;
      let pool = 0;
      while (offset >= pools[pool]!.length) offset -= pools[pool++]!.length;
      const entry = pools[pool]![offset]!;
      if (entry !== self) peers.push(entry.peer);
    }
    return peers;
  }

  #expire(torrent: Torrent, now: number): void {
    const cutoff = now - this.interval * 2000;
    for (const entry of torrent.peers.values()) {
      if (entry.lastSeen >= cutoff) break;
      this.#removePeer(torrent, entry);
    }
  }

  #joinPool(torrent: Torrent, entry: PeerEntry, pool: number): void {
    const list = torrent.pools[pool as 0 | 1 | 2 | 3];
    entry.pool = pool;
    entry.index = list.length;
    list.push(entry);
  }

  /** Swap-remove from its pool, O(1). */
  #leavePool(torrent: Torrent, entry: PeerEntry): void {
    const list = torrent.pools[entry.pool as 0 | 1 | 2 | 3];
    const last = list.pop()!;
    if (last !== entry) {
      list[entry.index] = last;
      last.index = entry.index;
    }
  }

  #removePeer(torrent: Torrent, entry: PeerEntry): void {
    torrent.peers.delete(entry.key);
    this.#leavePool(torrent, entry);
    this.#peerCount--;
  }

  #evictPeerOf(torrent: Torrent): void {
    const oldest = torrent.peers.values().next();
    if (oldest.done) return;
    this.#removePeer(torrent, oldest.value);
    this.#evictedPeers++;
  }

  /** Global peer limit: the oldest peer of the least recently announced torrent goes. */
  #evictAnyPeer(current: Torrent): void {
    for (const torrent of this.#torrents.values()) {
      if (torrent.peers.size === 0) {
        if (torrent !== current) this.#dropTorrent(torrent);
        continue;
      }
      this.#evictPeerOf(torrent);
      if (torrent.peers.size === 0 && torrent !== current) this.#dropTorrent(torrent);
      return;
    }
  }

  #evictTorrent(): void {
    const oldest = this.#torrents.values().next();
    if (oldest.done) return;
    this.#evictedPeers += oldest.value.peers.size;
    this.#dropTorrent(oldest.value);
    this.#evictedTorrents++;
  }

  #dropTorrent(torrent: Torrent): void {
    this.#torrents.delete(torrent.key);
    this.#peerCount -= torrent.peers.size;
  }
}

function makePeer(peer: TrackerPeer): SwarmPeer {
  let compact: Uint8Array | undefined;
  try {
    compact = encodeCompactPeer(peer);
  } catch {
    compact = undefined;
  }
  const stored: SwarmPeer = { host: peer.host, port: peer.port, family: peer.family };
  if (peer.peerId) (stored as { peerId?: Uint8Array }).peerId = peer.peerId.slice();
  if (compact) (stored as { compact?: Uint8Array }).compact = compact;
  return stored;
}
