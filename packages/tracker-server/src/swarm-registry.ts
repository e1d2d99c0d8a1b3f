/**
 * The one swarm registry of a tracker: torrents, the peers announcing them, and the counts a
 * scrape reports. Transport-free (no sockets, no timers, no UDP or HTTP types), so the HTTP
 * and the UDP server of one `bt tracker` share a single instance. Both servers consume the
 * `TrackerRegistry` interface, which `SwarmRegistry` implements; another store can stand in.
 *
 * Rules (BEP 3, BEP 15, BEP 48):
 * - A peer is identified by its peer id when it sends one, else by `host:port`. Announcing
 *   again refreshes it (new address, seeder state); `stopped` removes it.
 * - A peer expires `2 × interval` seconds after its last announce. Expiry is lazy (on each
 *   announce or scrape of its torrent) plus `prune()`, which drops whole torrents that nobody
 *   announced within that window; servers call `prune()` periodically.
 * - `numwant` defaults to `defaultNumwant` (50) and is capped at `numwantCap` (200). The
 *   announcing peer is never listed to itself; a seeder is only given leechers. The peers
 *   listed are a run of the swarm from a random starting point.
 * - Memory is bounded by three limits, each enforced by evicting the least recently seen:
 *   `maxPeersPerTorrent` (the torrent's least recently announced peer goes), `maxTorrents`
 *   (the least recently announced torrent goes, with its peers) and `maxPeers` across all
 *   torrents (the least recently seen peer of the least recently announced torrent goes).
 *   Torrents are ordered by activity to the second (a busy torrent moves once a second).
 *   A flood of fake announces therefore costs old entries, never unbounded memory.
 * - An optional allow-list (info-hashes or a predicate) limits the torrents tracked: check
 *   `isAllowed()` first; `announce()` throws `SwarmRegistryError('torrent-not-allowed')` and
 *   `scrape()` reports zeros for a torrent that is not allowed.
 *
 * Layout: each torrent keeps its peers in pools by family and seeder state, each pool with
 * its peers' compact forms packed side by side, so a compact answer (`compact: true`) is one
 * or two copies of contiguous bytes rather than a walk over objects.
 */
import {
  type AddressFamily,
  type AnnounceEvent,
  encodeCompactPeer,
  type ScrapeFile,
  type TrackerPeer,
} from '@bt/primitives';

const marker = Symbol.for('@bt/tracker-server.swarm-registry-error');

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
  /** Most peers tracked across all torrents. Default 500,000 (about 250 B of heap each, ~650 B of RSS in the bench). */
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
  /**
   * With `family`: list the peers as `compactPeers` (6-byte IPv4 or 18-byte IPv6 entries,
   * BEP 23 / BEP 7) and leave `peers` empty. The fast path for compact answers.
   */
  compact?: boolean;
  /**
   * With `compact`: write the compact peers into this array (from its start) when they fit,
   * and return `compactPeers` as a view of it, sparing an allocation per announce. The caller
   * owns it; the registry keeps no reference.
   */
  compactInto?: Uint8Array;
}

/** A listed peer: the announcing peer's address and id, and its compact form where its host is an IP literal. */
export interface SwarmPeer extends TrackerPeer {
  /** 6 bytes (IPv4) or 18 bytes (IPv6), BEP 23 / BEP 7; absent when the host is a name. */
  readonly compact?: Uint8Array;
}

export interface SwarmAnnounceResult {
  /** The listed peers as objects (empty when `compact` was asked); read them, never change them. */
  peers: SwarmPeer[];
  /** With `compact` and `family`: the listed peers' compact forms, concatenated (a fresh copy, or a view of `compactInto`). */
  compactPeers?: Uint8Array;
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

/** Pools of a torrent: 0/1 IPv4 leechers/seeders, 2/3 IPv6 leechers/seeders, 4/5 host names (no compact form). */
const POOLS = 6;
const NAMED = 4;

interface PeerEntry {
  key: string;
  host: string;
  port: number;
  family: AddressFamily;
  seeder: boolean;
  lastSeen: number;
  pool: number;
  /** Position in its pool. */
  index: number;
  /** The object form, made the first time the peer is listed as an object. */
  listed: StoredPeer | undefined;
}

/** Peers of one family and state, with their compact forms packed in `bytes` at `index × width`. */
class Pool {
  entries: PeerEntry[] = [];
  bytes: Uint8Array;
  readonly width: number;

  constructor(width: number) {
    this.width = width;
    this.bytes = new Uint8Array(width * 4);
  }

