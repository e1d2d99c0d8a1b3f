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
import {
  type AnnounceEvent,
  encodeCompactPeer,
  type ScrapeFile,
  type TrackerPeer,
} from '@bt/primitives';

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

interface PeerRecord {
  key: string;
  peer: SwarmPeer;
  seeder: boolean;
  expires: number;
}

interface Swarm {
  infoHash: Uint8Array;
  peers: PeerRecord[];
  index: Map<string, number>;
  seeders: number;
  downloaded: number;
}

/** 20 bytes as a compact string key (one UTF-16 unit per byte). */
function byteKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
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
    const peerKey = self.peerId ? byteKey(self.peerId) : `${self.host}:${self.port}`;
    if (swarm === undefined) {
      if (event === 'stopped' || this.#swarms.size >= this.#maxTorrents) {
        return { complete: 0, incomplete: 0, peers: [] };
      }
      swarm = {
        infoHash: announce.infoHash.slice(),
        peers: [],
        index: new Map(),
        seeders: 0,
        downloaded: 0,
      };
      this.#swarms.set(torrentKey, swarm);
    }
    const position = swarm.index.get(peerKey);
    const existing = position === undefined ? undefined : swarm.peers[position];
    const seeder = announce.left === 0;
    if (event === 'stopped') {
      if (existing) this.#remove(swarm, existing);
    } else {
      if (event === 'completed' && (!existing || !existing.seeder)) swarm.downloaded++;
      if (existing) {
        if (existing.seeder !== seeder) swarm.seeders += seeder ? 1 : -1;
        existing.seeder = seeder;
        existing.expires = now + this.interval * 2000;
        const peer = existing.peer;
        if (peer.host !== self.host || peer.port !== self.port) existing.peer = storedPeer(self);
      } else if (
        swarm.peers.length < this.#maxPeersPerTorrent &&
        this.#peerCount < this.#maxPeers
      ) {
        const record: PeerRecord = {
          key: peerKey,
          peer: storedPeer(self),
          seeder,
          expires: now + this.interval * 2000,
        };
        swarm.index.set(peerKey, swarm.peers.length);
        swarm.peers.push(record);
        if (seeder) swarm.seeders++;
        this.#peerCount++;
      }
    }
    const numwant =
      event === 'stopped'
        ? 0
        : Math.min(announce.numwant ?? this.#defaultNumwant, this.#numwantCap);
    const peers = this.#pick(swarm, peerKey, numwant, now, seeder, announce.family);
    const result = {
      complete: swarm.seeders,
      incomplete: swarm.peers.length - swarm.seeders,
      peers,
    };
    if (swarm.peers.length === 0 && swarm.downloaded === 0) this.#swarms.delete(torrentKey);
    return result;
  }

  scrape(infoHashes: readonly Uint8Array[]): ScrapeFile[] {
    this.prune();
    return infoHashes.map((infoHash) => {
      const swarm = this.#swarms.get(byteKey(infoHash));
      return swarm
        ? {
            infoHash,
            complete: swarm.seeders,
            incomplete: swarm.peers.length - swarm.seeders,
            downloaded: swarm.downloaded,
          }
        : { infoHash, complete: 0, incomplete: 0, downloaded: 0 };
    });
  }

  /** Drops every peer whose last announce is older than twice the interval. */
  prune(): void {
    const now = this.#now();
    for (const [key, swarm] of this.#swarms) {
      for (let i = swarm.peers.length - 1; i >= 0; i--) {
        const record = swarm.peers[i]!;
        if (record.expires <= now) this.#remove(swarm, record);
      }
      if (swarm.peers.length === 0 && swarm.downloaded === 0) this.#swarms.delete(key);
    }
  }

  /** Up to `count` other live peers from a random place in the swarm; seeders get no seeders. */
  #pick(
    swarm: Swarm,
    self: string,
    count: number,
    now: number,
    forSeeder: boolean,
    family: 4 | 6 | undefined,
  ): SwarmPeer[] {
    const peers: SwarmPeer[] = [];
    const total = swarm.peers.length;
    if (count <= 0 || total === 0) return peers;
    const start = Math.floor(Math.random() * total);
    let expired: PeerRecord[] | undefined;
    for (let i = 0; i < total && peers.length < count; i++) {
      const record = swarm.peers[(start + i) % total]!;
      if (record.expires <= now) (expired ??= []).push(record);
      else if (
        record.key !== self &&
        !(forSeeder && record.seeder) &&
        (family === undefined || record.peer.family === family)
      ) {
        peers.push(record.peer);
      }
    }
    if (expired) for (const record of expired) this.#remove(swarm, record);
    return peers;
  }

  #remove(swarm: Swarm, record: PeerRecord): void {
    const position = swarm.index.get(record.key);
    if (position === undefined) return;
    const last = swarm.peers.pop()!;
    if (last !== record) {
      swarm.peers[position] = last;
      swarm.index.set(last.key, position);
    }
    swarm.index.delete(record.key);
    if (record.seeder) swarm.seeders--;
    this.#peerCount--;
  }
}

/** A copy the registry owns, with the compact form computed once (absent for a host name). */
function storedPeer(peer: TrackerPeer): SwarmPeer {
  let compact: Uint8Array | undefined;
  try {
    compact = encodeCompactPeer(peer);
  } catch {
    compact = undefined;
  }
  return {
    host: peer.host,
    port: peer.port,
    family: peer.family,
    ...(peer.peerId ? { peerId: peer.peerId.slice() } : {}),
    ...(compact ? { compact } : {}),
  };
}
