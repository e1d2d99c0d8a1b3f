/**
 * A magnet link's torrent before its info dictionary is known (BEP 9): it exists at once (stats,
 * events, removable), announces to the link's trackers, dials its `x.pe` peers and those the
 * DHT and other sources find, and fetches the metadata over `ut_metadata` from every peer that
 * has it. Once the metadata matches the info-hash it is parsed with `@bt/metainfo`'s rules, and
 * the session goes on with a `Torrent` as if the link had been a file.
 */
import { type Magnet, type Metainfo, parseInfo } from '@bt/metainfo';
import { type PeerAddress, formatPeerAddress } from '@bt/primitives';
import type { ExtensionRegistry } from '@bt/wire';
import { Announcing } from './announcing.js';
import type { Clock } from './clock.js';
import { SessionError } from './errors.js';
import { EventHub, type TorrentEvent, type TorrentEventMap, type TorrentState } from './events.js';
import { ExtensionHost, type HostedPeer } from './extension-host.js';
import { extendedHandshake, type TorrentExtension, type TorrentPlugin } from './extensions.js';
import type { PeerWire, TrackerClientResolver, PeerTransport } from './interfaces.js';
import { MetadataFetch, UT_METADATA } from './metadata-exchange.js';
import { filesMissingLayers, PieceLayerFetch } from './piece-layer-fetch.js';
import type { PeerIdSet } from './peer-registry.js';
import { PeerRegistry, type PeerSource } from './peer-registry.js';
import type { Torrent, TorrentStats } from './torrent.js';

const TICK_MS = 250;
const CONNECT_TIMEOUT_MS = 10_000;
/** Sources a private torrent (BEP 27) never takes peers from. */
const PUBLIC_SOURCES: ReadonlySet<PeerSource> = new Set<PeerSource>(['dht', 'pex', 'lpd']);
/** `left` announced before the size is known (it must not say "seed"). */
const UNKNOWN_LEFT = 16_384;

export interface MagnetTorrentOptions {
  /**
   * The link, with the info-hash its peers are reached by: the v1 one, or for a link with only
   * `urn:btmh:` (a v2 torrent) its SHA-256 info-hash truncated to 20 bytes.
   */
  magnet: Magnet & { infoHash: Uint8Array; infoHashHex: string };
  /** Every swarm's info-hash (a hybrid link names two); `[magnet.infoHash]` by default. */
  swarmHashes?: readonly Uint8Array[];
  /** The link names only a v2 info-hash: `magnet.infoHash` is its truncation, SHA-1 unknown. */
  v2Only?: boolean;
  peerId: Uint8Array;
  port: () => number;
  transport: PeerTransport;
  trackers: TrackerClientResolver;
  clock: Clock;
  peerIds: PeerIdSet;
  /** The session's extensions (our own fetch stands in for its `ut_metadata`). */
  extensions: readonly TorrentExtension[];
  plugins: readonly TorrentPlugin[];
  extensionRegistry?: ExtensionRegistry;
  maxPeers: number;
  canConnect: () => boolean;
  /** Default `MAX_METADATA_SIZE` (30 MiB). */
  maxMetadataSize?: number;
  onDhtNode?: (address: PeerAddress) => void;
  /** BEP 5: our DHT node's UDP port, for `port` messages. */
  dhtPort?: number;
}

interface MetadataPeer extends HostedPeer {
  readonly address: PeerAddress;
}

