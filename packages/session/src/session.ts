/**
 * The session: one listening port, many torrents. Incoming connections are routed to their
 * torrent by the info-hash of their handshake; connection and rate budgets are shared; the
 * front-end gets typed events from every torrent (tagged with its info-hash) and a stats
 * snapshot. Every layer is swappable through the options; the defaults are TCP over
 * `@bt/wire`, HTTP and UDP trackers, and files through `@bt/storage`.
 */
import type { Socket } from 'node:dgram';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Magnet, type Metainfo, parseMagnet } from '@bt/metainfo';
import { acceptsIncoming, type EncryptionPolicy } from '@bt/mse';
import { generatePeerId, toHex, type PeerAddress } from '@bt/primitives';
import { createHashPool, type HashPool } from '@bt/storage';
import { ExtensionRegistry } from '@bt/wire';
import { HttpRangeClient } from '@bt/webseed/node';
import { systemClock, type Clock } from './clock.js';
import { createDefaultTransport } from './default-transport.js';
import { createDefaultTrackerResolver, fileStorageFactory } from './defaults.js';
import { checkedPolicy, createEncryptedTransport } from './encrypted-transport.js';
import { SessionError } from './errors.js';
import { EventHub, type TorrentEvent } from './events.js';
import { dhtDiscovery, type SessionDht } from './dht-discovery.js';
import { type DatagramReceiver, routeToDht, startDht } from './dht-port.js';
import type { TorrentExtension, TorrentPlugin } from './extensions.js';
import { FileSelection, type FileSelectionOptions, selectionFromRanges } from './file-selection.js';
import { MagnetTorrent } from './magnet-torrent.js';
import { metadataExtension, UT_METADATA } from './metadata-exchange.js';
import { allowsPublicDiscovery } from './discovery.js';
import {
  type LocalDiscoveryFactory,
  type LocalDiscoveryTorrent,
  LocalPeerDiscoveryService,
  multicastLocalDiscovery,
} from './local-discovery.js';
import type {
  IncomingPeer,
  PeerTransport,
  StorageFactory,
  TorrentDescription,
  TrackerClientResolver,
} from './interfaces.js';
import { peerExchange, type PeerExchangeOptions } from './peer-exchange.js';
import { PeerIdSet } from './peer-registry.js';
import type { SourceStatus } from './sources.js';
import { TokenBucket } from './rate.js';
import { resumableStorageFactory, type ResumeStore } from './resume-storage.js';
import { Torrent, type TorrentStats } from './torrent.js';
import type { TransportMode } from './transport-policy.js';
import type { WebSeedFetcher } from './web-seed-wire.js';

