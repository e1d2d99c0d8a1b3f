/**
 * BEP 10 extensions of the session (BEP 9 `ut_metadata` and BEP 11 `ut_pex` plug in here). An
 * extension is registered once with the session by name; the wire's `ExtensionRegistry` gives it
 * the id we receive it under and writes the `m` dictionary. For each torrent the extension makes
 * a handler (`attach`), which the torrent calls per peer: the fields it adds to our handshake,
 * the peer's handshake, each message of the extension from that peer, the peer's going, and a
 * tick. `extendedHandshake` is the one place our handshake's other fields are built.
 */
import type { EncodableValue } from '@bt/bencode';
import type { PeerAddress } from '@bt/primitives';
import type { ExtendedHandshake } from '@bt/wire';
import type { Clock } from './clock.js';
import type { SessionError } from './errors.js';
import type { TorrentDescription } from './interfaces.js';
import type { PeerSource } from './peer-registry.js';
import type { SourceStatus } from './sources.js';

/**
 * A per-torrent part that is not a BEP 10 message (the DHT, local peer discovery): the same
 * hooks as an extension's handler (peers, tick, source rows), without a name in `m`.
 */
export interface TorrentPlugin {
  /** Its handler for one torrent, made when the torrent starts; `undefined` to stay out. */
  attach(torrent: ExtensionTorrent): TorrentExtensionHandler | undefined;
}

export interface TorrentExtension {
  /** The BEP 10 name, e.g. `ut_metadata`. */
  readonly name: string;
  /**
   * Fields the extension adds to our handshake for this torrent, for an extension with no
   * per-torrent handler (a handler's own `handshake` is asked otherwise).
   */
  handshake?(torrent: TorrentDescription): ExtensionHandshakeFields;
  /**
   * The extension's handler for one torrent, made when the torrent starts (and again after a
   * pause); `undefined` to stay out of this torrent (e.g. peer exchange for a private one, BEP 27).
   */
  attach?(torrent: ExtensionTorrent): TorrentExtensionHandler | undefined;
}

/**
 * One extension's part in one torrent. Every hook is optional and runs on the event loop's turn
 * of the message that caused it: keep them short, never throw (a throw drops the peer).
 */
export interface TorrentExtensionHandler {
  /** Fields added to our extended handshake with each peer of this torrent. */
  handshake?(): ExtensionHandshakeFields;
  /** A peer connected (before any of its messages). */
  onPeerConnected?(peer: ExtensionPeer): void;
  /**
   * The peer's BEP 10 handshake (a later one updates the earlier: BEP 10). Called whether or not
   * the peer named this extension: see `peer.supports(name)`.
   */
  onHandshake?(peer: ExtensionPeer, handshake: ExtendedHandshake): void;
  /**
   * A message of this extension from the peer (sent to the id we gave it in our `m`). `payload`
   * is a view the transport may reuse after the call: copy what you keep.
   */
  onMessage?(peer: ExtensionPeer, payload: Uint8Array): void;
  /** The peer's connection ended. */
  onPeerClosed?(peer: ExtensionPeer): void;
  /** The torrent's tick (every 250 ms while it runs), for timers. */
  tick?(now: number): void;
  /**
   * False: this torrent does not offer the extension (BEP 27: peer exchange of a private
   * torrent); its name is left out of our handshake's `m`. Default true.
   */
  readonly offered?: boolean;
  /** Rows this extension adds to the torrent's source table (`[Peer Exchange]`). */
  sources?(now: number): SourceStatus[];
  /** The torrent paused, stopped or failed: this handler is done. */
  close?(): void;
}

