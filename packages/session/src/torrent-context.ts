/**
 * What a torrent's concerns (peer reactions, downloading, uploading, announcing) share: the
 * options, the picker, the storage, the peers and the torrent's own few verbs. `Torrent`
 * implements it; each concern gets it once and owns its own facts.
 */
import type { EncryptionPolicy } from '@bt/mse';
import type { PeerAddress } from '@bt/primitives';
import type { ExtensionRegistry } from '@bt/wire';
import type { FileSelectionOptions } from './file-selection.js';
import type { Clock } from './clock.js';
import type { SessionError } from './errors.js';
import type { TorrentEventMap, TorrentState } from './events.js';
import type { TorrentExtension, TorrentPlugin } from './extensions.js';
import type {
  PeerTransport,
  TorrentDescription,
  TorrentStorage,
  TrackerClientResolver,
} from './interfaces.js';
import type { Peer } from './peer.js';
import type { PeerIdSet, PeerRegistry } from './peer-registry.js';
import type { PieceDeadlines } from './piece-deadlines.js';
import type { PiecePicker } from './piece-picker.js';
import type { SourceStatus } from './sources.js';
import type { RateMeter, TokenBucket } from './rate.js';
import type { WebSeedFetcher } from './web-seed-wire.js';

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
  /** Which files to download and their priorities (every file, `normal`, when absent). */
  selection?: FileSelectionOptions;
  /** MSE/PE policy of this torrent's connections (the session's unless set). */
  encryption?: EncryptionPolicy;
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
  /** Most requests a peer may queue with us before it counts as a flood. Default `WIRE_DEFAULTS.maxPeerRequests` (2,000). */
  maxPeerRequests?: number;
  /** Skip the recheck (a brand-new download into an empty folder). */
  skipCheck?: boolean;
  /** Rows the session adds to this torrent's source table (`[Local Peer Discovery]`). */
  sources?: (now: number) => SourceStatus[];
  /**
   * BEP 5: a peer said where its DHT node listens (a `port` message). Called only for torrents
   * that allow public discovery (`allowsPublicDiscovery`); the DHT adds the node to its table.
   */
  onDhtNode?: (address: PeerAddress) => void;
  /** BEP 10 extensions: each adds its fields to our handshake and gets its messages. */
  extensions?: readonly TorrentExtension[];
  /** Per-torrent peer sources that are not BEP 10 messages (the DHT, local discovery). */
  plugins?: readonly TorrentPlugin[];
  /** BEP 5: our DHT node's UDP port, sent in `port` messages to peers that run a DHT. */
  dhtPort?: number;
  /** The ids we receive extensions under (given to the transport), to name incoming messages. */
  extensionRegistry?: ExtensionRegistry;
  /** Fetches from web seeds (BEP 19, BEP 17); without it the torrent's web seeds are unused. */
  webSeedFetcher?: WebSeedFetcher;
  /** BEP 19 web seeds beyond the torrent's own `url-list`. */
  webSeeds?: readonly string[];
}

export interface TorrentContext {
  readonly options: TorrentOptions;
  readonly clock: Clock;
  readonly picker: PiecePicker;
  /** Pieces wanted by a time (streams' readers): picked first. */
  readonly deadlines: PieceDeadlines;
  readonly storage: TorrentStorage;
  readonly registry: PeerRegistry;
  readonly peers: ReadonlySet<Peer>;
  readonly state: TorrentState;
  /** Aborted when the torrent pauses, stops or fails. */
  readonly signal: AbortSignal;
  /** Payload bytes both ways over all peers. */
  readonly downloadMeter: RateMeter;
  readonly uploadMeter: RateMeter;
  emit<K extends keyof TorrentEventMap>(type: K, event: TorrentEventMap[K]): void;
  /** Closes the peer's connection, with why when the peer is to blame. */
  drop(peer: Peer, error?: SessionError): void;
  /** The torrent cannot go on (our I/O failed). */
  fail(error: SessionError): void;
}