export interface SessionOptions {
  /** TCP port to accept peers on; 0 picks a free one. Default 6881. */
  port?: number;
  /** Address to listen on. Default: all. */
  host?: string;
  /** Do not accept incoming connections at all. */
  noListen?: boolean;
  peerId?: Uint8Array;
  /** Open connections across all torrents. Default 200. */
  maxConnections?: number;
  /** Per torrent, unless the torrent says otherwise. Default 50. */
  maxPeersPerTorrent?: number;
  /** Global limits in bytes per second; 0 = unlimited. */
  downloadLimit?: number;
  uploadLimit?: number;
  transport?: PeerTransport;
  /**
   * For the default transport: TCP, uTP (BEP 29, on the UDP port of the same number), or both
   * (uTP tried first, TCP a moment later; both accepted). Default `tcp`.
   */
  transportMode?: TransportMode;
  trackers?: TrackerClientResolver;
  storage?: StorageFactory;
  clock?: Clock;
  /** Worker threads hashing (and writing) pieces for the default storage. Default: cores - 1 (at least 1). */
  hashThreads?: number;
  /** Snub timeout for peers (ms). Default 30 s. */
  snubTimeoutMs?: number;
  /**
   * BEP 5: run a DHT node (`@bt/dht`) on the listen port (UDP) and set the DHT bit in our
   * handshakes. Default false. The bit is for the default transport only; one given in
   * `transport` decides itself.
   */
  dht?: boolean;
  /**
   * MSE/PE policy of every torrent that sets none (`prefer`, `require`, `allow`, `disable`).
   * Default `allow`: dial in plaintext, accept both. For the default transport only.
   */
  encryption?: EncryptionPolicy;
  /**
   * A DHT node to use instead of creating one (any `SessionDht`): the session looks up and
   * announces its public torrents on it, and leaves closing it to the caller.
   */
  dhtNode?: SessionDht;
  /** Nodes the session's own DHT node bootstraps from (`host:port`). Default: the public routers. */
  dhtBootstrap?: readonly string[];
  /** Where the session keeps state between runs (the DHT's node id and table, `dht.state`). */
  stateDir?: string;
  /** BEP 5: a peer of a public torrent said where its DHT node listens. Default: the DHT adds it. */
  onDhtNode?: (address: PeerAddress) => void;
  /** Per-torrent peer sources besides the DHT (local discovery, ...). */
  plugins?: readonly TorrentPlugin[];
  /**
   * BEP 10 extensions spoken with every peer: registered by name with the default transport
   * (which writes `m` and names incoming messages), each attached to every torrent (its
   * handshake fields, the peers' handshakes and its messages routed to it).
   */
  extensions?: readonly TorrentExtension[];
  /**
   * Fetches from web seeds (BEP 19 `url-list`, BEP 17 `httpseeds`); `false` leaves them unused.
   * Default: an `HttpRangeClient` of `@bt/webseed/node` (4 connections per host).
   */
  webSeeds?: WebSeedFetcher | false;
  /**
   * BEP 14 local peer discovery: multicast on the listening interface (`@bt/lpd/node`) by
   * default (`true`; not with `noListen`, unless `true`), a factory for another, `false` for
   * none. Never used for a private torrent (BEP 27).
   */
  localDiscovery?: boolean | LocalDiscoveryFactory;
  /**
   * Fast resume: verified pieces and file states are kept here, and a start whose files are
   * unchanged trusts them instead of hashing (`resume-storage.ts`).
   */
  resume?: ResumeStore;
  /** Told, with `resume`, whether each start resumed or hashed. */
  onRecheck?: (infoHashHex: string, how: 'resumed' | 'hashed') => void;
  /**
   * BEP 11 peer exchange (`ut_pex`) with every peer of a public torrent: on by default (`true`,
   * or an object tuning it), `false` turns it off. Never offered for a private torrent (BEP 27).
   */
  peerExchange?: boolean | PeerExchangeOptions;
}

/** How often the session looks whether a local discovery announce is due (ms). */
const DISCOVERY_TICK_MS = 1000;

export interface AddTorrentOptions {
  /** The folder the torrent's content (`<name>`) goes in. */
  directory: string;
  peers?: PeerAddress[];
  sequential?: boolean;
  /** Keep seeding once complete. Default true. */
  seed?: boolean;
  maxPeers?: number;
  downloadLimit?: number;
  uploadLimit?: number;
  /** Do not hash existing data first (only for a folder known to be empty). */
  skipCheck?: boolean;
  /** Add without starting. */
  paused?: boolean;
  /** MSE/PE policy of this torrent's connections. Default: the session's. */
  encryption?: EncryptionPolicy;
  /** BEP 19 web seeds beyond the torrent's own `url-list`. */
  webSeeds?: string[];
  /**
   * File selection (files from 0, torrent order): only `wanted`, without `unwanted`, with
   * `priorities`. For a magnet it replaces the link's BEP 53 `so`. Default: every file, normal.
   */
  selection?: FileSelectionOptions;
}

export interface AddMagnetOptions extends AddTorrentOptions {
  /** Fetch the metadata only: the magnet's torrent stops once it has it, nothing is written. */
  metadataOnly?: boolean;
  /** The largest info dictionary accepted (bytes). Default 30 MiB. */
  maxMetadataSize?: number;
}

/** A torrent's event with the torrent's info-hash (hex). */
export type SessionEvent = TorrentEvent & { infoHash: string };

export interface SessionStats {
  port: number;
  peerId: string;
  downloadRate: number;
  uploadRate: number;
  connections: number;
  torrents: TorrentStats[];
}

interface SessionEventMap {
  event: SessionEvent;
}

