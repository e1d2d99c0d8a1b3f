/**
 * One torrent as a state machine: `checking` (the data on disk is hashed) → `downloading` →
 * `seeding`, with `paused`, `stopped` and `error` besides. This file keeps the lifecycle, the
 * peers' connections (dial, accept, close), the tick and the stats; the concerns live beside
 * it, each the one owner of its facts: `peer-reactions.ts` (each message), `downloading.ts`
 * (requests, blocks, verdicts), `uploading.ts` (requests served, choking), `announcing.ts`
 * (trackers).
 */
import type { Readable } from 'node:stream';
import type { EncryptionPolicy } from '@bt/mse';
import { type PeerAddress, formatPeerAddress, toHex } from '@bt/primitives';
import { WIRE_DEFAULTS } from '@bt/wire';
import { Announcing } from './announcing.js';
import { swarmInfoHashes } from './swarms.js';
import type { SourceStatus } from './sources.js';
import type { Clock } from './clock.js';
import { Downloading } from './downloading.js';
import { SessionError } from './errors.js';
import { EventHub } from './events.js';
import type { TorrentEvent, TorrentEventMap, TorrentState } from './events.js';
import { extendedHandshake } from './extensions.js';
import { FileSelection, type FilePriority, type FileStatus } from './file-selection.js';
import { createFileReadStream, type FileReadStreamOptions } from './file-stream.js';
import { ExtensionHost } from './extension-host.js';
import { allowsPublicDiscovery } from './discovery.js';
import type { PeerWire, ReservedBits, TorrentDescription, TorrentStorage } from './interfaces.js';
import { Peer } from './peer.js';
import { PeerReactions } from './peer-reactions.js';
import { PeerIdSet, PeerRegistry } from './peer-registry.js';
import type { PeerSource } from './peer-registry.js';
import { PieceDeadlines } from './piece-deadlines.js';
import { PiecePicker } from './piece-picker.js';
import { RateMeter, TokenBucket } from './rate.js';
import type { TorrentContext, TorrentOptions } from './torrent-context.js';
import { Uploading } from './uploading.js';
import { webSeedsOf } from '@bt/webseed';
import type { WebSeedWire } from './web-seed-wire.js';
import { WebSeeds } from './web-seeds.js';

export interface PeerStats {
  address: string;
  /** The peer id (hex). */
  peerId: string;
  client?: string;
  incoming: boolean;
  /** The connection is encrypted (MSE/PE with RC4). */
  encrypted: boolean;
  /** The connection runs over uTP (BEP 29), not TCP. */
  isUTP: boolean;
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
  /** Verified fraction of the wanted bytes (file selection), 0..1. */
  progress: number;
  totalBytes: number;
  verifiedBytes: number;
  /** Bytes of the pieces the selected files cover (`totalBytes` when every file is wanted). */
  wantedBytes: number;
  /** Of those, bytes verified. */
  wantedVerifiedBytes: number;
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
  /** Why the torrent is in `error`. */
  error?: SessionError;
  /** A magnet's metadata phase (BEP 9): bytes of the info dictionary received, of how many. */
  metadata?: { receivedBytes: number; totalBytes: number | undefined };
  sources: SourceStatus[];
}

/** What `setLimits` changes while a torrent runs. */
export interface TorrentLimits {
  downloadLimit?: number;
  uploadLimit?: number;
  maxPeers?: number;
}

const TICK_MS = 250;
const CONNECT_TIMEOUT_MS = 10_000;
/** Incoming connections taken beyond `maxPeers`, so newcomers can replace the slow. */
const INCOMING_SLACK = 5;

