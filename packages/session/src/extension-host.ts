/**
 * Runs a torrent's BEP 10 extensions: makes each extension's handler when the torrent starts,
 * keeps per peer the extension ids the peer gave (its `m`, updated by later handshakes: BEP 10),
 * and routes the peer's extended messages to the handler of the extension they name. Extended
 * messages nobody registered are ignored, as BEP 10 asks.
 */
import type { PeerAddress } from '@bt/primitives';
import type { ExtendedHandshake, ExtensionRegistry } from '@bt/wire';
import type { Clock } from './clock.js';
import { SessionError } from './errors.js';
import type {
  ExtensionHandshakeFields,
  ExtensionPeer,
  ExtensionTorrent,
  TorrentExtension,
  TorrentExtensionHandler,
  TorrentPlugin,
} from './extensions.js';
import type { Message, PeerWire, TorrentDescription } from './interfaces.js';
import type { PeerSource } from './peer-registry.js';
import type { SourceStatus } from './sources.js';

/** What the host needs of a connected peer (the engine's `Peer` is one). */
export interface HostedPeer {
  readonly id: number;
  readonly wire: PeerWire;
  readonly isSeed: boolean;
}

/** What the host needs of its torrent. */
export interface ExtensionHostOptions {
  infoHash: Uint8Array;
  /** Every swarm's info-hash (`swarmInfoHashes`); `[infoHash]` by default. */
  swarmHashes?: readonly Uint8Array[];
  description: () => TorrentDescription | undefined;
  publicDiscovery: boolean;
  clock: Clock;
  signal: () => AbortSignal;
  extensions: readonly TorrentExtension[];
  /** Per-torrent parts without a BEP 10 name (the DHT, local discovery). */
  plugins?: readonly TorrentPlugin[];
  /** Names incoming ids when the transport did not (the registry the session gave its transport). */
  registry?: ExtensionRegistry;
  addPeers(addresses: readonly PeerAddress[], source: PeerSource): void;
  /** Closes a peer's connection, blaming it. */
  drop(peer: HostedPeer, error: SessionError): void;
}

class PeerView implements ExtensionPeer {
  readonly peer: HostedPeer;
  private readonly host: ExtensionHost;
  remote: Record<string, number> = {};
  handshake: ExtendedHandshake | undefined;
  closed = false;

  constructor(peer: HostedPeer, host: ExtensionHost) {
    this.peer = peer;
    this.host = host;
  }

  get id(): number {
    return this.peer.id;
  }
  get address(): PeerAddress | undefined {
    return this.peer.wire.address;
  }
  get listenPort(): number | undefined {
    return this.handshake?.port;
  }
  get incoming(): boolean {
    return this.peer.wire.incoming;
  }
  get seed(): boolean {
    return this.peer.isSeed;
  }

  supports(name: string): boolean {
    return this.remote[name] !== undefined;
  }

  send(name: string, payload: Uint8Array): boolean {
    const id = this.remote[name];
    if (this.closed || id === undefined || !this.peer.wire.capabilities.extended) return false;
    this.peer.wire.send({ type: 'extended', id, payload });
    return true;
  }

  drop(error: SessionError): void {
    this.host.dropPeer(this.peer, error);
  }
}

export class ExtensionHost implements ExtensionTorrent {
  private readonly options: ExtensionHostOptions;
  private handlers = new Map<string, TorrentExtensionHandler>();
  /** Plugins' handlers: every hook but messages. */
  private pluginHandlers: TorrentExtensionHandler[] = [];
  private readonly views = new Map<HostedPeer, PeerView>();

  constructor(options: ExtensionHostOptions) {
    this.options = options;
  }

  get infoHash(): Uint8Array {
    return this.options.infoHash;
  }
  get swarmHashes(): readonly Uint8Array[] {
    return this.options.swarmHashes ?? [this.options.infoHash];
  }
  get description(): TorrentDescription | undefined {
    return this.options.description();
  }
  get publicDiscovery(): boolean {
    return this.options.publicDiscovery;
  }
  get clock(): Clock {
    return this.options.clock;
  }
  get signal(): AbortSignal {
    return this.options.signal();
  }