export class MagnetTorrent {
  readonly infoHash: Uint8Array;
  readonly infoHashHex: string;
  readonly magnet: MagnetTorrentOptions['magnet'];
  readonly registry = new PeerRegistry({ strikesToBan: 1 });
  /** Every swarm's info-hash (announcing reads it: a hybrid link is announced under both). */
  readonly swarmHashes: readonly Uint8Array[];
  readonly clock: Clock;
  readonly options: MagnetTorrentOptions & {
    torrent: { infoHash: Uint8Array; announce: readonly (readonly string[])[] };
  };
  readonly uploadMeter = { total: 0 };
  readonly downloadMeter = { total: 0 };
  private readonly events = new EventHub<TorrentEventMap>();
  private readonly fetch: MetadataFetch;
  private readonly host: ExtensionHost;
  private readonly announcing: Announcing;
  private readonly peers = new Set<MetadataPeer>();
  private readonly lifetime = new AbortController();
  private stateValue: TorrentState = 'metadata';
  private timer: ReturnType<typeof setInterval> | undefined;
  private dialing = 0;
  private nextPeerId = 1;
  private metainfoValue: Metainfo | undefined;
  /** Parsed metadata whose v2 piece layers are still being fetched from peers (BEP 52). */
  private layersPending: { metainfo: Metainfo; fetch: PieceLayerFetch<MetadataPeer> } | undefined;
  private errorValue: SessionError | undefined;
  private metadataWaiters: Waiter<Metainfo>[] = [];
  private torrentValue: Torrent | undefined;
  private torrentWaiters: Waiter<Torrent>[] = [];

  constructor(options: MagnetTorrentOptions) {
    this.magnet = options.magnet;
    this.infoHash = options.magnet.infoHash;
    this.infoHashHex = options.magnet.infoHashHex;
    this.clock = options.clock;
    const announce = options.magnet.trackers.map((url) => [url]);
    this.options = { ...options, torrent: { infoHash: this.infoHash, announce } };
    this.swarmHashes = options.swarmHashes ?? [this.infoHash];
    this.fetch = new MetadataFetch({
      infoHash: this.infoHash,
      infoHashV2: options.magnet.infoHashV2,
      v2Only: options.v2Only ?? false,
      now: () => this.clock.now(),
      maxSize: options.maxMetadataSize,
      onComplete: (info) => this.onMetadata(info),
      onLiar: (peer) => {
        const address = peer.address;
        if (address) this.registry.ban(address);
        const error = new SessionError('peer-banned', 'its metadata does not match the info-hash');
        this.events.emit('metadata-failed', {
          address: address ? formatPeerAddress(address) : String(peer.id),
          error,
        });
        peer.drop(error);
      },
    });
    const fetchExtension: TorrentExtension = { name: UT_METADATA, attach: () => this.fetch };
    this.host = new ExtensionHost({
      infoHash: this.infoHash,
      swarmHashes: this.swarmHashes,
      description: () => undefined,
      publicDiscovery: true,
      clock: this.clock,
      signal: () => this.lifetime.signal,
      extensions: [
        fetchExtension,
        ...options.extensions.filter((extension) => extension.name !== UT_METADATA),
      ],
      plugins: options.plugins,
      registry: options.extensionRegistry,
      addPeers: (addresses, source) => this.addPeers(addresses, source),
      drop: (peer, error) => peer.wire.close(error),
    });
    this.announcing = new Announcing(this, {
      peersFound: () => this.connectMore(this.clock.now()),
      left: () => options.magnet.length ?? UNKNOWN_LEFT,
    });
    for (const peer of options.magnet.peers) {
      this.registry.add({ family: peer.host.includes(':') ? 6 : 4, ...peer }, 'magnet');
    }
  }

  get state(): TorrentState {
    return this.stateValue;
  }

