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

/** One announce as a server hands it to the registry, the peer's address already decided. */
export interface SwarmAnnounce {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  host: string;
  port: number;
  family: 4 | 6;
  event: AnnounceEvent;
  left: number;
  uploaded: number;
  downloaded: number;
  /** Peers wanted, already capped by the server. */
  numwant: number;
  key?: number;
}

export interface SwarmAnnounceResult {
  /** Seeders, after this announce. */
  complete: number;
  /** Leechers, after this announce. */
  incomplete: number;
  /** Up to `numwant` other peers of the swarm. */
  peers: TrackerPeer[];
}

/**
 * What a server needs of a registry. The registry of `@bt/tracker-udp` has this shape; any
 * object that does can be passed.
 */
export interface TrackerRegistry {
  announce(announce: SwarmAnnounce): SwarmAnnounceResult;
  scrape(infoHashes: readonly Uint8Array[]): ScrapeFile[];
  /** Drops expired peers; servers call it now and then when the registry has it. */
  prune?(): void;
}

export interface MemorySwarmRegistryOptions {
  /** Seconds between announces the servers ask for; peers expire after twice this. Default 1800. */
  interval?: number;
  /** Most torrents tracked at once; announces for more are answered but not stored. Default 100 000. */
  maxTorrents?: number;
  /** Most peers stored per torrent. Default 5 000. */
  maxPeersPerTorrent?: number;
  /** Most peers stored over all torrents. Default 1 000 000. */
  maxPeers?: number;
  /** The clock, in milliseconds; tests pass their own. Default `Date.now`. */
  now?: () => number;
}

interface PeerRecord {
  key: string;
  peer: TrackerPeer;
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
  readonly #now: () => number;
  readonly #swarms = new Map<string, Swarm>();
  #peerCount = 0;

  constructor(options: MemorySwarmRegistryOptions = {}) {
    this.interval = options.interval ?? 1800;
    this.#maxTorrents = options.maxTorrents ?? 100_000;
    this.#maxPeersPerTorrent = options.maxPeersPerTorrent ?? 5_000;
    this.#maxPeers = options.maxPeers ?? 1_000_000;
    this.#now = options.now ?? Date.now;
  }

  /** Torrents and peers currently stored. */
  get size(): { torrents: number; peers: number } {
    return { torrents: this.#swarms.size, peers: this.#peerCount };
  }

  announce(announce: SwarmAnnounce): SwarmAnnounceResult {
    const now = this.#now();
    const torrentKey = byteKey(announce.infoHash);
    let swarm = this.#swarms.get(torrentKey);
    const peerKey = byteKey(announce.peerId);
    if (swarm === undefined) {
      if (announce.event === 'stopped' || this.#swarms.size >= this.#maxTorrents) {
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
    if (announce.event === 'stopped') {
      if (existing) this.#remove(swarm, existing);
    } else {
      const seeder = announce.left === 0;
      if (announce.event === 'completed' && (!existing || !existing.seeder)) swarm.downloaded++;
      if (existing) {
        if (existing.seeder !== seeder) swarm.seeders += seeder ? 1 : -1;
        existing.seeder = seeder;
        existing.expires = now + this.interval * 2000;
        const peer = existing.peer;
        if (peer.host !== announce.host || peer.port !== announce.port) {
          existing.peer = {
            host: announce.host,
            port: announce.port,
            family: announce.family,
            peerId: peer.peerId!,
          };
        }
      } else if (
        swarm.peers.length < this.#maxPeersPerTorrent &&
        this.#peerCount < this.#maxPeers
      ) {
        const record: PeerRecord = {
          key: peerKey,
          peer: {
            host: announce.host,
            port: announce.port,
            family: announce.family,
            peerId: announce.peerId.slice(),
          },
          seeder,
          expires: now + this.interval * 2000,
        };
        swarm.index.set(peerKey, swarm.peers.length);
        swarm.peers.push(record);
        if (seeder) swarm.seeders++;
        this.#peerCount++;
      }
    }
    const peers = this.#pick(swarm, peerKey, announce.numwant, now, announce.left === 0);
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
  #pick(swarm: Swarm, self: string, count: number, now: number, forSeeder: boolean): TrackerPeer[] {
    const peers: TrackerPeer[] = [];
    const total = swarm.peers.length;
    if (count <= 0 || total === 0) return peers;
    const start = Math.floor(Math.random() * total);
    let expired: PeerRecord[] | undefined;
    for (let i = 0; i < total && peers.length < count; i++) {
      const record = swarm.peers[(start + i) % total]!;
      if (record.expires <= now) (expired ??= []).push(record);
      else if (record.key !== self && !(forSeeder && record.seeder)) peers.push(record.peer);
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
