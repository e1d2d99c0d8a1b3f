/**
 * One torrent as a state machine: `checking` (the data on disk is hashed) → `downloading` →
 * `seeding`, with `paused`, `stopped` and `error` besides. It announces by BEP 12 tiers, keeps
 * its peers (dial, accept, ban, snub, replace), asks them for blocks by the picker's choice
 * with a pipeline sized from each peer's rate, serves uploads to the peers the choker unchokes
 * within the rate limits, and reports typed events and a stats snapshot.
 */
import type { AnnounceEvent, PeerAddress } from '@bt/primitives';
import { Bitfield, formatPeerAddress, parsePeerAddress, toHex } from '@bt/primitives';
import { Choker } from './choker.js';
import type { Clock } from './clock.js';
import { SessionError } from './errors.js';
import { EventHub } from './events.js';
import type { TorrentEvent, TorrentEventMap } from './events.js';
import type {
  Message,
  PeerTransport,
  PeerWire,
  TorrentDescription,
  TorrentStorage,
  TrackerClientResolver,
} from './interfaces.js';
import { PeerIdSet, PeerRegistry } from './peer-registry.js';
import type { PeerSource } from './peer-registry.js';
import { PiecePicker } from './piece-picker.js';
import { RateMeter, TokenBucket, pipelineDepth, takeAll } from './rate.js';
import { TrackerTiers } from './tracker-tiers.js';
import type { TrackerStatus } from './tracker-tiers.js';

export type TorrentState = 'checking' | 'downloading' | 'seeding' | 'paused' | 'stopped' | 'error';

export interface TorrentOptions {
  torrent: TorrentDescription;
  storage: TorrentStorage;
  peerId: Uint8Array;
  /** Our listening port, for announces. */
  port: () => number;
  transport: PeerTransport;
  trackers: TrackerClientResolver;
  clock: Clock;
  /** Peers given by hand (`--peer`). */
  peers?: PeerAddress[];
  maxPeers?: number;
  /** Global connection budget shared with other torrents: true when one more may be opened. */
  canConnect?: () => boolean;
  /** Global duplicate/self detection. */
  peerIds?: PeerIdSet;
  sequential?: boolean;
  /** Bytes per second; 0 = unlimited. */
  downloadLimit?: number;
  uploadLimit?: number;
  /** Session-wide buckets charged as well. */
  globalDownload?: TokenBucket;
  globalUpload?: TokenBucket;
  /** Keep seeding after completion. Default true. */
  seed?: boolean;
  /** No outgoing block for this long (ms) with requests out: the peer is snubbed. Default 30 s. */
  snubTimeoutMs?: number;
  /** Unchoke slots. Default 4. */
  uploadSlots?: number;
  /** Most requests a peer may queue with us before it counts as a flood. Default 2000. */
  maxPeerRequests?: number;
  /** Skip the recheck (a brand-new download into an empty folder). */
  skipCheck?: boolean;
}

/** Per-connection bookkeeping. */
class Peer {
  readonly key: string;
  readonly has: Bitfield;
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  /** Requests out: block key → when asked. */
  readonly outstanding = new Map<number, number>();
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
  readonly uploadQueue: { index: number; begin: number; length: number }[] = [];
  serving = false;
  /** Requests we could not serve (choked, or not ours): counted against floods. */
  refusedRequests = 0;
  bitfieldSeen = false;
  /** Availability counts this peer as a seed (once) rather than per piece. */
  countedAsSeed = false;
  client: string | undefined;
  messagesThisTick = 0;
  /** Blocks this peer gave us, by piece, for the hash-failure ledger. */
  readonly source: PeerSource;

  constructor(
    readonly wire: PeerWire,
    pieceCount: number,
    clock: Clock,
    source: PeerSource,
  ) {
    this.key = formatPeerAddress(wire.address);
    this.has = new Bitfield(pieceCount);
    this.download = new RateMeter(clock);
    this.upload = new RateMeter(clock);
    this.lastBlockAt = clock.now();
    this.source = source;
  }

  get isSeed(): boolean {
    return this.has.complete;
  }
}

/** A row of the source table: a tracker, or peers given by hand, or incoming connections. */
export interface SourceStatus {
  source: string;
  /** `working`, `updating`, `idle`, `disabled`, or `error`. */
  state: TrackerStatus['state'];
  message?: string;
  /** Seconds until the next announce. */
  nextUpdateIn?: number;
  seeds?: number;
  peers?: number;
}

export interface PeerStats {
  address: string;
  /** The peer id (hex). */
  peerId: string;
  client?: string;
  incoming: boolean;
  seed: boolean;
  progress: number;
  downloadRate: number;
  uploadRate: number;
  downloaded: number;
  uploaded: number;
  outstanding: number;
  choked: boolean;
  choking: boolean;
  interested: boolean;
  interesting: boolean;
  snubbed: boolean;
}