export class Torrent implements TorrentContext {
  readonly infoHash: Uint8Array;
  readonly infoHashHex: string;
  /** Every swarm's info-hash, this torrent's own first (a hybrid torrent is in two, BEP 52). */
  readonly swarmHashes: readonly Uint8Array[];
  readonly description: TorrentDescription;
  readonly options: TorrentOptions;
  readonly clock: Clock;
  readonly storage: TorrentStorage;
  readonly picker: PiecePicker;
  /** Which files are downloaded, and their priorities. */
  private readonly selection: FileSelection;
  readonly deadlines = new PieceDeadlines();
  readonly registry = new PeerRegistry({ strikesToBan: 8 });
  readonly peers = new Set<Peer>();
  readonly downloadMeter: RateMeter;
  readonly uploadMeter: RateMeter;
  private readonly peerIds: PeerIdSet;
  private readonly downloading: Downloading;
  private readonly uploading: Uploading;
  private readonly announcing: Announcing;
  private readonly reactions: PeerReactions;
  /** BEP 10 extensions: their handlers for this torrent, and incoming extended messages routed to them. */
  readonly extensionHost: ExtensionHost;
  private readonly webSeeds: WebSeeds | undefined;
  private readonly events = new EventHub<TorrentEventMap>();
  private readonly downloadBucket: TokenBucket;
  private readonly uploadBucket: TokenBucket;
  private stateValue: TorrentState = 'stopped';
  private timer: ReturnType<typeof setInterval> | undefined;
  private lifetime = new AbortController();
  private nextPeerId = 1;
  private dialing = 0;
  /**
   * Peers that connected while the data was being checked: answered, and held until the check
   * ends (they get our piece set then). Dropping them would make libtorrent wait a minute
   * before it tries again.
   */
  private readonly heldWhileChecking = new Set<PeerWire>();
  private checkProgress: { checkedPieces: number; totalPieces: number } | undefined;
  private errorValue: SessionError | undefined;
  private completedAnnounced = false;
  private started = false;
  private lastConnectAt = Number.NEGATIVE_INFINITY;

  constructor(options: TorrentOptions) {
    validateOptions(options);
    this.options = options;
    this.description = options.torrent;
    this.infoHash = options.torrent.infoHash;
    this.infoHashHex = options.torrent.infoHashHex;
    this.swarmHashes = swarmInfoHashes(options.torrent);
    this.clock = options.clock;
    this.storage = options.storage;
    this.peerIds = options.peerIds ?? new PeerIdSet(options.peerId);
    this.picker = new PiecePicker({
      geometry: options.torrent,
      sequential: options.sequential ?? false,
      maxActivePieces: options.storage.memoryPieces,
    });
    this.selection = new FileSelection(options.torrent, options.selection);
    this.selection.applyAll(this.picker);
    this.downloadMeter = new RateMeter(this.clock);
    this.uploadMeter = new RateMeter(this.clock);
    this.downloadBucket = new TokenBucket(this.clock, options.downloadLimit ?? 0);
    this.uploadBucket = new TokenBucket(this.clock, options.uploadLimit ?? 0);
    this.downloading = new Downloading(this, this.downloadBucket, {
      completed: () => this.onComplete(),
    });
    this.uploading = new Uploading(this, this.uploadBucket);
    this.announcing = new Announcing(this, {
      peersFound: () => {
        if (this.active) this.connectMore(this.clock.now());
      },
      left: () => this.picker.leftBytes,
    });
    this.extensionHost = new ExtensionHost({
      infoHash: this.infoHash,
      swarmHashes: this.swarmHashes,
      description: () => this.description,
      publicDiscovery: allowsPublicDiscovery(this.description),
      clock: this.clock,
      signal: () => this.lifetime.signal,
      extensions: options.extensions ?? [],
      plugins: options.plugins,
      registry: options.extensionRegistry,
      addPeers: (addresses, source) => {
        this.addPeers(addresses, source);
        if (this.active) this.connectMore(this.clock.now());
      },
      drop: (peer, error) => peer.wire.close(error),
    });
    this.reactions = new PeerReactions(this, this.downloading, this.uploading, this.extensionHost);
    for (const address of options.peers ?? []) this.registry.add(address, 'manual');
    const seeds = webSeedsOf({
      urlList: [...(options.torrent.urlList ?? []), ...(options.webSeeds ?? [])],
      httpSeeds: options.torrent.httpSeeds,
    });
    if (options.webSeedFetcher && seeds.length > 0)
      this.webSeeds = new WebSeeds(this, options.webSeedFetcher, seeds);
  }

