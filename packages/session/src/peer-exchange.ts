/**
 * Peer exchange (BEP 11, `ut_pex`) as a session extension. Every minute each peer that speaks it
 * is told which peers we are connected to now (`added`, with flags: seed, reachable when we
 * dialled it) and which we were connected to when we last told it and are no longer
 * (`dropped`): everything in the first message, then at most 50 of each. Only peers whose
 * listening address we know go out: those we dialled, and those that dialled us and gave their
 * port in their BEP 10 handshake. What peers tell us goes into the pool with source `pex`,
 * bounded per message, per sender and per host; a peer that sends a second message within a few
 * seconds, one over the size cap, or one that does not decode is dropped. A private torrent
 * (BEP 27) never offers or reads it. Each torrent's `[Peer Exchange]` row comes from here.
 */
import { formatPeerAddress, type PeerAddress } from '@bt/primitives';
import {
  decodePexMessage,
  encodePexMessage,
  PexFlags,
  type PexMessage,
  type PexPeer,
} from '@bt/wire';
import { SessionError } from './errors.js';
import { extensionError } from './extension-host.js';
import type {
  ExtensionPeer,
  ExtensionTorrent,
  TorrentExtension,
  TorrentExtensionHandler,
} from './extensions.js';
import type { SourceStatus } from './sources.js';

/** The BEP 10 name. */
export const PEX_EXTENSION = 'ut_pex';
const ROW = '[Peer Exchange]';

export interface PeerExchangeOptions {
  /** Between two messages to one peer (ms). Default 60 s (BEP 11: at most one a minute). */
  intervalMs?: number;
  /** Added, and dropped, peers per message after the first. Default 50 (BEP 11). */
  maxPerMessage?: number;
  /** Added peers in the first message. Default 200. */
  maxInitial?: number;
  /** A peer whose next message comes sooner than this (ms) is dropped. Default 5 s. */
  minReceiveGapMs?: number;
  /** A message over this many bytes drops its sender. Default 16 KiB. */
  maxMessageBytes?: number;
  /** Added peers taken from one message. Default 100. */
  maxTakenPerMessage?: number;
  /** Added peers taken from one peer over its connection. Default 500. */
  maxTakenPerPeer?: number;
  /** Ports of one IP address taken from one message (BEP 11 asks to ignore duplicate IPs). Default 4. */
  maxPerHost?: number;
  /** Addresses remembered for the source table. Default 2000. */
  maxRemembered?: number;
}

/** The `ut_pex` extension, for `SessionOptions.extensions`. */
export function peerExchange(options: PeerExchangeOptions = {}): TorrentExtension {
  return {
    name: PEX_EXTENSION,
    attach: (torrent) => new PeerExchange(torrent, options),
  };
}

interface PeerState {
  /** When we last sent this peer a message. */
  sentAt: number | undefined;
  /** What this peer was last told we are connected to: address key → entry. */
  readonly told: Map<string, PexPeer>;
  /** When this peer last sent us a message. */
  receivedAt: number | undefined;
  /** Added peers taken from it so far. */
  taken: number;
}

/** One torrent's peer exchange. */
export class PeerExchange implements TorrentExtensionHandler {
  private readonly torrent: ExtensionTorrent;
  private readonly intervalMs: number;
  private readonly maxPerMessage: number;
  private readonly maxInitial: number;
  private readonly minReceiveGapMs: number;
  private readonly maxMessageBytes: number;
  private readonly maxTakenPerMessage: number;
  private readonly maxTakenPerPeer: number;
  private readonly maxPerHost: number;
  private readonly maxRemembered: number;
  private readonly states = new Map<ExtensionPeer, PeerState>();
  /** Addresses peer exchange gave us: key → whether a sender flagged it a seed. */
  private readonly learned = new Map<string, boolean>();
  private lastRoundAt = Number.NEGATIVE_INFINITY;

  constructor(torrent: ExtensionTorrent, options: PeerExchangeOptions = {}) {
    this.torrent = torrent;
    this.intervalMs = options.intervalMs ?? 60_000;
    this.maxPerMessage = options.maxPerMessage ?? 50;
    this.maxInitial = options.maxInitial ?? 200;
    this.minReceiveGapMs = options.minReceiveGapMs ?? 5000;
    this.maxMessageBytes = options.maxMessageBytes ?? 16 * 1024;
    this.maxTakenPerMessage = options.maxTakenPerMessage ?? 100;
    this.maxTakenPerPeer = options.maxTakenPerPeer ?? 500;
    this.maxPerHost = options.maxPerHost ?? 4;
    this.maxRemembered = options.maxRemembered ?? 2000;
  }

  /** BEP 27: a private torrent leaves `ut_pex` out of its handshakes. */
  get offered(): boolean {
    return this.torrent.publicDiscovery;
  }

  tick(now: number): void {
    if (!this.offered || now - this.lastRoundAt < 1000) return;
    this.lastRoundAt = now;
    let connected: Map<string, PexPeer> | undefined;
    for (const peer of this.torrent.peers()) {
      if (!peer.supports(PEX_EXTENSION)) continue;
      const state = this.state(peer);
      if (state.sentAt !== undefined && now - state.sentAt < this.intervalMs) continue;
      connected ??= this.connected();
      const self = listenKey(peer);
      const limit = state.sentAt === undefined ? this.maxInitial : this.maxPerMessage;
      const added: PexPeer[] = [];
      const dropped: PeerAddress[] = [];
      for (const [key, entry] of connected) {
        if (added.length >= limit) break;
        if (key !== self && !state.told.has(key)) added.push(entry);
      }
      for (const [key, entry] of state.told) {
        if (dropped.length >= this.maxPerMessage) break;
        if (!connected.has(key)) dropped.push(entry);
      }
      if (added.length === 0 && dropped.length === 0) continue;
      if (!peer.send(PEX_EXTENSION, encodePexMessage({ added, dropped }))) continue;
      for (const entry of added) state.told.set(formatPeerAddress(entry), entry);
      for (const entry of dropped) state.told.delete(formatPeerAddress(entry));
      state.sentAt = now;
    }
  }