export interface TorrentStats {
  infoHash: string;
  name: string;
  state: TorrentState;
  /** Verified fraction, 0..1. */
  progress: number;
  totalBytes: number;
  verifiedBytes: number;
  /** Payload bytes received (including blocks later discarded). */
  downloaded: number;
  uploaded: number;
  downloadRate: number;
  uploadRate: number;
  /** Seconds to completion at the current rate (Infinity when stalled, 0 when done). */
  eta: number;
  ratio: number;
  piecesHave: number;
  pieceCount: number;
  peers: number;
  seeds: number;
  /** Distributed copies among connected peers. */
  availability: number;
  hashFailures: number;
  banned: number;
  wastedBytes: number;
  checking?: { checkedPieces: number; totalPieces: number };
  error?: string;
  sources: SourceStatus[];
}

const TICK_MS = 250;
const CONNECT_TIMEOUT_MS = 10_000;
const TRACKER_TIMEOUT_MS = 15_000;
const MAX_MESSAGES_PER_TICK = 20_000;
const UPLOAD_HIGH_WATER = 4 * 1024 * 1024;
const READS_PER_PEER = 4;
/**
 * Requests out to one peer: a second of its rate, at least 64 blocks (1 MiB) and at most 1024
 * (16 MiB, 40 ms at 400 MB/s), within the torrent's blocks in flight.
 */
const MIN_PIPELINE = 64;
const MAX_PIPELINE = 1024;
/**
 * Blocks asked for and not yet stored, per torrent over all peers (16 MiB): memory stays bounded,
 * and when the disk falls behind (blocks wait in the storage) fewer are asked for, so the
 * peers slow down instead of the process growing.
 */
const MAX_BLOCKS_IN_FLIGHT = 1024;

export class Torrent {
  readonly infoHash: Uint8Array;
  readonly infoHashHex: string;
  readonly description: TorrentDescription;
  private readonly options: TorrentOptions;
  private readonly clock: Clock;
  private readonly storage: TorrentStorage;
  readonly picker: PiecePicker;
  private readonly tiers: TrackerTiers;
  private readonly registry = new PeerRegistry({ strikesToBan: 8 });
  private readonly peerIds: PeerIdSet;
  private readonly choker: Choker;
  private readonly peers = new Set<Peer>();
  private readonly contributors = new Map<number, Set<string>>();
  private readonly downloadBucket: TokenBucket;
  private readonly uploadBucket: TokenBucket;
  private readonly downloadMeter: RateMeter;
  private readonly uploadMeter: RateMeter;
  private readonly events = new EventHub<TorrentEventMap>();
  private stateValue: TorrentState = 'stopped';
  private timer: ReturnType<typeof setInterval> | undefined;
  private lifetime = new AbortController();
  private dialing = 0;
  private checkProgress: { checkedPieces: number; totalPieces: number } | undefined;
  private errorValue: string | undefined;
  private hashFailures = 0;
  private wasted = 0;
  private pendingWrites = 0;
  private waitingForStorage = false;
  private announcing = new Set<Promise<void>>();
  private completedAnnounced = false;
  private started = false;
  private lastConnectAt = Number.NEGATIVE_INFINITY;

  constructor(options: TorrentOptions) {
    this.options = options;
    this.description = options.torrent;
    this.infoHash = options.torrent.infoHash;
    this.infoHashHex = options.torrent.infoHashHex;
    this.clock = options.clock;
    this.storage = options.storage;
    this.peerIds = options.peerIds ?? new PeerIdSet(options.peerId);
    this.picker = new PiecePicker({
      pieceCount: options.torrent.pieceCount,
      pieceLength: options.torrent.pieceLength,
      totalLength: options.torrent.length,
      sequential: options.sequential ?? false,
    });
    this.tiers = new TrackerTiers(options.torrent.announce);
    for (const tier of options.torrent.announce) {
      for (const url of tier)
        if (!options.trackers(url)) this.tiers.disable(url, 'unsupported tracker scheme');
    }
    this.choker = new Choker({ slots: options.uploadSlots ?? 4 });
    this.downloadBucket = new TokenBucket(this.clock, options.downloadLimit ?? 0);
    this.uploadBucket = new TokenBucket(this.clock, options.uploadLimit ?? 0);
    this.downloadMeter = new RateMeter(this.clock);
    this.uploadMeter = new RateMeter(this.clock);
    for (const address of options.peers ?? []) this.registry.add(address, 'manual');
  }

  get state(): TorrentState {
    return this.stateValue;
  }

  get name(): string {
    return this.description.name;
  }

  /** Subscribes to this torrent's events; returns the unsubscribe function. */
  on<K extends keyof TorrentEventMap>(
    type: K,
    listener: (event: TorrentEventMap[K]) => void,
  ): () => void {
    return this.events.on(type, listener);
  }

  /** Every event, for front-ends that log them all. */
  onAny(listener: (event: TorrentEvent) => void): () => void {
    return this.events.onAny(listener);
  }

  // Lifecycle -------------------------------------------------------------------------------