  get name(): string {
    return (
      this.metainfoValue?.name ??
      this.layersPending?.metainfo.name ??
      this.magnet.name ??
      this.infoHashHex
    );
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  /** The metadata, once fetched. */
  get metainfo(): Metainfo | undefined {
    return this.metainfoValue;
  }

  on<K extends keyof TorrentEventMap>(
    type: K,
    listener: (event: TorrentEventMap[K]) => void,
  ): () => void {
    return this.events.on(type, listener);
  }

  onAny(listener: (event: TorrentEvent) => void): () => void {
    return this.events.onAny(listener);
  }

  emit<K extends keyof TorrentEventMap>(type: K, event: TorrentEventMap[K]): void {
    this.events.emit(type, event);
  }

  /** Starts fetching: trackers, `x.pe` peers, the DHT. */
  start(): void {
    if (this.timer || this.lifetime.signal.aborted) return;
    this.host.start();
    this.announcing.reportUnsupported();
    this.events.emit('state-changed', { state: 'metadata', previous: 'stopped' });
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
    this.tick();
  }

  /** Resolves with the metadata once fetched and checked; rejects when the torrent stops first. */
  whenMetadata(signal?: AbortSignal): Promise<Metainfo> {
    if (this.metainfoValue) return Promise.resolve(this.metainfoValue);
    if (this.errorValue) return Promise.reject(this.errorValue);
    if (this.stateValue === 'stopped') return Promise.reject(this.stoppedError());
    return waitInto(this.metadataWaiters, signal);
  }

  /** The torrent the session went on with once the metadata arrived. */
  get torrent(): Torrent | undefined {
    return this.torrentValue;
  }

  /**
   * Resolves with the torrent the session adds once the metadata arrives (it downloads as if
   * added from a file); rejects when this stops first or with `metadataOnly`.
   */
  whenTorrent(signal?: AbortSignal): Promise<Torrent> {
    if (this.torrentValue) return Promise.resolve(this.torrentValue);
    if (this.errorValue) return Promise.reject(this.errorValue);
    if (this.stateValue === 'stopped') return Promise.reject(this.stoppedError());
    return waitInto(this.torrentWaiters, signal);
  }

  /** The session added the torrent (called by the session). */
  handOver(torrent: Torrent): void {
    this.torrentValue = torrent;
    for (const waiter of this.torrentWaiters.splice(0)) waiter.resolve(torrent);
  }

  /** The session could not add the torrent (called by the session). */
  handOverFailed(error: SessionError): void {
    this.errorValue = error;
    this.setState('error');
    for (const waiter of this.torrentWaiters.splice(0)) waiter.reject(error);
  }

  addPeers(addresses: readonly PeerAddress[], source: PeerSource): void {
    const now = this.clock.now();
    for (const address of addresses) this.registry.add(address, source, now);
    if (this.stateValue === 'metadata') this.connectMore(now);
  }

  /** Takes an incoming connection for this info-hash (routed by the session). */
  acceptWire(wire: PeerWire): boolean {
    const { address } = wire;
    if (
      !address ||
      this.stateValue !== 'metadata' ||
      this.peers.size >= this.options.maxPeers + 5
    ) {
      wire.close();
      return false;
    }
    return this.attach(wire, address, 'incoming');
  }

  /** Stops fetching; the connections close, trackers are not told (the torrent goes on or is gone). */
  async stop(state: TorrentState = 'stopped'): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lifetime.abort();
    for (const peer of [...this.peers]) peer.wire.close();
    this.host.close();
    if (state === 'stopped' && !this.metainfoValue) await this.announcing.stop();
    if (state === 'stopped' || state === 'error') {
      const error = this.errorValue ?? this.stoppedError();
      for (const waiter of this.metadataWaiters.splice(0)) waiter.reject(error);
      for (const waiter of this.torrentWaiters.splice(0)) waiter.reject(error);
    }
    this.setState(state);
  }

  private stoppedError(): SessionError {
    return this.metainfoValue
      ? new SessionError('session-closed', 'the torrent stopped (metadata only)')
      : new SessionError('session-closed', 'the torrent stopped before its metadata');
  }

  private setState(state: TorrentState): void {
    if (this.stateValue === state) return;
    const previous = this.stateValue;
    this.stateValue = state;
    this.events.emit('state-changed', { state, previous });
  }

  private tick(): void {
    if (this.stateValue !== 'metadata') return;
    const now = this.clock.now();
    this.announcing.tick(now);
    this.host.tick(now);
    if (this.layersPending) {
      this.layersPending.fetch.tick(now);
      this.giveUpLayersIfHybrid();
    }
    this.connectMore(now);
  }