  /** The peers we are connected to whose listening address we know, with their BEP 11 flags. */
  private connected(): Map<string, PexPeer> {
    const result = new Map<string, PexPeer>();
    for (const peer of this.torrent.peers()) {
      const address = listenAddress(peer);
      if (!address) continue;
      let flags = peer.incoming ? 0 : PexFlags.reachable;
      const dictionary = peer.handshake?.dictionary;
      if (peer.seed || Number(dictionary?.get('upload_only') ?? 0) === 1) flags |= PexFlags.seed;
      if (Number(dictionary?.get('e') ?? 0) === 1) flags |= PexFlags.encryption;
      result.set(formatPeerAddress(address), { ...address, flags });
    }
    return result;
  }

  onMessage(peer: ExtensionPeer, payload: Uint8Array): void {
    // we never offered it to a peer of a private torrent: nothing to read
    if (!this.offered) return;
    const now = this.torrent.clock.now();
    const state = this.state(peer);
    if (payload.length > this.maxMessageBytes)
      return peer.drop(
        extensionError(
          PEX_EXTENSION,
          `a message of ${payload.length} bytes is over ${this.maxMessageBytes}`,
        ),
      );
    if (state.receivedAt !== undefined && now - state.receivedAt < this.minReceiveGapMs)
      return peer.drop(
        new SessionError(
          'peer-flood',
          `${PEX_EXTENSION}: messages ${Math.round(now - state.receivedAt)} ms apart (a flood)`,
        ),
      );
    state.receivedAt = now;
    let message: PexMessage;
    try {
      message = decodePexMessage(payload);
    } catch (error) {
      return peer.drop(extensionError(PEX_EXTENSION, 'a message that does not decode', error));
    }
    const taken: PeerAddress[] = [];
    const perHost = new Map<string, number>();
    const self = listenKey(peer);
    for (const entry of message.added) {
      if (taken.length >= this.maxTakenPerMessage || state.taken >= this.maxTakenPerPeer) break;
      if (!dialable(entry)) continue;
      const key = formatPeerAddress(entry);
      if (key === self) continue;
      const count = perHost.get(entry.host) ?? 0;
      if (count >= this.maxPerHost) continue;
      perHost.set(entry.host, count + 1);
      state.taken++;
      taken.push({ host: entry.host, port: entry.port, family: entry.family });
      const seed = (entry.flags & PexFlags.seed) !== 0;
      if (this.learned.has(key) || this.learned.size < this.maxRemembered)
        this.learned.set(key, (this.learned.get(key) ?? false) || seed);
    }
    if (taken.length > 0) this.torrent.addPeers(taken, 'pex');
  }

  onPeerClosed(peer: ExtensionPeer): void {
    this.states.delete(peer);
  }

  /**
   * `[Peer Exchange]`: the addresses peer exchange gave, split into seeds (flagged so by a
   * sender, or connected now as a seed) and the others.
   */
  sources(): SourceStatus[] {
    if (!this.offered) return [{ source: ROW, state: 'disabled', message: 'private torrent' }];
    const connectedSeeds = new Set<string>();
    for (const peer of this.torrent.peers()) {
      const address = listenAddress(peer);
      if (address && peer.seed) connectedSeeds.add(formatPeerAddress(address));
    }
    let seeds = 0;
    for (const [key, seed] of this.learned) if (seed || connectedSeeds.has(key)) seeds++;
    return [{ source: ROW, state: 'working', seeds, peers: this.learned.size - seeds }];
  }

  close(): void {
    this.states.clear();
  }

  private state(peer: ExtensionPeer): PeerState {
    let state = this.states.get(peer);
    if (!state) {
      state = { sentAt: undefined, told: new Map(), receivedAt: undefined, taken: 0 };
      this.states.set(peer, state);
    }
    return state;
  }
}

/** Where the peer accepts connections: the address we dialled, or its address with its `p`. */
function listenAddress(peer: ExtensionPeer): PeerAddress | undefined {
  const address = peer.address;
  if (!address) return undefined;
  if (!peer.incoming) return address;
  const port = peer.listenPort;
  return port !== undefined && port > 0 && port < 65536 ? { ...address, port } : undefined;
}

function listenKey(peer: ExtensionPeer): string | undefined {
  const address = listenAddress(peer);
  return address && formatPeerAddress(address);
}

/** Not worth a connection attempt: port 0, unspecified, broadcast or multicast addresses. */
function dialable(address: PeerAddress): boolean {
  if (address.port === 0) return false;
  if (address.family === 4) {
    const first = Number(address.host.slice(0, address.host.indexOf('.')));
    return (
      address.host !== '0.0.0.0' &&
      address.host !== '255.255.255.255' &&
      !(first >= 224 && first <= 239)
    );
  }
  return address.host !== '::' && !address.host.startsWith('ff');
}