  /** Checks the data on disk (unless told not to), then downloads what is missing, or seeds. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.lifetime = new AbortController();
    this.setState('checking');
    if (!this.options.skipCheck) {
      try {
        const verified = await this.storage.recheck({
          signal: this.lifetime.signal,
          onProgress: (progress) => {
            this.checkProgress = {
              checkedPieces: progress.checkedPieces,
              totalPieces: progress.totalPieces,
            };
            this.events.emit('check-progress', { ...this.checkProgress });
          },
        });
        this.picker.setHave(verified);
      } catch (error) {
        if (this.lifetime.signal.aborted) return;
        this.fail(error);
        return;
      }
      this.checkProgress = undefined;
    }
    if (this.lifetime.signal.aborted) return;
    this.events.emit('check-finished', {
      piecesHave: this.picker.have.count,
      pieceCount: this.picker.pieceCount,
    });
    if (this.picker.complete) {
      this.completedAnnounced = true;
      this.setState('seeding');
      this.tiers.markCompleted(this.clock.now());
      this.events.emit('torrent-completed', { totalBytes: this.picker.totalLength });
    } else {
      this.setState('downloading');
    }
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
    this.tick();
  }

  /** Stops traffic but keeps the torrent (peers dropped, trackers told `stopped`). */
  async pause(): Promise<void> {
    if (this.stateValue === 'paused' || !this.started) return;
    await this.halt('paused');
  }

  /** Resumes a paused torrent, without a recheck. */
  async resume(): Promise<void> {
    if (this.stateValue !== 'paused') return;
    this.lifetime = new AbortController();
    this.setState(this.picker.complete ? 'seeding' : 'downloading');
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
    this.tick();
  }