/** Starts a session: listens (unless told not to) and returns once the port is bound. */
export async function createSession(options: SessionOptions = {}): Promise<Session> {
  const session = new Session(options);
  await session.listen();
  return session;
}

export class Session {
  readonly peerId: Uint8Array;
  private readonly options: SessionOptions;
  private readonly clock: Clock;
  private readonly transport: PeerTransport;
  private readonly trackers: TrackerClientResolver;
  private readonly ownTrackers: (TrackerClientResolver & { close(): Promise<void> }) | undefined;
  private readonly storageFactory: StorageFactory;
  private hashPool: HashPool | undefined;
  private readonly torrents = new Map<string, Torrent>();
  /** A hybrid torrent's other swarm (its truncated v2 info-hash, BEP 52) -> the torrent. */
  private readonly swarmAliases = new Map<string, Torrent>();
  /** Magnets still fetching their metadata (BEP 9), by info-hash. */
  private readonly magnets = new Map<string, MagnetTorrent>();
  private dhtValue: SessionDht | undefined;
  private ownDht = false;
  /** The uTP transport's UDP socket, which our own DHT node shares (one port, as libtorrent). */
  private readonly udpSocket: (() => Promise<Socket | undefined>) | undefined;
  private sharedDht: DatagramReceiver | undefined;
  private readonly peerIds: PeerIdSet;
  private readonly downloadBucket: TokenBucket;
  private readonly uploadBucket: TokenBucket;
  private readonly hub = new EventHub<SessionEventMap>();
  /** BEP 10: the ids we receive each extension under, shared by the transport and the torrents. */
  private readonly extensionRegistry: ExtensionRegistry;
  /** `ut_metadata` (BEP 9), `options.extensions` and peer exchange (unless turned off). */
  private readonly extensions: readonly TorrentExtension[];
  private readonly localDiscovery: LocalPeerDiscoveryService;
  private discoveryTimer: ReturnType<typeof setInterval> | undefined;
  private portValue = 0;
  private closed = false;
  private ownWebSeedClient: HttpRangeClient | undefined;

  constructor(options: SessionOptions = {}) {
    this.options = options;
    this.peerId = options.peerId ?? generatePeerId();
    this.clock = options.clock ?? systemClock;
    // BEP 9: we serve metadata for every torrent, unless a front-end brings its own ut_metadata
    const given = (options.extensions ?? []).some((each) => each.name === UT_METADATA)
      ? (options.extensions ?? [])
      : [metadataExtension(), ...(options.extensions ?? [])];
    this.extensions = [
      ...given,
      ...(options.peerExchange === false
        ? []
        : [peerExchange(typeof options.peerExchange === 'object' ? options.peerExchange : {})]),
    ];
    this.extensionRegistry = new ExtensionRegistry(this.extensions.map((each) => each.name));
    this.dhtValue = options.dhtNode;
    const dhtBit = (options.dht ?? false) || options.dhtNode !== undefined;
    const defaultTransport = options.transport
      ? undefined
      : createDefaultTransport({
          mode: options.transportMode ?? 'tcp',
          tcp: createEncryptedTransport({
            tcp: {
              reserved: { dht: dhtBit },
              extensions: this.extensionRegistry,
            },
            encryption: checkedPolicy(options.encryption) ?? 'allow',
            torrents: () => this.encryptionPolicies(),
          }),
          reserved: { dht: dhtBit },
          extensions: this.extensionRegistry,
          encryption: checkedPolicy(options.encryption) ?? 'allow',
          torrents: () => this.encryptionPolicies(),
          onOtherDatagram: routeToDht(() => this.sharedDht),
        });
    this.transport = options.transport ?? defaultTransport!.transport;
    this.udpSocket = defaultTransport?.udpSocket;
    if (options.trackers) {
      this.trackers = options.trackers;
    } else {
      this.ownTrackers = createDefaultTrackerResolver();
      this.trackers = this.ownTrackers;
    }
    if (options.storage) {
      this.storageFactory = options.storage;
    } else {
      this.storageFactory = (torrent, directory, open) => {
        // one core stays with the event loop (and, on loopback, the other peer)
        this.hashPool ??= createHashPool({
          size: options.hashThreads ?? Math.max(1, availableParallelism() - 1),
        });
        return fileStorageFactory(this.hashPool)(torrent, directory, open);
      };
    }
    if (options.resume) {
      this.storageFactory = resumableStorageFactory({
        storage: this.storageFactory,
        store: options.resume,
        onRecheck: options.onRecheck,
      });
    }
    this.peerIds = new PeerIdSet(this.peerId);
    this.downloadBucket = new TokenBucket(this.clock, options.downloadLimit ?? 0);
    this.uploadBucket = new TokenBucket(this.clock, options.uploadLimit ?? 0);
    this.localDiscovery = new LocalPeerDiscoveryService({
      factory: localDiscoveryFactory(options),
      host: options.host,
      port: () => this.portValue,
      torrent: (infoHash) => {
        const torrent = this.torrentOf(toHex(infoHash));
        return torrent && localDiscoveryView(torrent);
      },
    });
  }

