/**
 * The addresses a torrent knows (from trackers, by hand, from incoming connections) and what
 * became of each: which to dial next, reconnect backoff, bans after hash failures, and
 * duplicate and self connections recognised by peer id. Pure: time comes in as numbers.
 */
import { formatPeerAddress, type PeerAddress } from '@bt/primitives';

/** Where an address came from: `magnet` is a link's `x.pe`, `dht` a DHT lookup, `lpd` local discovery. */
export type PeerSource =
  'tracker' | 'manual' | 'incoming' | 'pex' | 'webseed' | 'dht' | 'lpd' | 'magnet';

interface KnownPeer {
  address: PeerAddress;
  source: PeerSource;
  connected: boolean;
  connecting: boolean;
  failures: number;
  nextAttemptAt: number;
  banned: boolean;
  /** Hash failures of pieces this peer sent blocks for. */
  strikes: number;
}

export interface PeerRegistryOptions {
  /** First reconnect delay (ms), doubled per failure. Default 5000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Failures after which an address is forgotten (manual peers never are). Default 6. */
  maxFailures?: number;
  /** Hash failures shared with others before a ban. Default 2. */
  strikesToBan?: number;
  /** Most addresses kept. Default 2000. */
  maxKnown?: number;
}

export class PeerRegistry {
  private readonly peers = new Map<string, KnownPeer>();
  private readonly retryBase: number;
  private readonly retryMax: number;
  private readonly maxFailures: number;
  private readonly strikesToBan: number;
  private readonly maxKnown: number;

  constructor(options: PeerRegistryOptions = {}) {
    this.retryBase = options.retryBaseMs ?? 5000;
    this.retryMax = options.retryMaxMs ?? 300_000;
    this.maxFailures = options.maxFailures ?? 6;
    this.strikesToBan = options.strikesToBan ?? 2;
    this.maxKnown = options.maxKnown ?? 2000;
  }

  static key(address: PeerAddress): string {
    return formatPeerAddress(address);
  }

  get size(): number {
    return this.peers.size;
  }

  /** Learns an address; true when it is new. */
  add(address: PeerAddress, source: PeerSource, now = 0): boolean {
    const key = PeerRegistry.key(address);
    const known = this.peers.get(key);
    if (known) {
      if (source === 'manual') known.source = 'manual';
      return false;
    }
    if (this.peers.size >= this.maxKnown && source !== 'manual') return false;
    this.peers.set(key, {
      address,
      source,
      connected: false,
      connecting: false,
      failures: 0,
      nextAttemptAt: now,
      banned: false,
      strikes: 0,
    });
    return true;
  }

  /** Up to `count` addresses to dial now, marked as connecting. Manual peers first. */
  candidates(now: number, count: number): PeerAddress[] {
    const result: PeerAddress[] = [];
    if (count <= 0) return result;
    const ready = [...this.peers.values()].filter(
      // an incoming connection's address is its ephemeral port: nobody listens there
      (peer) =>
        peer.source !== 'incoming' &&
        !peer.banned &&
        !peer.connected &&
        !peer.connecting &&
        peer.nextAttemptAt <= now,
    );
    ready.sort(
      (a, b) =>
        Number(b.source === 'manual') - Number(a.source === 'manual') || a.failures - b.failures,
    );
    for (const peer of ready.slice(0, count)) {
      peer.connecting = true;
      result.push(peer.address);
    }
    return result;
  }

  /** A connection (either way) is up. False when the address is banned or already connected. */
  connected(address: PeerAddress, source: PeerSource = 'incoming'): boolean {
    this.add(address, source);
    const peer = this.peers.get(PeerRegistry.key(address))!;
    if (peer.banned || peer.connected) return false;
    peer.connected = true;
    peer.connecting = false;
    peer.failures = 0;
    return true;
  }

  /** A dial failed or a connection ended; `failure` when it ended badly (backoff grows). */
  disconnected(address: PeerAddress, now: number, failure: boolean): void {
    const key = PeerRegistry.key(address);
    const peer = this.peers.get(key);
    if (!peer) return;
    peer.connected = false;
    peer.connecting = false;
    if (failure) {
      peer.failures++;
      if (peer.failures >= this.maxFailures && peer.source !== 'manual' && !peer.banned) {
        this.peers.delete(key);
        return;
      }
    }
    const delay = Math.min(this.retryMax, this.retryBase * 2 ** Math.max(0, peer.failures - 1));
    peer.nextAttemptAt = now + delay;
  }

  /**
   * The peer sent blocks of a piece that failed its hash. A sole contributor is banned at once;
   * one of several gets a strike, banned after `strikesToBan`. True when now banned.
   */
  hashFailed(address: PeerAddress, soleContributor: boolean): boolean {
    this.add(address, 'incoming');
    const peer = this.peers.get(PeerRegistry.key(address))!;
    peer.strikes++;
    if (soleContributor || peer.strikes >= this.strikesToBan) peer.banned = true;
    return peer.banned;
  }

  /** The peer alone sent a piece that verified: earlier shared failures no longer count against it. */
  hashPassed(address: PeerAddress): void {
    const peer = this.peers.get(PeerRegistry.key(address));
    if (peer && !peer.banned) peer.strikes = 0;
  }

  ban(address: PeerAddress): void {
    this.add(address, 'incoming');
    this.peers.get(PeerRegistry.key(address))!.banned = true;
  }

  isBanned(address: PeerAddress): boolean {
    return this.peers.get(PeerRegistry.key(address))?.banned ?? false;
  }

  isConnected(address: PeerAddress): boolean {
    return this.peers.get(PeerRegistry.key(address))?.connected ?? false;
  }

  /** Addresses that can be dialled sometime (not banned, not connected). */
  get dialable(): number {
    let count = 0;
    for (const peer of this.peers.values()) {
      if (peer.source !== 'incoming' && !peer.banned && !peer.connected && !peer.connecting)
        count++;
    }
    return count;
  }

  /** Addresses worth dialling later (not banned, not incoming), connected ones first. */
  known(): { address: PeerAddress; source: PeerSource }[] {
    return [...this.peers.values()]
      .filter((peer) => !peer.banned && peer.source !== 'incoming')
      .sort((a, b) => Number(b.connected) - Number(a.connected))
      .map((peer) => ({ address: peer.address, source: peer.source }));
  }

  get bannedCount(): number {
    let count = 0;
    for (const peer of this.peers.values()) if (peer.banned) count++;
    return count;
  }
}

/** Peer ids of live connections: a second connection from the same id, or our own, is dropped. */
export class PeerIdSet {
  private readonly ids = new Set<string>();
  private readonly self: string;

  constructor(ownPeerId: Uint8Array) {
    this.self = hexOf(ownPeerId);
  }

  /** 'self', 'duplicate' or 'ok' (and then the id is held until `release`). */
  claim(peerId: Uint8Array): 'self' | 'duplicate' | 'ok' {
    const id = hexOf(peerId);
    if (id === this.self) return 'self';
    if (this.ids.has(id)) return 'duplicate';
    this.ids.add(id);
    return 'ok';
  }

  release(peerId: Uint8Array): void {
    this.ids.delete(hexOf(peerId));
  }
}

function hexOf(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}