  add(entry: PeerEntry, compact: Uint8Array | undefined): void {
    entry.index = this.entries.length;
    this.entries.push(entry);
    if (this.width === 0 || !compact) return;
    const end = this.entries.length * this.width;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(compact, entry.index * this.width);
  }

  /** Swap-remove, O(1). */
  remove(entry: PeerEntry): void {
    const last = this.entries.pop()!;
    if (last === entry) return;
    this.entries[entry.index] = last;
    const width = this.width;
    if (width > 0)
      this.bytes.copyWithin(entry.index * width, last.index * width, last.index * width + width);
    last.index = entry.index;
  }
}

interface Torrent {
  key: string;
  infoHash: Uint8Array;
  /** Least recently seen first (refreshing re-inserts), so expiry and eviction pop the front. */
  peers: Map<string, PeerEntry>;
  pools: Pool[];
  seeders: number;
  downloaded: number;
  lastActivity: number;
  /** When it last moved to the back of the torrents map (the map is in `movedAt` order). */
  movedAt: number;
  /** When its expired peers were last dropped. */
  lastExpiry: number;
}

/**
 * One char per byte, built in one call: a flat string, a fraction of the memory of one grown
 * by concatenation (which matters for the key of every stored peer).
 */
function binaryKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

function fromBinaryKey(key: string): Uint8Array {
  const bytes = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) bytes[i] = key.charCodeAt(i);
  return bytes;
}

/** Keys of peers without a peer id: a char above 0xff, so they never equal a 20-byte binary key. */
const ADDRESS_KEY_PREFIX = '\u0100';

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function compactOf(peer: TrackerPeer): Uint8Array | undefined {
  try {
    return encodeCompactPeer(peer);
  } catch {
    // A host name rather than an IP literal: listed as an object, never in compact form.
    return undefined;
  }
}

/**
 * What the HTTP and UDP servers need of a registry. `SwarmRegistry` is the default; another
 * store (shared between processes, say) implements this. A registry refuses a torrent by
 * throwing an error with a string `code` (`SwarmRegistryError` does), which the servers turn
 * into a failure reason, or says so beforehand through `isAllowed`.
 */
export interface TrackerRegistry {
  /** Seconds between announces the servers ask of clients. */
  readonly interval: number;
  announce(request: SwarmAnnounce): SwarmAnnounceResult;
  /** Counts for each info-hash, in order; zeros for torrents not tracked. */
  scrape(infoHashes: readonly Uint8Array[]): ScrapeFile[];
  /** Whether a torrent is served at all (an allow-list). */
  isAllowed(infoHash: Uint8Array): boolean;
  /** Drops expired entries; servers call it now and then. */
  prune(): unknown;
  stats(): SwarmRegistryStats;
}

