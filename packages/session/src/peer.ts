/**
 * What the engine knows of one connected peer, kept once: its pieces, the choke and interest
 * states both ways, the requests out to it and those it queued with us, its rates. A peer is
 * identified by a number given when it connects (a web seed will be a peer without an
 * address); its address, when it has one, is for the registry and for display.
 */
import { Bitfield, formatPeerAddress, type PeerAddress } from '@bt/primitives';
import type { BlockRequest } from '@bt/wire';
import type { Clock } from './clock.js';
import type { PeerWire } from './interfaces.js';
import type { PeerSource } from './peer-registry.js';
import { RateMeter } from './rate.js';

/**
 * Requests out to one peer: a second of its rate, at least 64 blocks (1 MiB) and at most 1024
 * (16 MiB, 40 ms at 400 MB/s), within the torrent's blocks in flight.
 */
export const MIN_PIPELINE = 64;
export const MAX_PIPELINE = 1024;

/**
 * Requests we withdrew (cancelled, or dropped on a choke or a snub) whose blocks may still be
 * on their way: remembered so a late block is wasted quietly rather than taken for a lie.
 */
const MAX_WITHDRAWN = 4096;

export class Peer {
  /** Unique within the torrent for its lifetime. */
  readonly id: number;
  readonly wire: PeerWire;
  /** `host:port`, or another name for a peer without an address: for events and stats only. */
  readonly label: string;
  readonly source: PeerSource;
  readonly has: Bitfield;
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  /** Requests out to this peer: block key → when asked. Only these blocks may enter a piece. */
  readonly outstanding = new Map<number, number>();
  /** Requests withdrawn from this peer (block keys), oldest first, bounded. */
  readonly withdrawn = new Set<number>();
  /** Pipeline depth, recomputed from the rate every tick (a fresh peer starts at the minimum). */
  depth = MIN_PIPELINE;
  readonly download: RateMeter;
  readonly upload: RateMeter;
  readonly allowedFast = new Set<number>();
  suggested: number[] = [];
  lastBlockAt: number;
  snubbedAt: number | undefined;
  /** The peer's `reqq`: most requests it queues. */
  maxRequests = 2048;
  /** Its requests we have yet to serve, in order. */
  readonly uploadQueue: BlockRequest[] = [];
  serving = false;
  /**
   * Requests we could not serve (choked, or not ours) since we last unchoked the peer: counted
   * against floods. Per choke, not per connection: a peer that keeps to our `reqq` has at most
   * that many requests out when we choke it, all of which may cross the choke on the wire, and
   * a seeder chokes each peer many times over (round-robin slots).
   */
  refusedRequests = 0;
  bitfieldSeen = false;
  /** Availability counts this peer as a seed (once) rather than per piece. */
  countedAsSeed = false;
  client: string | undefined;
  messagesThisTick = 0;

  constructor(options: {
    id: number;
    wire: PeerWire;
    pieceCount: number;
    clock: Clock;
    source: PeerSource;
  }) {
    this.id = options.id;
    this.wire = options.wire;
    this.label =
      options.wire.label ??
      (options.wire.address ? formatPeerAddress(options.wire.address) : `peer ${options.id}`);
    this.source = options.source;
    this.has = new Bitfield(options.pieceCount);
    this.download = new RateMeter(options.clock);
    this.upload = new RateMeter(options.clock);
    this.lastBlockAt = options.clock.now();
  }

  /** Where the peer listens or connected from; undefined for a peer without an address. */
  get address(): PeerAddress | undefined {
    return this.wire.address;
  }

  get isSeed(): boolean {
    return this.has.complete;
  }

  /** Remembers a request withdrawn from this peer, forgetting the oldest past the bound. */
  withdraw(key: number): void {
    this.withdrawn.add(key);
    if (this.withdrawn.size > MAX_WITHDRAWN) {
      const oldest = this.withdrawn.values().next().value as number;
      this.withdrawn.delete(oldest);
    }
  }
}