  /** Graceful stop: peers dropped, `stopped` announced (bounded), data flushed, storage closed. */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped' && !this.started) return;
    await this.halt('stopped');
    await this.storage.flush().catch(() => undefined);
    await this.storage.close().catch(() => undefined);
    this.started = false;
  }

  private async halt(state: TorrentState): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lifetime.abort();
    for (const peer of [...this.peers]) peer.wire.close();
    await Promise.allSettled([...this.announcing]);
    const stops = this.tiers
      .stopTargets()
      .map((target) => this.announce(target.url, 'stopped', 5000));
    await Promise.allSettled(stops);
    this.setState(state);
  }

  private fail(error: unknown): void {
    this.errorValue = error instanceof Error ? error.message : String(error);
    this.setState('error');
    this.events.emit('torrent-error', {
      error: error instanceof Error ? error : new Error(String(error)),
    });
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lifetime.abort();
    for (const peer of [...this.peers]) peer.wire.close();
  }

  private setState(state: TorrentState): void {
    if (this.stateValue === state) return;
    const previous = this.stateValue;
    this.stateValue = state;
    this.events.emit('state-changed', { state, previous });
  }

  private get active(): boolean {
    return this.stateValue === 'downloading' || this.stateValue === 'seeding';
  }

  /** Adds peers (from a front-end or another discovery source). */
  addPeers(addresses: readonly PeerAddress[], source: PeerSource = 'manual'): void {
    for (const address of addresses) this.registry.add(address, source, this.clock.now());
  }

  /** Resolves when every piece is verified (or rejects when the torrent fails or stops first). */
  whenComplete(signal?: AbortSignal): Promise<void> {
    if (this.picker.complete && this.started && this.stateValue !== 'checking')
      return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup: (() => void)[] = [];
      const done = (error?: Error): void => {
        for (const off of cleanup) off();
        if (error) reject(error);
        else resolve();
      };
      cleanup.push(this.events.on('torrent-completed', () => done()));
      cleanup.push(this.events.on('torrent-error', ({ error }) => done(error)));
      cleanup.push(
        this.events.on('state-changed', ({ state }) => {
          if (state === 'stopped')
            done(new SessionError('session-closed', 'the torrent stopped before completing'));
        }),
      );
      if (signal) {
        const onAbort = (): void =>
          done(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        if (signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        cleanup.push(() => signal.removeEventListener('abort', onAbort));
      }
    });
  }

  // The tick --------------------------------------------------------------------------------

  private tick(): void {
    if (!this.active) return;
    const now = this.clock.now();
    this.announceDue(now);
    this.connectMore(now);
    this.checkPeers(now);
    if (this.choker.due(now)) this.rechoke(now);
    for (const peer of this.peers) {
      peer.messagesThisTick = 0;
      peer.depth = Math.min(
        peer.maxRequests,
        pipelineDepth(peer.download.rate, { min: MIN_PIPELINE, max: MAX_PIPELINE }),
      );
      this.fill(peer);
      this.serve(peer);
    }
  }

  private announceDue(now: number): void {
    for (const due of this.tiers.due(now)) {
      const promise = this.announce(due.url, due.event, TRACKER_TIMEOUT_MS).finally(() =>
        this.announcing.delete(promise),
      );
      this.announcing.add(promise);
    }
  }

  private async announce(url: string, event: AnnounceEvent, timeoutMs: number): Promise<void> {
    const client = this.options.trackers(url);
    if (!client) return;
    const now = this.clock.now();
    this.tiers.announcing(url, now);
    const signal =
      event === 'stopped'
        ? AbortSignal.timeout(timeoutMs)
        : AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      const result = await client.announce(
        url,
        {
          infoHash: this.infoHash,
          peerId: this.options.peerId,
          port: this.options.port(),
          uploaded: this.uploadMeter.total,
          downloaded: this.downloadMeter.total,
          left: this.picker.leftBytes,
          event,
          numwant: event === 'stopped' ? 0 : 80,
        },
        { signal },
      );
      this.tiers.succeeded(url, event, result, this.clock.now());
      if (event !== 'stopped') {
        for (const peer of result.peers) this.registry.add(peer, 'tracker', this.clock.now());
      }
      this.events.emit('tracker-announced', {
        url,
        event,
        peers: result.peers.length,
        seeds: result.complete,
        leechers: result.incomplete,
      });
      if (result.peers.length > 0 && this.active) this.connectMore(this.clock.now());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.tiers.failed(url, message, this.clock.now());
      this.events.emit('tracker-failed', { url, event, error: message });
    }
  }

  private get maxPeers(): number {
    return this.options.maxPeers ?? 50;
  }

  private connectMore(now: number): void {
    if (this.stateValue === 'seeding' && this.peers.size > 0 && now - this.lastConnectAt < 5000)
      return;
    const room = this.maxPeers - this.peers.size - this.dialing;
    if (room <= 0) return;
    this.lastConnectAt = now;
    for (const address of this.registry.candidates(now, Math.min(room, 10))) {
      if (this.options.canConnect && !this.options.canConnect()) {
        this.registry.disconnected(address, now, false);
        break;
      }
      void this.dial(address);
    }
  }

  private async dial(address: PeerAddress): Promise<void> {
    this.dialing++;
    try {
      const wire = await this.options.transport.dial(address, {
        infoHash: this.infoHash,
        peerId: this.options.peerId,
        pieceCount: this.picker.pieceCount,
        signal: AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(CONNECT_TIMEOUT_MS)]),
      });
      this.dialing--;
      if (!this.active) {
        wire.close();
        this.registry.disconnected(address, this.clock.now(), false);
        return;
      }
      this.attach(wire, 'tracker', address);
    } catch (error) {
      this.dialing--;
      this.registry.disconnected(address, this.clock.now(), true);
      this.events.emit('peer-failed', {
        address: formatPeerAddress(address),
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Takes an incoming connection the session routed here. */
  acceptWire(wire: PeerWire): boolean {
    if (
      !this.active ||
      this.peers.size >= this.maxPeers + 5 ||
      this.registry.isBanned(wire.address)
    ) {
      wire.close();
      return false;
    }
    return this.attach(wire, 'incoming', wire.address);
  }

  private attach(wire: PeerWire, source: PeerSource, address: PeerAddress): boolean {
    const claim = this.peerIds.claim(wire.peerId);
    if (claim !== 'ok') {
      wire.close();
      this.registry.disconnected(address, this.clock.now(), false);
      if (claim === 'self') this.registry.ban(address);
      this.events.emit('peer-dropped', { address: formatPeerAddress(address), reason: claim });
      return false;
    }
    if (
      !this.registry.connected(address, source === 'incoming' ? 'incoming' : 'tracker') &&
      source === 'incoming'
    ) {
      // banned, or already connected the other way
      this.peerIds.release(wire.peerId);
      wire.close();
      return false;
    }
    const peer = new Peer(wire, this.picker.pieceCount, this.clock, source);
    this.peers.add(peer);
    wire.start({
      onMessage: (message) => this.onMessage(peer, message),
      onClose: (error) => this.onClose(peer, address, error),
      onDrain: () => this.serve(peer),
    });
    // BEP 3 / BEP 6: say what we have first
    if (wire.capabilities.fast && this.picker.have.complete) wire.send({ type: 'have-all' });
    else if (wire.capabilities.fast && this.picker.have.empty) wire.send({ type: 'have-none' });
    else if (!this.picker.have.empty)
      wire.send({ type: 'bitfield', bitfield: this.picker.have.toBytes() });
    if (wire.capabilities.extended) {
      wire.send({
        type: 'extended-handshake',
        handshake: {
          extensions: {},
          port: this.options.port(),
          client: 'bt 0.1',
          requestQueueLength: this.options.maxPeerRequests ?? 2000,
          yourIp: undefined,
          ipv4: undefined,
          ipv6: undefined,
          metadataSize: undefined,
          dictionary: new Map(),
        },
      });
    }
    this.events.emit('peer-connected', { address: peer.key, incoming: wire.incoming });
    // a free upload slot goes at once rather than at the next rechoke
    return true;
  }

  private onClose(peer: Peer, address: PeerAddress, error?: Error): void {
    if (!this.peers.delete(peer)) return;
    this.peerIds.release(peer.wire.peerId);
    this.dropRequests(peer);
    this.picker.peerGone(peer.has, peer.countedAsSeed);
    this.registry.disconnected(
      address,
      this.clock.now(),
      error !== undefined && peer.download.total === 0,
    );
    this.events.emit('peer-disconnected', { address: peer.key, reason: error?.message });
    if (this.choker.current.has(peer.key)) this.rechoke(this.clock.now());
    // others may pick up what this peer left
    for (const other of this.peers) this.fill(other);
  }

  private drop(peer: Peer, reason: string): void {
    peer.wire.close(new SessionError('peer-protocol', reason));
  }

  // Messages --------------------------------------------------------------------------------

  private onMessage(peer: Peer, message: Message): void {
    if (++peer.messagesThisTick > MAX_MESSAGES_PER_TICK) {
      this.drop(peer, 'message flood');
      return;
    }
    switch (message.type) {
      case 'piece':
        this.onBlock(peer, message.index, message.begin, message.block);
        return;
      case 'choke':
        peer.peerChoking = true;
        // requests still out on a fast-extension peer are rejected one by one (BEP 6)
        if (!peer.wire.capabilities.fast) this.dropRequests(peer);
        return;
      case 'unchoke':
        peer.peerChoking = false;
        this.fill(peer);
        return;
      case 'interested':
        peer.peerInterested = true;
        if (this.choker.current.size < (this.options.uploadSlots ?? 4) + 1 && peer.amChoking)
          this.rechoke(this.clock.now());
        return;
      case 'not-interested':
        peer.peerInterested = false;
        return;
      case 'have':
        if (message.index >= this.picker.pieceCount) return this.drop(peer, 'have out of range');
        if (!peer.countedAsSeed && peer.has.set(message.index)) {
          this.picker.peerHas(message.index);
          if (peer.isSeed && this.picker.complete) return this.drop(peer, 'both seeding');
          this.updateInterest(peer);
        }
        return;
      case 'bitfield':
      case 'have-all':
      case 'have-none': {
        // BEP 3/6 want one of these first; some clients send a second, which only adds pieces
        const first = !peer.bitfieldSeen;
        peer.bitfieldSeen = true;
        let field: Bitfield | undefined;
        if (message.type === 'bitfield') {
          if (message.bitfield.length !== Math.ceil(this.picker.pieceCount / 8))
            return this.drop(peer, 'bitfield of the wrong size');
          field = new Bitfield(this.picker.pieceCount, message.bitfield);
        } else if (message.type === 'have-all') {
          field = Bitfield.full(this.picker.pieceCount);
        }
        if (first && field?.complete && peer.has.empty) {
          for (let piece = 0; piece < this.picker.pieceCount; piece++) peer.has.set(piece);
          peer.countedAsSeed = true;
          this.picker.peerBitfield(peer.has);
        } else if (field && !peer.countedAsSeed) {
          // haves that came first were counted already
          for (const piece of field.indices()) if (peer.has.set(piece)) this.picker.peerHas(piece);
        }
        if (peer.isSeed && this.picker.complete) return this.drop(peer, 'both seeding');
        this.updateInterest(peer);
        return;
      }
      case 'request':
        this.onRequest(peer, message.index, message.begin, message.length);
        return;
      case 'cancel': {
        const at = peer.uploadQueue.findIndex(
          (item) =>
            item.index === message.index &&
            item.begin === message.begin &&
            item.length === message.length,
        );
        if (at >= 0) peer.uploadQueue.splice(at, 1);
        return;
      }
      case 'reject': {
        if (peer.outstanding.delete(blockKey(message.index, message.begin))) {
          this.picker.requestDropped(message.index, message.begin);
        }
        return;
      }
      case 'allowed-fast':
        if (peer.allowedFast.size < 64 && message.index < this.picker.pieceCount)
          peer.allowedFast.add(message.index);
        this.fill(peer);
        return;
      case 'suggest':
        if (message.index < this.picker.pieceCount && peer.suggested.length < 64)
          peer.suggested.push(message.index);
        return;
      case 'extended-handshake':
        peer.client = message.handshake.client;
        if (
          message.handshake.requestQueueLength !== undefined &&
          message.handshake.requestQueueLength > 0
        ) {
          peer.maxRequests = Math.min(4096, message.handshake.requestQueueLength);
          peer.depth = Math.min(peer.depth, peer.maxRequests);
        }
        return;
      case 'keep-alive':
      case 'port':
      case 'extended':
      case 'unknown':
        return;
    }
  }

  private updateInterest(peer: Peer): void {
    const interesting = this.picker.isInteresting(peer.has);
    if (interesting && !peer.amInterested) {
      peer.amInterested = true;
      peer.wire.send({ type: 'interested' });
    } else if (!interesting && peer.amInterested) {
      peer.amInterested = false;
      peer.wire.send({ type: 'not-interested' });
    }
    if (interesting) this.fill(peer);
  }

  private dropRequests(peer: Peer): void {
    for (const key of peer.outstanding.keys())
      this.picker.requestDropped(keyPiece(key), keyOffset(key));
    peer.outstanding.clear();
  }

  /** Keeps the peer's pipeline full: requests sized from its rate, batched into one write. */
  private fill(peer: Peer): void {
    if (this.stateValue !== 'downloading' || !peer.amInterested) return;
    if (peer.peerChoking && peer.allowedFast.size === 0) return;
    const depth = peer.snubbedAt !== undefined ? 1 : peer.depth;
    let room = depth - peer.outstanding.size;
    // refill in batches, not per block, so the picker runs rarely on a fast peer
    if (room <= 0 || (room < Math.max(1, depth >> 3) && peer.outstanding.size > 0)) return;
    // and keep the torrent's blocks in flight bounded however many peers there are
    let inFlight = this.pendingWrites;
    for (const other of this.peers) inFlight += other.outstanding.size;
    room = Math.min(room, MAX_BLOCKS_IN_FLIGHT - inFlight);
    if (room <= 0) {
      this.waitingForStorage = this.pendingWrites > 0;
      return;
    }
    const buckets = [
      this.downloadBucket,
      ...(this.options.globalDownload ? [this.options.globalDownload] : []),
    ];
    let allowance = room;
    if (
      !this.downloadBucket.unlimited ||
      (this.options.globalDownload && !this.options.globalDownload.unlimited)
    ) {
      allowance = 0;
      while (allowance < room && takeAll(buckets, this.picker.blockSize)) allowance++;
      if (allowance === 0) return;
    }
    const requests = this.picker.pick(
      {
        has: peer.has,
        choked: peer.peerChoking,
        allowedFast: peer.allowedFast,
        suggested: peer.suggested,
        isRequested: (piece, offset) => peer.outstanding.has(blockKey(piece, offset)),
        id: peer.key,
      },
      allowance,
    );
    if (requests.length === 0) {
      if (this.picker.complete || !this.picker.isInteresting(peer.has)) this.updateInterest(peer);
      return;
    }
    const now = this.clock.now();
    for (const request of requests)
      peer.outstanding.set(blockKey(request.index, request.begin), now);
    peer.wire.sendRequests(requests);
  }

  private onBlock(peer: Peer, index: number, begin: number, block: Uint8Array): void {
    const key = blockKey(index, begin);
    const request = peer.outstanding.delete(key);
    if (
      !request &&
      !this.picker.endgame &&
      peer.outstanding.size === 0 &&
      block.length > this.picker.blockSize
    ) {
      return this.drop(peer, 'unrequested block');
    }
    const now = this.clock.now();
    peer.download.add(block.length);
    this.downloadMeter.add(block.length);
    peer.lastBlockAt = now;
    if (peer.snubbedAt !== undefined) peer.snubbedAt = undefined;
    const expected =
      index < this.picker.pieceCount
        ? this.picker.blockLength(index, begin / this.picker.blockSize)
        : -1;
    if (block.length !== expected) {
      this.wasted += block.length;
      if (!request) return;
      this.picker.requestDropped(index, begin);
      return this.drop(peer, 'block of the wrong length');
    }
    const result = this.picker.blockReceived(index, begin, peer.key);
    if (!result.accepted) {
      this.wasted += block.length;
      this.fill(peer);
      return;
    }
    // endgame: the others asked for this block are told not to bother
    if (this.picker.endgame) {
      for (const other of this.peers) {
        if (other === peer) continue;
        if (other.outstanding.delete(key)) {
          other.wire.send({ type: 'cancel', index, begin, length: block.length });
        }
      }
    }
    let contributors = this.contributors.get(index);
    if (!contributors) this.contributors.set(index, (contributors = new Set()));
    contributors.add(peer.key);
    this.pendingWrites++;
    this.storage.writeBlock(index, begin, block, { peer: peer.key }).then(
      (verdict) => {
        this.pendingWrites--;
        this.storageCaughtUp();
        if (verdict) this.onVerdict(verdict.index, verdict.ok, verdict.peers);
        else if (result.pieceComplete) this.onPieceLost(index);
      },
      (error: unknown) => {
        this.pendingWrites--;
        if (this.lifetime.signal.aborted) return;
        this.fail(
          new SessionError('storage-failed', `writing piece ${index} failed: ${String(error)}`, {
            cause: error,
          }),
        );
      },
    );
    this.fill(peer);
  }

  /** Blocks waiting in the storage held the pipelines back: refill them once half are stored. */
  private storageCaughtUp(): void {
    if (!this.waitingForStorage || this.pendingWrites > MAX_BLOCKS_IN_FLIGHT / 2) return;
    this.waitingForStorage = false;
    for (const peer of this.peers) this.fill(peer);
  }

  private onVerdict(piece: number, ok: boolean, suppliers: string[]): void {
    const contributors = this.contributors.get(piece);
    this.contributors.delete(piece);
    // a verdict that lands while paused still counts: the picker must not wait for it forever
    if (this.stateValue === 'stopped' || this.stateValue === 'error') return;
    if (ok) {
      if (this.picker.have.has(piece)) return;
      this.picker.pieceVerified(piece);
      this.events.emit('piece-verified', {
        piece,
        piecesHave: this.picker.have.count,
        pieceCount: this.picker.pieceCount,
      });
      for (const peer of this.peers) {
        if (!peer.has.has(piece) || !peer.wire.capabilities.fast)
          peer.wire.send({ type: 'have', index: piece });
      }
      if (this.picker.complete) this.onComplete();
      return;
    }
    this.hashFailures++;
    this.wasted += this.picker.pieceSize(piece);
    this.picker.pieceFailed(piece);
    // requests still out for the piece would mix old senders into the refetch
    for (const peer of this.peers) {
      for (const key of peer.outstanding.keys()) {
        if (keyPiece(key) !== piece) continue;
        peer.outstanding.delete(key);
        const offset = keyOffset(key);
        peer.wire.send({
          type: 'cancel',
          index: piece,
          begin: offset,
          length: this.picker.blockLength(piece, offset / this.picker.blockSize),
        });
      }
    }
    const guilty = new Set([...suppliers, ...(contributors ?? [])]);
    this.events.emit('piece-failed', { piece, peers: [...guilty] });
    for (const key of guilty) {
      const peer = [...this.peers].find((candidate) => candidate.key === key);
      let address: PeerAddress | undefined = peer?.wire.address;
      if (!address) {
        try {
          address = parsePeerAddress(key);
        } catch {
          continue;
        }
      }
      if (this.registry.hashFailed(address, guilty.size === 1)) {
        this.events.emit('peer-banned', {
          address: key,
          reason: `sent data for piece ${piece} that failed its hash`,
        });
        if (peer) this.drop(peer, 'banned: corrupt data');
      }
    }
    for (const peer of this.peers) this.fill(peer);
  }

  /**
   * Every block was handed over but the storage did not complete the piece (it dropped a block,
   * e.g. under memory pressure): fetch it again. Nobody lied, so nobody is blamed.
   */
  private onPieceLost(piece: number): void {
    this.contributors.delete(piece);
    if (this.stateValue === 'stopped' || this.stateValue === 'error' || this.picker.have.has(piece))
      return;
    this.picker.pieceFailed(piece);
    for (const peer of this.peers) this.fill(peer);
  }

  private onComplete(): void {
    if (this.completedAnnounced) return;
    this.completedAnnounced = true;
    this.tiers.markCompleted(this.clock.now());
    void this.storage.flush().then(
      () => {
        if (this.stateValue !== 'downloading') {
          // paused: it seeds once resumed
          this.events.emit('torrent-completed', { totalBytes: this.picker.totalLength });
          return;
        }
        this.setState('seeding');
        this.events.emit('torrent-completed', { totalBytes: this.picker.totalLength });
        for (const peer of [...this.peers]) {
          if (peer.isSeed) this.drop(peer, 'both seeding');
          else this.updateInterest(peer);
        }
        if (this.options.seed === false) void this.halt('stopped');
      },
      (error: unknown) => this.fail(error),
    );
  }

  // Uploading -------------------------------------------------------------------------------

  private onRequest(peer: Peer, index: number, begin: number, length: number): void {
    const valid =
      index < this.picker.pieceCount &&
      length > 0 &&
      length <= 131_072 &&
      begin + length <= this.picker.pieceSize(index) &&
      this.picker.have.has(index);
    if (peer.amChoking || !valid) {
      // a few requests cross our choke on the wire; thousands are a flood
      if (++peer.refusedRequests > (this.options.maxPeerRequests ?? 2000))
        return this.drop(peer, 'request flood');
      if (peer.wire.capabilities.fast) peer.wire.send({ type: 'reject', index, begin, length });
      else if (!valid) this.drop(peer, 'request for a piece we do not have');
      return;
    }
    if (peer.uploadQueue.length >= (this.options.maxPeerRequests ?? 2000)) {
      this.drop(peer, 'request flood');
      return;
    }
    peer.uploadQueue.push({ index, begin, length });
    this.serve(peer);
  }

  private serve(peer: Peer): void {
    if (peer.serving || peer.uploadQueue.length === 0 || peer.amChoking) return;
    peer.serving = true;
    void this.serveLoop(peer).finally(() => {
      peer.serving = false;
    });
  }

  private async serveLoop(peer: Peer): Promise<void> {
    const buckets = [
      this.uploadBucket,
      ...(this.options.globalUpload ? [this.options.globalUpload] : []),
    ];
    while (peer.uploadQueue.length > 0 && !peer.amChoking && this.peers.has(peer)) {
      if (peer.wire.bufferedBytes > UPLOAD_HIGH_WATER) return; // onDrain resumes
      const batch: { index: number; begin: number; length: number }[] = [];
      while (batch.length < READS_PER_PEER && peer.uploadQueue.length > 0) {
        const next = peer.uploadQueue[0]!;
        if (!takeAll(buckets, next.length)) break;
        batch.push(peer.uploadQueue.shift()!);
      }
      if (batch.length === 0) {
        const wait = Math.max(
          ...buckets.map((bucket) => bucket.waitTime(peer.uploadQueue[0]?.length ?? 0)),
          10,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      const blocks = await Promise.all(
        batch.map((item) =>
          this.storage.readBlock(item.index, item.begin, item.length).catch(() => undefined),
        ),
      );
      for (let at = 0; at < batch.length; at++) {
        const block = blocks[at];
        const item = batch[at]!;
        if (!block || peer.amChoking || !this.peers.has(peer)) continue;
        peer.wire.sendPiece(item.index, item.begin, block);
        peer.upload.add(block.length);
        this.uploadMeter.add(block.length);
      }
    }
  }

  // Choking and health ----------------------------------------------------------------------

  private rechoke(now: number): void {
    const seeding = this.stateValue === 'seeding';
    const unchoke = this.choker.rechoke(
      [...this.peers].map((peer) => ({
        id: peer.key,
        interested: peer.peerInterested,
        downloadRate: peer.download.rate,
        uploadRate: peer.upload.rate,
        snubbed: peer.snubbedAt !== undefined,
      })),
      now,
      seeding,
    );
    for (const peer of this.peers) {
      const shouldChoke = !unchoke.has(peer.key);
      if (shouldChoke === peer.amChoking) continue;
      peer.amChoking = shouldChoke;
      peer.wire.send({ type: shouldChoke ? 'choke' : 'unchoke' });
      if (shouldChoke) {
        if (peer.wire.capabilities.fast) {
          for (const item of peer.uploadQueue) peer.wire.send({ type: 'reject', ...item });
        }
        peer.uploadQueue.length = 0;
      } else {
        this.serve(peer);
      }
    }
  }

  private checkPeers(now: number): void {
    const snubTimeout = this.options.snubTimeoutMs ?? 30_000;
    for (const peer of this.peers) {
      if (peer.outstanding.size > 0 && now - peer.lastBlockAt > snubTimeout) {
        if (peer.snubbedAt === undefined) {
          peer.snubbedAt = now;
          this.dropRequests(peer);
          this.events.emit('peer-snubbed', { address: peer.key });
          for (const other of this.peers) if (other !== peer) this.fill(other);
        }
      }
      // a peer snubbed long enough is replaced when someone else could take its place
      if (
        peer.snubbedAt !== undefined &&
        now - peer.snubbedAt > snubTimeout &&
        this.registry.dialable > 0
      ) {
        this.drop(peer, 'stalled');
      }
    }
  }

  // Stats -----------------------------------------------------------------------------------

  stats(): TorrentStats {
    const now = this.clock.now();
    let seeds = 0;
    for (const peer of this.peers) if (peer.isSeed) seeds++;
    const downloadRate = this.downloadMeter.rate;
    const left = this.picker.leftBytes;
    const total = this.picker.totalLength;
    const sources: SourceStatus[] = this.tiers.status().map((tracker) => ({
      source: tracker.url,
      state: tracker.state,
      message: tracker.message,
      nextUpdateIn:
        tracker.nextAnnounceAt !== undefined
          ? Math.max(0, Math.round((tracker.nextAnnounceAt - now) / 1000))
          : undefined,
      seeds: tracker.seeds,
      peers: tracker.leechers,
    }));
    if ((this.options.peers?.length ?? 0) > 0) {
      sources.push({ source: 'manual peers', state: 'working', peers: this.options.peers!.length });
    }
    return {
      infoHash: this.infoHashHex,
      name: this.name,
      state: this.stateValue,
      progress: total > 0 ? this.picker.verifiedBytes / total : 1,
      totalBytes: total,
      verifiedBytes: this.picker.verifiedBytes,
      downloaded: this.downloadMeter.total,
      uploaded: this.uploadMeter.total,
      downloadRate,
      uploadRate: this.uploadMeter.rate,
      eta: left === 0 ? 0 : downloadRate > 0 ? left / downloadRate : Number.POSITIVE_INFINITY,
      ratio: this.downloadMeter.total > 0 ? this.uploadMeter.total / this.downloadMeter.total : 0,
      piecesHave: this.picker.have.count,
      pieceCount: this.picker.pieceCount,
      peers: this.peers.size,
      seeds,
      availability: this.picker.distributedCopies(),
      hashFailures: this.hashFailures,
      banned: this.registry.bannedCount,
      wastedBytes: this.wasted,
      checking: this.checkProgress ? { ...this.checkProgress } : undefined,
      error: this.errorValue,
      sources,
    };
  }

  peerStats(): PeerStats[] {
    return [...this.peers].map((peer) => ({
      address: peer.key,
      peerId: toHex(peer.wire.peerId),
      client: peer.client,
      incoming: peer.wire.incoming,
      seed: peer.isSeed,
      progress: peer.has.count / Math.max(1, this.picker.pieceCount),
      downloadRate: peer.download.rate,
      uploadRate: peer.upload.rate,
      downloaded: peer.download.total,
      uploaded: peer.upload.total,
      outstanding: peer.outstanding.size,
      choked: peer.peerChoking,
      choking: peer.amChoking,
      interested: peer.peerInterested,
      interesting: peer.amInterested,
      snubbed: peer.snubbedAt !== undefined,
    }));
  }

  /** Connected peers. */
  get peerCount(): number {
    return this.peers.size;
  }

  /** Pending block writes (for tests and graceful stop). */
  get writesInFlight(): number {
    return this.pendingWrites;
  }
}

function blockKey(piece: number, offset: number): number {
  return piece * 0x100000 + offset / 16_384;
}

function keyPiece(key: number): number {
  return Math.floor(key / 0x100000);
}

function keyOffset(key: number): number {
  return (key % 0x100000) * 16_384;
}