  /** The port peers reach us on (0 before `listen` or with `noListen`). */
  get port(): number {
    return this.portValue;
  }

  /** Binds the listening port and starts local discovery (done by `createSession`). */
  async listen(): Promise<number> {
    await this.startLocalDiscovery();
    if (this.options.noListen) return 0;
    const port = this.options.port ?? 6881;
    try {
      this.portValue = await this.transport.listen(
        port,
        (peer) => this.route(peer),
        this.options.host,
      );
    } catch (error) {
      if (error instanceof SessionError) throw error;
      throw new SessionError(
        'listen-failed',
        `cannot listen on port ${port}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    await this.startDht();
    return this.portValue;
  }

  private async startLocalDiscovery(): Promise<void> {
    if (this.discoveryTimer || this.closed) return;
    this.discoveryTimer = setInterval(
      () => this.localDiscovery.tick(this.clock.now(), this.list().map(localDiscoveryView)),
      DISCOVERY_TICK_MS,
    );
    this.discoveryTimer.unref?.();
    await this.localDiscovery.start();
  }

  private localDiscoveryRows(torrent: Torrent, now: number): SourceStatus[] {
    const seeds = new Set<string>();
    for (const peer of torrent.peers) if (peer.isSeed) seeds.add(peer.label);
    return this.localDiscovery.rows(localDiscoveryView(torrent), now, (address) =>
      seeds.has(address),
    );
  }

  /** The session's DHT node, when it runs one. */
  get dht(): SessionDht | undefined {
    return this.dhtValue;
  }

  /** BEP 5: our own node on the listen port (UDP), its state in the state folder. */
  private async startDht(): Promise<void> {
    if (this.dhtValue || !this.options.dht) return;
    const dht = await startDht({
      socket: await this.udpSocket?.(),
      port: this.portValue,
      host: this.options.host,
      bootstrap: this.options.dhtBootstrap,
      state: this.options.stateDir ? join(this.options.stateDir, 'dht.state') : undefined,
    });
    this.dhtValue = dht;
    this.sharedDht = dht;
    this.ownDht = true;
  }

  private dhtPort(): number | undefined {
    const dht = this.dhtValue;
    return dht?.address?.().port ?? (dht ? this.portValue : undefined);
  }

  private plugins(): TorrentPlugin[] {
    const plugins = [...(this.options.plugins ?? [])];
    if (this.dhtValue)
      plugins.unshift(dhtDiscovery({ dht: this.dhtValue, port: () => this.portValue }));
    return plugins;
  }

  private onDhtNode(): ((address: PeerAddress) => void) | undefined {
    const dht = this.dhtValue;
    return this.options.onDhtNode ?? (dht ? (address) => dht.addNode(address) : undefined);
  }

  private route(peer: IncomingPeer): void {
    const hex = toHex(peer.infoHash);
    const magnet =
      this.magnets.get(hex) ??
      [...this.magnets.values()].find((each) =>
        each.swarmHashes.some((infoHash) => toHex(infoHash) === hex),
      );
    if (magnet && !this.closed) {
      peer.accept(this.peerId).then(
        (wire) => magnet.acceptWire(wire),
        () => undefined,
      );
      return;
    }
    const torrent = this.torrentOf(toHex(peer.infoHash));
    if (
      !torrent ||
      this.closed ||
      this.connectionCount() >= (this.options.maxConnections ?? 200) ||
      !acceptsIncoming(this.policyOf(torrent), peer.encrypted ? 'mse' : 'plaintext')
    ) {
      peer.reject();
      return;
    }
    peer.accept(this.peerId, torrent.picker.pieceCount, { reserved: torrent.reserved }).then(
      (wire) => torrent.acceptWire(wire),
      () => undefined,
    );
  }

  /** A torrent's MSE/PE policy: its own, else the session's. */
  private policyOf(torrent: Torrent): EncryptionPolicy {
    return torrent.encryption ?? this.options.encryption ?? 'allow';
  }

  private *encryptionPolicies(): Iterable<{ infoHash: Uint8Array; encryption: EncryptionPolicy }> {
    for (const torrent of this.torrents.values()) {
      for (const infoHash of torrent.swarmHashes)
        yield { infoHash, encryption: this.policyOf(torrent) };
    }
  }

  private connectionCount(): number {
    let count = 0;
    for (const torrent of this.torrents.values()) count += torrent.peerCount;
    for (const magnet of this.magnets.values()) count += magnet.stats().peers;
    return count;
  }

  /** Adds a torrent and starts it (check, then download or seed) unless `paused`. */
  async addTorrent(description: TorrentDescription, options: AddTorrentOptions): Promise<Torrent> {
    if (this.closed) throw new SessionError('session-closed', 'the session is closed');
    if (this.torrents.has(description.infoHashHex) || this.magnets.has(description.infoHashHex)) {
      throw new SessionError(
        'torrent-exists',
        `torrent ${description.infoHashHex} is already in the session`,
      );
    }
    // refused (invalid-option) before anything is created
    const selection = new FileSelection(description, options.selection);
    let storage;
    try {
      storage = await this.storageFactory(description, options.directory, {
        wantedFiles: selection.wantedList(),
      });
    } catch (error) {
      throw new SessionError(
        'storage-failed',
        `cannot open storage: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    const torrent: Torrent = new Torrent({
      torrent: description,
      storage,
      peerId: this.peerId,
      port: () => this.portValue,
      transport: this.transport,
      trackers: this.trackers,
      clock: this.clock,
      peers: options.peers,
      maxPeers: options.maxPeers ?? this.options.maxPeersPerTorrent ?? 50,
      canConnect: () => this.connectionCount() < (this.options.maxConnections ?? 200),
      peerIds: this.peerIds,
      sequential: options.sequential,
      selection: options.selection,
      encryption: checkedPolicy(options.encryption) ?? this.options.encryption,
      downloadLimit: options.downloadLimit,
      uploadLimit: options.uploadLimit,
      globalDownload: this.downloadBucket,
      globalUpload: this.uploadBucket,
      seed: options.seed,
      snubTimeoutMs: this.options.snubTimeoutMs,
      onDhtNode: this.onDhtNode(),
      dhtPort: this.dhtPort(),
      extensions: this.extensions,
      plugins: this.plugins(),
      extensionRegistry: this.extensionRegistry,
      skipCheck: options.skipCheck,
      webSeedFetcher: this.webSeedFetcher(),
      webSeeds: options.webSeeds,
      sources: (now) => this.localDiscoveryRows(torrent, now),
    });
    this.torrents.set(description.infoHashHex, torrent);
    for (const infoHash of torrent.swarmHashes.slice(1))
      this.swarmAliases.set(toHex(infoHash), torrent);
    torrent.onAny((event) =>
      this.hub.emit('event', { ...event, infoHash: description.infoHashHex }),
    );
    if (!options.paused) void torrent.start();
    return torrent;
  }

  private webSeedFetcher(): WebSeedFetcher | undefined {
    if (this.options.webSeeds === false) return undefined;
    return this.options.webSeeds ?? (this.ownWebSeedClient ??= new HttpRangeClient());
  }

  /**
   * Adds a magnet link (BEP 9): its torrent exists at once, in the `metadata` state, finds peers
   * through the link's trackers and `x.pe`, the DHT and the session's other sources, and fetches
   * the info dictionary from them. Once it matches the info-hash the session adds the torrent
   * (as `addTorrent` would, with the peers found so far), unless `metadataOnly`.
   * BEP 53 `so` (`magnet.selectOnly`) becomes the torrent's file selection unless
   * `options.selection` is given.
   */
  addMagnet(link: string | Magnet, options: AddMagnetOptions): MagnetTorrent {
    if (this.closed) throw new SessionError('session-closed', 'the session is closed');
    const magnet = typeof link === 'string' ? parseMagnet(link) : link;
    // BEP 52: a link with only `urn:btmh:` reaches its peers by the v2 hash truncated to 20 bytes
    const infoHash = magnet.infoHash ?? magnet.infoHashV2?.subarray(0, 20);
    if (!infoHash)
      throw new SessionError(
        'invalid-option',
        'the magnet has no info-hash (urn:btih: or urn:btmh:)',
      );
    const infoHashHex = toHex(infoHash);
    if (this.torrentOf(infoHashHex) || this.magnets.has(infoHashHex))
      throw new SessionError('torrent-exists', `torrent ${infoHashHex} is already in the session`);
    const swarmHashes = [infoHash];
    if (magnet.infoHash && magnet.infoHashV2) swarmHashes.push(magnet.infoHashV2.subarray(0, 20));
    const pending = new MagnetTorrent({
      magnet: { ...magnet, infoHash, infoHashHex },
      swarmHashes,
      v2Only: magnet.infoHash === undefined,
      peerId: this.peerId,
      port: () => this.portValue,
      transport: this.transport,
      trackers: this.trackers,
      clock: this.clock,
      peerIds: this.peerIds,
      extensions: this.extensions,
      plugins: this.plugins(),
      extensionRegistry: this.extensionRegistry,
      maxPeers: options.maxPeers ?? this.options.maxPeersPerTorrent ?? 50,
      canConnect: () => this.connectionCount() < (this.options.maxConnections ?? 200),
      maxMetadataSize: options.maxMetadataSize,
      onDhtNode: this.onDhtNode(),
      dhtPort: this.dhtPort(),
    });
    this.magnets.set(infoHashHex, pending);
    pending.onAny((event) => this.hub.emit('event', { ...event, infoHash: infoHashHex }));
    for (const address of options.peers ?? []) pending.addPeers([address], 'manual');
    pending.whenMetadata().then(
      (metainfo) => void this.afterMetadata(pending, metainfo, options),
      () => undefined,
    );
    if (!options.paused) pending.start();
    return pending;
  }

  private async afterMetadata(
    pending: MagnetTorrent,
    metainfo: Metainfo,
    options: AddMagnetOptions,
  ): Promise<void> {
    if (this.magnets.get(pending.infoHashHex) !== pending) return;
    const known = pending.knownPeers();
    // gone from the table at once, so the caller may add the torrent itself
    this.magnets.delete(pending.infoHashHex);
    await pending.stop(options.metadataOnly ? 'stopped' : 'checking');
    if (options.metadataOnly || this.closed) return;
    try {
      const selectOnly = pending.magnet.selectOnly;
      const selection =
        options.selection ??
        (selectOnly === undefined
          ? undefined
          : selectionFromRanges(selectOnly, metainfo.files.length));
      const torrent = await this.addTorrent(metainfo, { ...options, selection, paused: false });
      for (const { address, source } of known) torrent.addPeers([address], source);
      pending.handOver(torrent);
    } catch (error) {
      pending.handOverFailed(SessionError.from(error, 'storage-failed'));
    }
  }

  /** A magnet still fetching its metadata. */
  getMagnet(infoHash: string | Uint8Array): MagnetTorrent | undefined {
    return this.magnets.get(
      typeof infoHash === 'string' ? infoHash.toLowerCase() : toHex(infoHash),
    );
  }

  /** A torrent by its info-hash (a hybrid torrent by either of its two, the v2 one truncated). */
  get(infoHash: string | Uint8Array): Torrent | undefined {
    return this.torrentOf(typeof infoHash === 'string' ? infoHash.toLowerCase() : toHex(infoHash));
  }

  private torrentOf(infoHashHex: string): Torrent | undefined {
    return this.torrents.get(infoHashHex) ?? this.swarmAliases.get(infoHashHex);
  }

  list(): Torrent[] {
    return [...this.torrents.values()];
  }

  /** Stops a torrent gracefully and forgets it (its data stays on disk). */
  async removeTorrent(infoHash: string | Uint8Array): Promise<void> {
    const magnet = this.getMagnet(infoHash);
    if (magnet) {
      this.magnets.delete(magnet.infoHashHex);
      await magnet.stop();
      return;
    }
    const torrent = this.get(infoHash);
    if (!torrent) throw new SessionError('torrent-not-found', 'no such torrent in the session');
    this.torrents.delete(torrent.infoHashHex);
    for (const infoHash of torrent.swarmHashes.slice(1)) this.swarmAliases.delete(toHex(infoHash));
    await torrent.stop();
  }

  /** Drops a torrent's fast-resume record (with `resume`), so its next start hashes the data. */
  async forgetResume(infoHash: string): Promise<void> {
    await this.options.resume?.forget(infoHash.toLowerCase());
  }

  /** Changes the global limits (bytes per second, 0 = unlimited) while the session runs. */
  setLimits(limits: { downloadLimit?: number; uploadLimit?: number }): void {
    for (const [name, value] of Object.entries(limits)) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0))
        throw new SessionError('invalid-option', `${name} must be 0 or more, got ${value}`);
    }
    if (limits.downloadLimit !== undefined) this.downloadBucket.rate = limits.downloadLimit;
    if (limits.uploadLimit !== undefined) this.uploadBucket.rate = limits.uploadLimit;
  }

  /** Every torrent's events, tagged with its info-hash. */
  onEvent(listener: (event: SessionEvent) => void): () => void {
    return this.hub.on('event', listener);
  }

  /** Events as an async iterable, until the signal aborts or the session closes. */
  async *events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<SessionEvent> {
    const queue: SessionEvent[] = [];
    let wake: (() => void) | undefined;
    const off = this.onEvent((event) => {
      if (queue.length < 10_000) queue.push(event);
      wake?.();
    });
    const onAbort = (): void => wake?.();
    options.signal?.addEventListener('abort', onAbort);
    try {
      while (!options.signal?.aborted && !this.closed) {
        if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        while (queue.length > 0) yield queue.shift()!;
      }
    } finally {
      off();
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  stats(): SessionStats {
    const torrents = [
      ...[...this.magnets.values()].map((magnet) => magnet.stats()),
      ...this.list().map((torrent) => torrent.stats()),
    ];
    return {
      port: this.portValue,
      peerId: toHex(this.peerId),
      downloadRate: torrents.reduce((sum, t) => sum + t.downloadRate, 0),
      uploadRate: torrents.reduce((sum, t) => sum + t.uploadRate, 0),
      connections: torrents.reduce((sum, t) => sum + t.peers, 0),
      torrents,
    };
  }

  /** Graceful stop: every torrent stopped (announces `stopped`, data flushed), port closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.discoveryTimer) clearInterval(this.discoveryTimer);
    await this.localDiscovery.close();
    await Promise.allSettled([
      ...[...this.magnets.values()].map((magnet) => magnet.stop()),
      ...this.list().map((torrent) => torrent.stop()),
    ]);
    this.torrents.clear();
    this.magnets.clear();
    if (this.ownDht) await this.dhtValue?.close();
    await this.transport.close();
    await this.ownTrackers?.close();
    await this.ownWebSeedClient?.close();
    await this.hashPool?.close();
  }
}

/** A torrent as local discovery sees it. */
/** BEP 14 is on unless turned off; a session that accepts no peers has nothing to announce. */
function localDiscoveryFactory(options: SessionOptions): LocalDiscoveryFactory | undefined {
  const chosen = options.localDiscovery;
  if (chosen === false) return undefined;
  if (typeof chosen === 'function') return chosen;
  return chosen === true || !options.noListen ? multicastLocalDiscovery : undefined;
}

function localDiscoveryView(torrent: Torrent): LocalDiscoveryTorrent {
  return {
    infoHash: torrent.infoHash,
    active: torrent.state === 'downloading' || torrent.state === 'seeding',
    publicDiscovery: allowsPublicDiscovery(torrent.description),
    addPeers: (addresses) => torrent.addPeers(addresses, 'lpd'),
  };
}