/** What an extension sees of its torrent. */
export interface ExtensionTorrent {
  readonly infoHash: Uint8Array;
  /** Every swarm's 20-byte info-hash (a hybrid torrent is in two, BEP 52); `[infoHash]` if absent. */
  readonly swarmHashes?: readonly Uint8Array[];
  /** The torrent's description; `undefined` while a magnet's metadata is still being fetched. */
  readonly description: TorrentDescription | undefined;
  /** BEP 27: false for a private torrent (no DHT, peer exchange or local discovery). */
  readonly publicDiscovery: boolean;
  readonly clock: Clock;
  /** Aborted when the torrent pauses, stops or fails. */
  readonly signal: AbortSignal;
  /** The peers connected now. */
  peers(): Iterable<ExtensionPeer>;
  /** Adds addresses to the torrent's pool; they are dialled like the others. */
  addPeers(addresses: readonly PeerAddress[], source: PeerSource): void;
}

/** A connected peer, as an extension sees it. The same object for the life of the connection. */
export interface ExtensionPeer {
  /** Unique within the torrent while it lives. */
  readonly id: number;
  /** Where the peer listens (dialled) or connected from (incoming); none for a web seed. */
  readonly address: PeerAddress | undefined;
  /** BEP 10 `p` from its handshake: the port it listens on, when it said. */
  readonly listenPort: number | undefined;
  readonly incoming: boolean;
  /** The peer has every piece (false while the torrent's size is unknown). */
  readonly seed: boolean;
  /** Its latest BEP 10 handshake; `undefined` before it arrives. */
  readonly handshake: ExtendedHandshake | undefined;
  /** True when the peer's handshake names extension `name` (and did not turn it off since). */
  supports(name: string): boolean;
  /**
   * Sends a message of extension `name`, under the id the peer gave it. False (and nothing
   * sent) when the peer does not support it or the connection is gone.
   */
  send(name: string, payload: Uint8Array): boolean;
  /** Closes the connection, blaming the peer (it broke the extension's protocol). */
  drop(error: SessionError): void;
}

export interface ExtensionHandshakeFields {
  /** BEP 9: the size of the info dictionary. */
  metadataSize?: number;
  /** Other keys of the handshake dictionary, written as they are (e.g. `upload_only`). */
  extra?: Readonly<Record<string, EncodableValue>>;
}

export interface ExtendedHandshakeOptions {
  /** The torrent; `undefined` while a magnet's metadata is being fetched. */
  torrent?: TorrentDescription;
  /** Our listening port (`p`). */
  port: number;
  /** How many requests we queue per peer (`reqq`). */
  requestQueueLength: number;
  extensions?: readonly TorrentExtension[];
  /** Extensions this torrent does not offer: left out of `m` (see `TorrentExtensionHandler.offered`). */
  off?: readonly string[];
  /** Fields from the torrent's extension handlers (the later wins on a clash). */
  fields?: readonly ExtensionHandshakeFields[];
}

/** Our client's name in handshakes (`v`). */
export const CLIENT_NAME = 'bt 0.1';

/**
 * Our BEP 10 handshake for a peer of `torrent`. `extensions` (`m`) is left to the wire, whose
 * registry knows the ids.
 */
export function extendedHandshake(
  options: ExtendedHandshakeOptions,
): ExtendedHandshake & { extra?: Record<string, EncodableValue> } {
  let metadataSize: number | undefined;
  let extra: Record<string, EncodableValue> | undefined;
  const all: ExtensionHandshakeFields[] = [];
  for (const extension of options.extensions ?? []) {
    const added = options.torrent && extension.handshake?.(options.torrent);
    if (added) all.push(added);
  }
  all.push(...(options.fields ?? []));
  for (const added of all) {
    if (added.metadataSize !== undefined) metadataSize = added.metadataSize;
    if (added.extra) extra = { ...extra, ...added.extra };
  }
  return {
    extensions: Object.fromEntries((options.off ?? []).map((name) => [name, 0])),
    port: options.port > 0 ? options.port : undefined,
    client: CLIENT_NAME,
    requestQueueLength: options.requestQueueLength,
    yourIp: undefined,
    ipv4: undefined,
    ipv6: undefined,
    metadataSize,
    dictionary: new Map(),
    extra,
  };
}