  *peers(): Iterable<ExtensionPeer> {
    yield* this.views.values();
  }

  addPeers(addresses: readonly PeerAddress[], source: PeerSource): void {
    this.options.addPeers(addresses, source);
  }

  /** Makes each extension's handler (the torrent started or resumed). */
  start(): void {
    this.close();
    for (const extension of this.options.extensions) {
      const handler = extension.attach?.(this);
      if (handler) this.handlers.set(extension.name, handler);
    }
    for (const plugin of this.options.plugins ?? []) {
      const handler = plugin.attach(this);
      if (handler) this.pluginHandlers.push(handler);
    }
  }

  /** Every handler, extensions' then plugins'. */
  private all(): TorrentExtensionHandler[] {
    return [...this.handlers.values(), ...this.pluginHandlers];
  }

  /** The torrent stopped: every handler is told, and forgotten. */
  close(): void {
    const handlers = this.all();
    this.handlers = new Map();
    this.pluginHandlers = [];
    for (const handler of handlers) handler.close?.();
  }

  /** Extensions this torrent does not offer (no handler, or one that says so): left out of `m`. */
  offNames(): string[] {
    const off: string[] = [];
    for (const extension of this.options.extensions) {
      if (!extension.attach) continue;
      const handler = this.handlers.get(extension.name);
      if (!handler || handler.offered === false) off.push(extension.name);
    }
    return off;
  }

  /** The handlers' fields for our handshake. */
  handshakeFields(): ExtensionHandshakeFields[] {
    const fields: ExtensionHandshakeFields[] = [];
    for (const handler of this.all()) {
      const added = handler.handshake?.();
      if (added) fields.push(added);
    }
    return fields;
  }

  peerConnected(peer: HostedPeer): void {
    const view = new PeerView(peer, this);
    this.views.set(peer, view);
    for (const handler of this.all()) handler.onPeerConnected?.(view);
  }

  /** Routes an `extended-handshake` or `extended` message of the peer. */
  onMessage(
    peer: HostedPeer,
    message: Extract<Message, { type: 'extended' | 'extended-handshake' }>,
  ): void {
    const view = this.views.get(peer);
    if (!view) return;
    if (message.type === 'extended-handshake') {
      // BEP 10: a later handshake updates the table; id 0 turns an extension off
      const remote = { ...view.remote };
      for (const [name, id] of Object.entries(message.handshake.extensions)) {
        if (id === 0) delete remote[name];
        else remote[name] = id;
      }
      view.remote = remote;
      view.handshake = message.handshake;
      for (const handler of this.all()) handler.onHandshake?.(view, message.handshake);
      return;
    }
    const name = message.name ?? this.options.registry?.nameOf(message.id);
    if (name === undefined) return;
    this.handlers.get(name)?.onMessage?.(view, message.payload);
  }

  peerClosed(peer: HostedPeer): void {
    const view = this.views.get(peer);
    if (!view) return;
    this.views.delete(peer);
    view.closed = true;
    for (const handler of this.all()) handler.onPeerClosed?.(view);
  }

  tick(now: number): void {
    for (const handler of this.all()) handler.tick?.(now);
  }

  sources(now: number): SourceStatus[] {
    const rows: SourceStatus[] = [];
    for (const handler of this.all()) rows.push(...(handler.sources?.(now) ?? []));
    return rows;
  }

  dropPeer(peer: HostedPeer, error: SessionError): void {
    this.options.drop(peer, error);
  }
}

/** The error an extension gives when a peer broke its protocol. */
export function extensionError(name: string, message: string, cause?: unknown): SessionError {
  return new SessionError('peer-protocol', `${name}: ${message}`, { cause });
}