  get state(): TorrentState {
    return this.stateValue;
  }

  /**
   * Reserved bits of this torrent's connections: a private torrent (BEP 27) never announces the
   * DHT; a public one keeps the transport's bits (the session's `dht` option).
   */
  /** This torrent's MSE/PE policy, when it has its own (else the session's applies). */
  get encryption(): EncryptionPolicy | undefined {
    return this.options.encryption;
  }

  get reserved(): ReservedBits {
    return allowsPublicDiscovery(this.description) ? {} : { dht: false };
  }

  get name(): string {
    return this.description.name;
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
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

  emit<K extends keyof TorrentEventMap>(type: K, event: TorrentEventMap[K]): void {
    this.events.emit(type, event);
  }

  // Lifecycle -------------------------------------------------------------------------------

  /** Checks the data on disk (unless told not to), then downloads what is missing, or seeds. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.lifetime = new AbortController();
    this.setState('checking');
    this.announcing.reportUnsupported();
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
        this.fail(SessionError.from(error, 'storage-failed'));
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
      this.announcing.markCompleted(this.clock.now());
      this.events.emit('torrent-completed', { totalBytes: this.description.length });
    } else {
      this.setState('downloading');
    }
    this.startTicking();
    this.releaseHeld();
  }

  /** Peers held while checking are attached now (or closed, when the torrent is not active). */
  private releaseHeld(): void {
    const held = [...this.heldWhileChecking];
    this.heldWhileChecking.clear();
    for (const wire of held) {
      if (wire.closed === true) continue;
      if (this.active) this.acceptWire(wire);
      else wire.close();
    }
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
    this.startTicking();
  }

  /** Graceful stop: peers dropped, `stopped` announced (bounded), data flushed, storage closed. */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped' && !this.started) return;
    await this.halt('stopped');
    await this.storage.flush().catch(() => undefined);
    await this.storage.close().catch(() => undefined);
    this.started = false;
  }

  private startTicking(): void {
    this.extensionHost.start();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
    this.tick();
  }

