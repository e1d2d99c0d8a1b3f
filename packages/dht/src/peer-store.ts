/**
 * The peers other nodes announced to us (BEP 5), bounded per info-hash and in total, each entry
 * expiring 30 minutes after its last announce; unique per IP within a swarm (BEP 33), with the
 * seed flag kept for scrapes.
 */
import { type PeerAddress, encodeCompactPeer } from '@bt/primitives';
import { BLOOM_LENGTH, bloomInsert } from './bloom.js';
import { idKey } from './node-id.js';
import { ipBytes } from './node-id.js';

export interface PeerStoreOptions {
  /** Most peers kept for one info-hash. Default 1000 (BEP 33 asks to stay below 6000). */
  maxPeersPerInfoHash?: number;
  /** Most peers kept over all info-hashes. Default 100,000. */
  maxPeers?: number;
  /** Most info-hashes kept. Default 10,000. */
  maxInfoHashes?: number;
  /** Lifetime of an announce, in milliseconds. Default 30 minutes. */
  peerLifetime?: number;
}

interface StoredPeer {
  address: PeerAddress;
  /** 6 or 18 bytes, ready for a `values` list. */
  compact: Uint8Array;
  seed: boolean;
  expires: number;
}

interface Swarm {
  infoHash: Uint8Array;
  /** By IP (BEP 33: one entry per IP; the latest port wins). */
  peers: Map<string, StoredPeer>;
}

export class PeerStore {
  readonly #swarms = new Map<string, Swarm>();
  readonly #maxPerInfoHash: number;
  readonly #maxPeers: number;
  readonly #maxInfoHashes: number;
  readonly #lifetime: number;
  #total = 0;

  constructor(options: PeerStoreOptions = {}) {
    this.#maxPerInfoHash = options.maxPeersPerInfoHash ?? 1000;
    this.#maxPeers = options.maxPeers ?? 100_000;
    this.#maxInfoHashes = options.maxInfoHashes ?? 10_000;
    this.#lifetime = options.peerLifetime ?? 30 * 60_000;
  }

  get size(): number {
    return this.#total;
  }

  get infoHashCount(): number {
    return this.#swarms.size;
  }

  /** Whether an announce for this info-hash could be stored now (BEP 33: else no token). */
  canAccept(infoHash: Uint8Array): boolean {
    // Below every cap: no need to look the swarm up (once per get_peers served).
    if (this.#total < this.#maxPeers && this.#swarms.size < this.#maxInfoHashes) return true;
    const swarm = this.#swarms.get(idKey(infoHash));
    if (swarm) return swarm.peers.size < this.#maxPerInfoHash || this.#total < this.#maxPeers;
    return this.#swarms.size < this.#maxInfoHashes && this.#total < this.#maxPeers;
  }

  /** Stores or refreshes a peer; false when a cap refused it. */
  add(infoHash: Uint8Array, address: PeerAddress, seed: boolean, now: number): boolean {
    const key = idKey(infoHash);
    let swarm = this.#swarms.get(key);
    if (!swarm) {
      if (this.#swarms.size >= this.#maxInfoHashes) return false;
      swarm = { infoHash: Uint8Array.from(infoHash), peers: new Map() };
      this.#swarms.set(key, swarm);
    }
    const existing = swarm.peers.get(address.host);
    if (existing) {
      swarm.peers.delete(address.host);
    } else {
      if (this.#total >= this.#maxPeers) {
        if (swarm.peers.size === 0) this.#swarms.delete(key);
        return false;
      }
      if (swarm.peers.size >= this.#maxPerInfoHash) {
        // The oldest announce makes room (Map order is announce order).
        const oldest = swarm.peers.keys().next().value!;
        swarm.peers.delete(oldest);
        this.#total--;
      }
      this.#total++;
    }
    swarm.peers.set(address.host, {
      address,
      compact: encodeCompactPeer(address),
      seed,
      expires: now + this.#lifetime,
    });
    return true;
  }

  /**
   * Up to `limit` peers of the family, compact, chosen at random offsets so every peer gets
   * handed out; with `noSeed`, non-seeds first (BEP 33).
   */
  get(
    infoHash: Uint8Array,
    family: 4 | 6,
    limit: number,
    now: number,
    noSeed = false,
  ): Uint8Array[] {
    if (this.#swarms.size === 0) return [];
    const swarm = this.#swarms.get(idKey(infoHash));
    if (!swarm) return [];
    const out: Uint8Array[] = [];
    const seeds: Uint8Array[] = [];
    for (const [host, peer] of swarm.peers) {
      if (peer.expires <= now) {
        swarm.peers.delete(host);
        this.#total--;
        continue;
      }
      if (peer.address.family !== family) continue;
      if (noSeed && peer.seed) seeds.push(peer.compact);
      else out.push(peer.compact);
    }
    if (swarm.peers.size === 0) this.#swarms.delete(idKey(infoHash));
    for (const seed of seeds) out.push(seed);
    if (out.length <= limit) return out;
    // A rotating window: start somewhere new each time.
    const start = Math.floor(now) % out.length;
    const picked: Uint8Array[] = [];
    for (let i = 0; i < limit; i++) picked.push(out[(start + i) % out.length]!);
    return picked;
  }

  /** BEP 33: bloom filters of the stored seeds and peers, or undefined when none is stored. */
  scrape(infoHash: Uint8Array, now: number): { seeds: Uint8Array; peers: Uint8Array } | undefined {
    const swarm = this.#swarms.get(idKey(infoHash));
    if (!swarm) return undefined;
    const seeds = new Uint8Array(BLOOM_LENGTH);
    const peers = new Uint8Array(BLOOM_LENGTH);
    let any = false;
    for (const peer of swarm.peers.values()) {
      if (peer.expires <= now) continue;
      bloomInsert(peer.seed ? seeds : peers, ipBytes(peer.address));
      any = true;
    }
    return any ? { seeds, peers } : undefined;
  }

  /** BEP 51: up to `limit` stored info-hashes, a random sample when there are more. */
  sample(limit: number, random: Uint8Array): Uint8Array[] {
    const all = [...this.#swarms.values()].map((swarm) => swarm.infoHash);
    for (let i = all.length - 1; i > 0 && all.length > limit; i--) {
      const j = ((random[i % random.length]! << 8) | random[(i + 1) % random.length]!) % (i + 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, limit);
  }

  /** Drops expired entries. */
  expire(now: number): void {
    for (const [key, swarm] of this.#swarms) {
      for (const [host, peer] of swarm.peers) {
        if (peer.expires <= now) {
          swarm.peers.delete(host);
          this.#total--;
        }
      }
      if (swarm.peers.size === 0) this.#swarms.delete(key);
    }
  }
}