export class SwarmRegistry implements TrackerRegistry {
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
    if (infoHash.length !== 20)
      throw new SwarmRegistryError('invalid-info-hash', 'an info-hash is 20 bytes');
    if (!this.isAllowed(infoHash)) {
      throw new SwarmRegistryError(
        'torrent-not-allowed',
        'this tracker does not track that torrent',
      );
    }
    const now = this.#now();
    const torrentKey = binaryKey(infoHash);
    let torrent = this.#torrents.get(torrentKey);
    if (torrent) {
      this.#expire(torrent, now);
      // Keep the map in order of activity (for prune and eviction), to the second: moving a
      // busy torrent to the back on every announce costs more than the announce itself.
      if (now - torrent.movedAt >= 1000 || now < torrent.movedAt) {
        this.#torrents.delete(torrentKey);
        this.#torrents.set(torrentKey, torrent);
        torrent.movedAt = now;
      }
    } else {
      while (this.#torrents.size >= this.maxTorrents) this.#evictTorrent();
      torrent = {
        key: torrentKey,
        infoHash: infoHash.slice(),
        peers: new Map(),
        pools: [new Pool(6), new Pool(6), new Pool(18), new Pool(18), new Pool(0), new Pool(0)],
        seeders: 0,
        downloaded: 0,
        lastActivity: now,
        movedAt: now,
        lastExpiry: now,
      };
      this.#torrents.set(torrentKey, torrent);
    }
    torrent.lastActivity = now;

    const peerKey = peer.peerId
      ? binaryKey(peer.peerId)
      : `${ADDRESS_KEY_PREFIX}${peer.host}:${peer.port}`;
    let entry = torrent.peers.get(peerKey);
    const event = request.event ?? 'none';
    if (event === 'stopped') {
      if (entry) this.#removePeer(torrent, entry);
      return this.#result(
        torrent,
        [],
        request.compact && request.family ? new Uint8Array(0) : undefined,
      );
    }
    if (event === 'completed' && (!entry || !entry.seeder)) torrent.downloaded++;
    const seeder = request.left === 0;
    if (entry) {
      torrent.peers.delete(peerKey);
      torrent.peers.set(peerKey, entry);
      entry.lastSeen = now;
      if (
        entry.host !== peer.host ||
        entry.port !== peer.port ||
        entry.family !== peer.family ||
        entry.seeder !== seeder
      ) {
        // Moved or changed state: re-file it (its compact bytes change with its address).
        this.#leavePool(torrent, entry);
        entry.host = peer.host;
        entry.port = peer.port;
        entry.family = peer.family;
        entry.seeder = seeder;
        entry.listed = undefined;
        this.#joinPool(torrent, entry, compactOf(peer));
      }
    } else {
      while (torrent.peers.size >= this.maxPeersPerTorrent) this.#evictPeerOf(torrent);
      while (this.#peerCount >= this.maxPeers) this.#evictAnyPeer(torrent);
      entry = {
        key: peerKey,
        host: peer.host,
        port: peer.port,
        family: peer.family,
        seeder,
        lastSeen: now,
        pool: 0,
        index: 0,
        listed: undefined,
      };
      torrent.peers.set(peerKey, entry);
      this.#joinPool(torrent, entry, compactOf(peer));
      this.#peerCount++;
    }

    const wanted =
      request.numwant === undefined || request.numwant < 0 ? this.defaultNumwant : request.numwant;
    const numwant = Math.max(0, Math.min(Math.floor(wanted), this.numwantCap));
    if (request.compact && request.family) {
      return this.#result(
        torrent,
        [],
        this.#sampleCompact(torrent, entry, numwant, request.family, request.compactInto),
      );
    }
    return this.#result(torrent, this.#sample(torrent, entry, numwant, request.family), undefined);
  }

  /** Counts for each info-hash, in order; zeros for torrents not tracked (or not allowed). */
  scrape(infoHashes: readonly Uint8Array[]): ScrapeFile[] {
    const now = this.#now();
    return infoHashes.map((infoHash) => {
      const torrent = this.#torrents.get(binaryKey(infoHash));
      if (!torrent) return { infoHash, complete: 0, downloaded: 0, incomplete: 0 };
      this.#expire(torrent, now);
      return {
        infoHash,
        complete: torrent.seeders,
        downloaded: torrent.downloaded,
        incomplete: torrent.peers.size - torrent.seeders,
      };
    });
  }

  /**
   * Drops every torrent nobody announced within `2 × interval`. Cost: what it drops, plus the
   * torrents announced in the second before the cutoff.
   */
  prune(): number {
    const cutoff = this.#now() - this.interval * 2000;
    let dropped = 0;
    for (const torrent of this.#torrents.values()) {
      // The map is in `movedAt` order, and a torrent's last activity is at most a second
      // after its move: past the first torrent moved within the window, none is stale.
      if (torrent.movedAt >= cutoff) break;
      if (torrent.lastActivity >= cutoff) continue;
      this.#dropTorrent(torrent);
      dropped++;
    }
    return dropped;
  }

  stats(): SwarmRegistryStats {
    let seeders = 0;
    for (const torrent of this.#torrents.values()) seeders += torrent.seeders;
    return {
      torrents: this.#torrents.size,
      peers: this.#peerCount,
      seeders,
      leechers: this.#peerCount - seeders,
      evictedPeers: this.#evictedPeers,
      evictedTorrents: this.#evictedTorrents,
    };
  }

  #result(
    torrent: Torrent,
    peers: SwarmPeer[],
    compactPeers: Uint8Array | undefined,
  ): SwarmAnnounceResult {
    const result: SwarmAnnounceResult = {
      peers,
      complete: torrent.seeders,
      incomplete: torrent.peers.size - torrent.seeders,
      downloaded: torrent.downloaded,
      interval: this.interval,
    };
    if (compactPeers) result.compactPeers = compactPeers;
    return result;
  }

  /** The pools an announcer may be shown: its family (or all), and leechers only for a seeder. */
  #candidatePools(
    torrent: Torrent,
    self: PeerEntry,
    family: AddressFamily | undefined,
    compact: boolean,
  ): Pool[] {
    const pools: Pool[] = [];
    for (let p = 0; p < POOLS; p++) {
      if (compact && p >= NAMED) continue;
      const poolFamily = p >= NAMED ? 4 : p < 2 ? 4 : 6;
      if (family !== undefined && poolFamily !== family) continue;
      if (self.seeder && p % 2 === 1) continue;
      const pool = torrent.pools[p]!;
      if (pool.entries.length > 0) pools.push(pool);
    }
    return pools;
  }

  /**
   * Walks the chosen pools as one list from a random start, calling `take(pool, from, to)` for
   * runs of entries that skip `self`, until `numwant` are taken or the list is exhausted.
   */
  #walk(
    pools: Pool[],
    self: PeerEntry,
    numwant: number,
    take: (pool: Pool, from: number, to: number) => void,
  ): void {
    let total = 0;
    for (const pool of pools) total += pool.entries.length;
    if (total === 0 || numwant === 0) return;
    let remaining = numwant;
    let left = total;
    let start = Math.floor(Math.random() * total);
    let index = 0;
    while (start >= pools[index]!.entries.length) start -= pools[index++]!.entries.length;
    while (remaining > 0 && left > 0) {
      const pool = pools[index]!;
      const size = pool.entries.length;
      let end = Math.min(size, start + Math.min(remaining, left));
      const selfHere = pool.entries[self.index] === self && self.index >= start && self.index < end;
      if (selfHere) {
        if (self.index > start) take(pool, start, self.index);
        const before = self.index - start;
        remaining -= before;
        left -= before + 1;
        start = self.index + 1;
        end = Math.min(size, start + Math.min(remaining, left));
      }
      if (end > start) {
        take(pool, start, end);
        remaining -= end - start;
        left -= end - start;
      }
      index = (index + 1) % pools.length;
      start = 0;
    }
  }

  #sample(
    torrent: Torrent,
    self: PeerEntry,
    numwant: number,
    family: AddressFamily | undefined,
  ): SwarmPeer[] {
    const peers: SwarmPeer[] = [];
    this.#walk(
      this.#candidatePools(torrent, self, family, false),
      self,
      numwant,
      (pool, from, to) => {
        for (let i = from; i < to; i++) {
          const entry = pool.entries[i]!;
          entry.listed ??= new StoredPeer(entry);
          peers.push(entry.listed);
        }
      },
    );
    return peers;
  }

  #sampleCompact(
    torrent: Torrent,
    self: PeerEntry,
    numwant: number,
    family: AddressFamily,
    into: Uint8Array | undefined,
  ): Uint8Array {
    const pools = this.#candidatePools(torrent, self, family, true);
    let available = 0;
    for (const pool of pools) available += pool.entries.length;
    if (self.pool < NAMED && pools.includes(torrent.pools[self.pool]!)) available--;
    const width = family === 4 ? 6 : 18;
    const length = Math.min(numwant, Math.max(available, 0)) * width;
    const out = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
    let at = 0;
    this.#walk(pools, self, numwant, (pool, from, to) => {
      out.set(pool.bytes.subarray(from * width, to * width), at);
      at += (to - from) * width;
    });
    return at === out.length ? out : out.subarray(0, at);
  }

  /**
   * Drops the torrent's peers not seen within `2 × interval`, at most once a second per
   * torrent: finding the first live entry walks past the holes that refreshing (delete and
   * re-insert) leaves at the front of the map, which is too costly for every announce.
   */
  #expire(torrent: Torrent, now: number): void {
    if (now - torrent.lastExpiry < 1000 && now >= torrent.lastExpiry) return;
    torrent.lastExpiry = now;
    const cutoff = now - this.interval * 2000;
    for (const entry of torrent.peers.values()) {
      if (entry.lastSeen >= cutoff) break;
      this.#removePeer(torrent, entry);
    }
  }

  #joinPool(torrent: Torrent, entry: PeerEntry, compact: Uint8Array | undefined): void {
    const pool = (compact ? (entry.family === 6 ? 2 : 0) : NAMED) + (entry.seeder ? 1 : 0);
    entry.pool = pool;
    torrent.pools[pool]!.add(entry, compact);
    if (entry.seeder) torrent.seeders++;
  }

  #leavePool(torrent: Torrent, entry: PeerEntry): void {
    torrent.pools[entry.pool]!.remove(entry);
    if (entry.seeder) torrent.seeders--;
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

/**
 * A stored peer in object form, made when first listed as an object. Its peer id lives only in
 * the map key and its compact form in its pool; both are rebuilt when read.
 */
class StoredPeer implements SwarmPeer {
  readonly host: string;
  readonly port: number;
  readonly family: AddressFamily;
  readonly #key: string;

  constructor(entry: PeerEntry) {
    this.host = entry.host;
    this.port = entry.port;
    this.family = entry.family;
    this.#key = entry.key;
  }

  get peerId(): Uint8Array | undefined {
    return this.#key.charCodeAt(0) === 0x100 ? undefined : fromBinaryKey(this.#key);
  }

  get compact(): Uint8Array | undefined {
    return compactOf(this);
  }
}