  private async halt(state: TorrentState): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lifetime.abort();
    for (const peer of [...this.peers]) peer.wire.close();
    this.extensionHost.close();
    this.releaseHeld();
    await this.announcing.stop();
    this.setState(state);
  }

  fail(error: SessionError): void {
    this.errorValue = error;
    this.setState('error');
    this.events.emit('torrent-error', { error });
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lifetime.abort();
    for (const peer of [...this.peers]) peer.wire.close();
    this.extensionHost.close();
    this.releaseHeld();
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

  /** Changes this torrent's limits while it runs (bytes per second, 0 = unlimited). */
  setLimits(limits: TorrentLimits): void {
    validateOptions({ ...this.options, ...limits });
    if (limits.downloadLimit !== undefined) this.downloadBucket.rate = limits.downloadLimit;
    if (limits.uploadLimit !== undefined) this.uploadBucket.rate = limits.uploadLimit;
    if (limits.maxPeers !== undefined) this.options.maxPeers = limits.maxPeers;
  }

  /** The limits in force (bytes per second, 0 = unlimited). */
  get limits(): Required<TorrentLimits> {
    return {
      downloadLimit: this.downloadBucket.rate,
      uploadLimit: this.uploadBucket.rate,
      maxPeers: this.maxPeers,
    };
  }

  // File selection --------------------------------------------------------------------------

  /**
   * Downloads file `index` (from 0, torrent order) or not. A newly wanted file is fetched (its
   * bytes kept in the storage's part file are moved into place first); an unwanted one is not
   * created if it does not exist yet. Rejects with `invalid-option` for a file that does not exist.
   */
  async setFileWanted(index: number, wanted: boolean): Promise<void> {
    if (!this.selection.setWanted(this.picker, index, wanted)) return;
    this.selectionChanged();
    try {
      await this.storage.setFileWanted?.(index, this.selection.isWanted(index));
    } catch (error) {
      const failure = SessionError.from(error, 'storage-failed');
      this.fail(failure);
      throw failure;
    }
  }

  /** Sets file `index`'s priority: pieces of `high` files are started before `normal`, then `low`. */
  setFilePriority(index: number, priority: FilePriority): void {
    this.selection.setPriority(this.picker, index, priority);
  }

  /** Every file with its selection and the bytes of it verified. */
  fileStats(): FileStatus[] {
    const { pieceLength } = this.description;
    return this.description.files.map((file, index) => {
      let bytesCompleted = 0;
      if (file.length > 0) {
        const first = Math.floor(file.offset / pieceLength);
        const last = Math.floor((file.offset + file.length - 1) / pieceLength);
        for (let piece = first; piece <= last; piece++) {
          if (!this.picker.have.has(piece)) continue;
          const start = piece * pieceLength;
          bytesCompleted +=
            Math.min(start + pieceLength, file.offset + file.length) - Math.max(start, file.offset);
        }
      }
      return {
        index,
        path: file.path,
        length: file.length,
        wanted: this.selection.isWanted(index),
        priority: this.selection.priority(index),
        bytesCompleted,
        padding: file.padding === true,
      };
    });
  }

  /** The selection grew past what is verified (download again) or shrank to it (complete). */
  private selectionChanged(): void {
    if (!this.active) return;
    if (this.picker.complete) {
      if (this.stateValue === 'downloading') this.onComplete();
      return;
    }
    if (this.completedAnnounced) {
      this.completedAnnounced = false;
      this.setState('downloading');
    }
    for (const peer of this.peers) {
      this.downloading.updateInterest(peer);
      this.downloading.fill(peer);
    }
  }

  /** Asks every tracker for peers again now (within each one's `min interval`). */
  reannounce(): void {
    if (this.active) this.announcing.reannounce(this.clock.now());
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

  private onComplete(): void {
    if (this.completedAnnounced) return;
    this.completedAnnounced = true;
    this.announcing.markCompleted(this.clock.now());
    void this.storage.flush().then(
      () => {
        if (this.stateValue !== 'downloading') {
          // paused: it seeds once resumed
          this.events.emit('torrent-completed', { totalBytes: this.description.length });
          return;
        }
        this.setState('seeding');
        this.events.emit('torrent-completed', { totalBytes: this.description.length });
        for (const peer of [...this.peers]) {
          if (peer.isSeed) this.reactions.bothSeeding(peer);
          else this.downloading.updateInterest(peer);
        }
        if (this.options.seed === false) void this.halt('stopped');
      },
      (error: unknown) => this.fail(SessionError.from(error, 'storage-failed')),
    );
  }

  // The tick --------------------------------------------------------------------------------

  private tick(): void {
    if (!this.active) return;
    const now = this.clock.now();
    this.announcing.tick(now);
    this.connectMore(now);
    this.extensionHost.tick(now);
    this.webSeeds?.tick(now);
    this.downloading.checkSnubs(now);
    if (this.uploading.due(now)) this.uploading.rechoke(now);
    for (const peer of this.peers) {
      peer.messagesThisTick = 0;
      this.downloading.resize(peer);
      this.downloading.fill(peer);
      this.uploading.serve(peer);
    }
  }

  // Connections -----------------------------------------------------------------------------

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
        reserved: this.reserved,
        encryption: this.options.encryption,
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
        error: SessionError.from(error, 'peer-protocol'),
      });
    }
  }

  /** Takes an incoming connection the session routed here. */
  acceptWire(wire: PeerWire): boolean {
    const { address } = wire;
    if (!address) {
      wire.close();
      return false;
    }
    if (
      this.stateValue === 'checking' &&
      this.started &&
      this.heldWhileChecking.size < this.maxPeers + INCOMING_SLACK &&
      !this.registry.isBanned(address)
    ) {
      this.heldWhileChecking.add(wire);
      return true;
    }
    if (
      !this.active ||
      this.peers.size >= this.maxPeers + INCOMING_SLACK ||
      this.registry.isBanned(address)
    ) {
      wire.close();
      return false;
    }
    return this.attach(wire, 'incoming', address);
  }

  /** True while downloading with a wanted piece missing (web seeds connect then). */
  get wantsData(): boolean {
    return this.stateValue === 'downloading' && !this.picker.complete;
  }

  /** A web seed joins as a peer without an address (BEP 19, BEP 17). */
  attachWebSeed(wire: WebSeedWire): Peer {
    const peer = new Peer({
      id: this.nextPeerId++,
      wire,
      pieceCount: this.picker.pieceCount,
      clock: this.clock,
      source: 'webseed',
    });
    this.peers.add(peer);
    wire.start({
      onMessage: (message) => this.reactions.onMessage(peer, message),
      onClose: (error) => this.onClose(peer, undefined, error),
    });
    this.events.emit('peer-connected', {
      address: peer.label,
      incoming: false,
      encrypted: false,
      utp: false,
    });
    return peer;
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
    const peer = new Peer({
      id: this.nextPeerId++,
      wire,
      pieceCount: this.picker.pieceCount,
      clock: this.clock,
      source,
    });
    this.peers.add(peer);
    this.extensionHost.peerConnected(peer);
    // BEP 3 / BEP 6: say what we have first
    const have = this.picker.have;
    if (wire.capabilities.fast && have.complete) wire.send({ type: 'have-all' });
    else if (wire.capabilities.fast && have.empty) wire.send({ type: 'have-none' });
    else if (!have.empty) wire.send({ type: 'bitfield', bitfield: have.toBytes() });
    // BEP 5: where our DHT node listens, to a peer that runs one too
    if (wire.capabilities.dht && this.options.dhtPort && allowsPublicDiscovery(this.description))
      wire.send({ type: 'port', port: this.options.dhtPort });
    if (wire.capabilities.extended) {
      wire.send({
        type: 'extended-handshake',
        handshake: extendedHandshake({
          torrent: this.description,
          port: this.options.port(),
          requestQueueLength: this.options.maxPeerRequests ?? WIRE_DEFAULTS.maxPeerRequests,
          extensions: this.options.extensions,
          fields: this.extensionHost.handshakeFields(),
          off: this.extensionHost.offNames(),
        }),
      });
    }
    this.events.emit('peer-connected', {
      address: peer.label,
      incoming: wire.incoming,
      encrypted: wire.encrypted ?? false,
      utp: this.options.transport.describe?.(wire).utp ?? false,
    });
    // only now may the peer's messages (some came with its handshake) make us send anything
    wire.start({
      onMessage: (message) => this.reactions.onMessage(peer, message),
      onClose: (error) => this.onClose(peer, address, error),
      onDrain: () => this.uploading.serve(peer),
    });
    return true;
  }

  private onClose(peer: Peer, address: PeerAddress | undefined, error?: Error): void {
    if (!this.peers.delete(peer)) return;
    this.picker.peerGone(peer.has, peer.countedAsSeed);
    this.extensionHost.peerClosed(peer);
    if (address) {
      this.peerIds.release(peer.wire.peerId);
      this.registry.disconnected(
        address,
        this.clock.now(),
        error !== undefined && peer.download.total === 0,
      );
    }
    this.events.emit('peer-disconnected', {
      address: peer.label,
      error: error === undefined ? undefined : SessionError.from(error, 'peer-protocol'),
    });
    this.uploading.onPeerGone(peer);
    // others pick up what this peer left
    this.downloading.onPeerGone(peer);
  }

  drop(peer: Peer, error?: SessionError): void {
    peer.wire.close(error);
  }

  // Streaming -------------------------------------------------------------------------------

  /**
   * A Node `Readable` of file `fileIndex` (numbered from 0) from `start` to `end` (inclusive),
   * served while the torrent downloads: each read waits for its piece, and the pieces at and
   * ahead of the reader get deadlines (`file-stream.ts`). A file not wanted becomes wanted.
   */
  createReadStream(fileIndex: number, options?: FileReadStreamOptions): Readable {
    const stream = createFileReadStream(this, fileIndex, options);
    // a file being read is wanted: its pieces must be fetched for the reader to get them
    if (!this.selection.isWanted(fileIndex)) {
      this.setFileWanted(fileIndex, true).catch((error: unknown) =>
        stream.destroy(error instanceof Error ? error : new Error(String(error))),
      );
    }
    return stream;
  }

  /** True once `piece` is verified. */
  hasPiece(piece: number): boolean {
    return this.picker.have.has(piece);
  }

  /** Deadlines changed (`deadlines`): the fastest peers are asked for those pieces now. */
  deadlinesChanged(): void {
    if (this.stateValue === 'downloading') this.downloading.fillUrgentAll();
  }

  // Stats -----------------------------------------------------------------------------------

  stats(): TorrentStats {
    const now = this.clock.now();
    let seeds = 0;
    for (const peer of this.peers) if (peer.isSeed) seeds++;
    const downloadRate = this.downloadMeter.rate;
    const wanted = this.picker.wantedBytes();
    const left = wanted.total - wanted.verified;
    const total = this.description.length;
    const sources = [...this.announcing.sources(now), ...this.extensionHost.sources(now)];
    if (this.webSeeds) sources.push(...this.webSeeds.sources(now));
    if ((this.options.peers?.length ?? 0) > 0) {
      sources.push({ source: 'manual peers', state: 'working', peers: this.options.peers!.length });
    }
    // rows of the session's own sources (local discovery)
    sources.push(...(this.options.sources?.(now) ?? []));
    return {
      infoHash: this.infoHashHex,
      name: this.name,
      state: this.stateValue,
      progress: wanted.total > 0 ? wanted.verified / wanted.total : 1,
      totalBytes: total,
      verifiedBytes: this.picker.verifiedBytes,
      wantedBytes: wanted.total,
      wantedVerifiedBytes: wanted.verified,
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
      hashFailures: this.downloading.hashFailures,
      banned: this.registry.bannedCount,
      wastedBytes: this.downloading.wasted,
      checking: this.checkProgress ? { ...this.checkProgress } : undefined,
      error: this.errorValue,
      sources,
    };
  }

  peerStats(): PeerStats[] {
    return [...this.peers].map((peer) => ({
      address: peer.label,
      peerId: toHex(peer.wire.peerId),
      client: peer.client,
      incoming: peer.wire.incoming,
      encrypted: peer.wire.encrypted ?? false,
      isUTP: this.options.transport.describe?.(peer.wire).utp ?? false,
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
    return this.downloading.writesInFlight;
  }
}

/** Options a caller got wrong, refused before anything starts. */
function validateOptions(options: TorrentOptions): void {
  const counts: [string, number | undefined][] = [
    ['maxPeers', options.maxPeers],
    ['uploadSlots', options.uploadSlots],
    ['maxPeerRequests', options.maxPeerRequests],
  ];
  for (const [name, value] of counts) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0))
      throw new SessionError('invalid-option', `${name} must be a positive integer, got ${value}`);
  }
  const amounts: [string, number | undefined][] = [
    ['downloadLimit', options.downloadLimit],
    ['uploadLimit', options.uploadLimit],
    ['snubTimeoutMs', options.snubTimeoutMs],
  ];
  for (const [name, value] of amounts) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      throw new SessionError('invalid-option', `${name} must be 0 or more, got ${value}`);
  }
}