  private connectMore(now: number): void {
    if (this.stateValue !== 'metadata') return;
    const room = this.options.maxPeers - this.peers.size - this.dialing;
    if (room <= 0) return;
    for (const address of this.registry.candidates(now, Math.min(room, 10))) {
      if (!this.options.canConnect()) {
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
        signal: AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(CONNECT_TIMEOUT_MS)]),
      });
      this.dialing--;
      this.attach(wire, address, 'tracker');
    } catch (error) {
      this.dialing--;
      this.registry.disconnected(address, this.clock.now(), true);
      this.events.emit('peer-failed', {
        address: formatPeerAddress(address),
        error: SessionError.from(error, 'peer-protocol'),
      });
    }
  }

  private attach(wire: PeerWire, address: PeerAddress, source: PeerSource): boolean {
    if (this.stateValue !== 'metadata' || !wire.capabilities.extended) {
      // without BEP 10 a peer cannot give metadata
      wire.close();
      this.registry.disconnected(address, this.clock.now(), false);
      return false;
    }
    if (this.options.peerIds.claim(wire.peerId) !== 'ok') {
      wire.close();
      this.registry.disconnected(address, this.clock.now(), false);
      return false;
    }
    if (!this.registry.connected(address, source) && source === 'incoming') {
      this.options.peerIds.release(wire.peerId);
      wire.close();
      return false;
    }
    const peer: MetadataPeer = { id: this.nextPeerId++, wire, isSeed: false, address };
    this.peers.add(peer);
    this.host.peerConnected(peer);
    // BEP 6: a peer with the fast extension expects what we have first: nothing yet
    if (wire.capabilities.fast) wire.send({ type: 'have-none' });
    if (wire.capabilities.dht && this.options.dhtPort)
      wire.send({ type: 'port', port: this.options.dhtPort });
    wire.send({
      type: 'extended-handshake',
      handshake: extendedHandshake({
        port: this.options.port(),
        requestQueueLength: 250,
        fields: this.host.handshakeFields(),
      }),
    });
    this.events.emit('peer-connected', {
      address: formatPeerAddress(address),
      incoming: wire.incoming,
      encrypted: wire.encrypted ?? false,
      utp: this.options.transport.describe?.(wire).utp ?? false,
    });
    wire.start({
      onMessage: (message) => {
        switch (message.type) {
          case 'extended':
          case 'extended-handshake':
            this.host.onMessage(peer, message);
            return;
          case 'port':
            this.options.onDhtNode?.({ ...address, port: message.port });
            return;
          case 'hashes':
            this.layersPending?.fetch.onHashes(peer, message, this.clock.now());
            return;
          case 'hash-reject':
            this.layersPending?.fetch.onReject(peer, message, this.clock.now());
            this.giveUpLayersIfHybrid();
            return;
          case 'hash-request': {
            // BEP 52: answered with hashes or a reject; we have no layers to give yet
            const { piecesRoot, baseLayer, index, length, proofLayers } = message;
            wire.send({ type: 'hash-reject', piecesRoot, baseLayer, index, length, proofLayers });
            return;
          }
          default:
            // pieces wait for the metadata; the torrent asks again once it has it
            return;
        }
      },
      onClose: (error) => this.onClose(peer, error),
    });
    this.layersPending?.fetch.addPeer(peer, this.clock.now());
    return true;
  }

  private onClose(peer: MetadataPeer, error?: Error): void {
    if (!this.peers.delete(peer)) return;
    this.layersPending?.fetch.removePeer(peer, this.clock.now());
    this.options.peerIds.release(peer.wire.peerId);
    this.host.peerClosed(peer);
    // a peer dropped for a fault (a stall, garbage) waits before it is dialled again
    this.registry.disconnected(peer.address, this.clock.now(), error !== undefined);
    this.events.emit('peer-disconnected', {
      address: formatPeerAddress(peer.address),
      error: error === undefined ? undefined : SessionError.from(error, 'peer-protocol'),
    });
    if (this.stateValue === 'metadata') this.connectMore(this.clock.now());
  }

  private onMetadata(info: Uint8Array): void {
    let metainfo: Metainfo;
    try {
      metainfo = parseInfo(info, { announce: this.magnet.trackers.map((url) => [url]) });
    } catch (error) {
      // it matched the info-hash: the torrent itself is one we refuse (hostile paths, ...)
      this.errorValue = new SessionError(
        'invalid-torrent',
        `the metadata is not a torrent we accept: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
      this.events.emit('torrent-error', { error: this.errorValue });
      for (const waiter of this.metadataWaiters.splice(0)) waiter.reject(this.errorValue);
      void this.stop('error');
      return;
    }
    this.events.emit('metadata-received', { size: info.length, name: metainfo.name });
    const v2 = metainfo.v2;
    if (v2 !== undefined && filesMissingLayers(metainfo.pieceLength, v2).length > 0) {
      // BEP 52: the pieces' hashes are not in the info dictionary; ask the peers for them
      const fetch = new PieceLayerFetch<MetadataPeer>({
        pieceLength: metainfo.pieceLength,
        v2,
        send: (peer, message) => peer.wire.send(message),
        onLiar: (peer) => {
          this.registry.ban(peer.address);
          const error = new SessionError('peer-banned', 'its piece-layer hashes fail the proof');
          this.events.emit('metadata-failed', { address: formatPeerAddress(peer.address), error });
          peer.wire.close(error);
        },
        onComplete: () => this.metadataReady(metainfo),
      });
      this.layersPending = { metainfo, fetch };
      const now = this.clock.now();
      for (const peer of this.peers) fetch.addPeer(peer, now);
      return;
    }
    this.metadataReady(metainfo);
  }

  /**
   * A hybrid torrent can be checked with SHA-1 alone: when no connected peer will give its piece
   * layers, it goes on without them (a v2-only torrent waits for a peer that will).
   */
  private giveUpLayersIfHybrid(): void {
    const pending = this.layersPending;
    if (pending?.metainfo.version === 'hybrid' && pending.fetch.stalled()) {
      this.metadataReady(pending.metainfo);
    }
  }

  private metadataReady(metainfo: Metainfo): void {
    if (this.metainfoValue) return;
    this.layersPending = undefined;
    this.metainfoValue = metainfo;
    for (const waiter of this.metadataWaiters.splice(0)) waiter.resolve(metainfo);
  }

  /**
   * Addresses worth handing to the torrent that follows (connected ones first). A magnet is
   * public until its metadata says otherwise (as in libtorrent): for a private torrent (BEP 27)
   * the peers the DHT, peer exchange or local discovery gave are left behind, and only those of
   * the link (`x.pe`), its trackers and the caller go on.
   */
  knownPeers(): { address: PeerAddress; source: PeerSource }[] {
    const known = this.registry.known();
    if (!this.metainfoValue?.private) return known;
    return known.filter(({ source }) => !PUBLIC_SOURCES.has(source));
  }

  stats(): TorrentStats {
    const now = this.clock.now();
    const progress = this.fetch.progress();
    return {
      infoHash: this.infoHashHex,
      name: this.name,
      state: this.stateValue,
      progress: 0,
      totalBytes: this.metainfoValue?.length ?? this.magnet.length ?? 0,
      verifiedBytes: 0,
      wantedBytes: this.metainfoValue?.length ?? this.magnet.length ?? 0,
      wantedVerifiedBytes: 0,
      downloaded: 0,
      uploaded: 0,
      downloadRate: 0,
      uploadRate: 0,
      eta: Number.POSITIVE_INFINITY,
      ratio: 0,
      piecesHave: 0,
      pieceCount: 0,
      peers: this.peers.size,
      seeds: 0,
      availability: 0,
      hashFailures: this.fetch.hashFailures,
      banned: this.registry.bannedCount,
      wastedBytes: 0,
      error: this.errorValue,
      metadata: { receivedBytes: progress.received, totalBytes: progress.size },
      sources: [...this.announcing.sources(now), ...this.host.sources(now)],
    };
  }
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A promise settled by whoever settles `waiters`, or rejected when `signal` aborts first. */
function waitInto<T>(waiters: Waiter<T>[], signal: AbortSignal | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void =>
      reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    waiters.push({
      resolve: (value) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      reject: (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    });
  });
}
