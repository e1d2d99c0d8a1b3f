/**
 * @bt/session: the bt engine. One listening port, many torrents, each a state machine from
 * checking to downloading to seeding, composed from the protocol layers: discovery by BEP 12
 * tracker tiers over HTTP and UDP (BEP 3, BEP 15), the peer wire (BEP 3, BEP 6 fast, BEP 10),
 * rarest-first picking with endgame, the standard choker, token-bucket limits, typed events and
 * stats. Every layer it consumes is an interface here (`TrackerClient`, `TorrentStorage`,
 * `PeerTransport`) with defaults plugged in by `createSession`.
 *
 * The pure parts (`PiecePicker`, `Choker`, `TrackerTiers`, `PeerRegistry`, `TokenBucket`,
 * `RateMeter`, `pipelineDepth`) take time from an injected clock and are usable on their own.
 * Events carry `SessionError`s whose `party` says whether a peer, a tracker or our I/O failed.
 * Local peer discovery (BEP 14) is one service per session (`SessionOptions.localDiscovery`).
 * `allowsPublicDiscovery` is the one BEP 27 check discovery asks; BEP 10 extensions plug into
 * the one hook (`TorrentExtension`: per torrent a `TorrentExtensionHandler` that adds handshake
 * fields and receives each peer's handshake, its messages of that extension and its going).
 * The default transport is TCP with MSE/PE (`EncryptedTcpTransport`) under the session's or the
 * torrent's `encryption` policy. Streaming: `Torrent.createReadStream` reads a file while it
 * downloads, its pieces picked first by deadline (`PieceDeadlines`, libtorrent's
 * `set_piece_deadline` model); the HTTP server over it is in `./node`.
 */
export { Choker } from './choker.js';
export type { ChokeCandidate, ChokerOptions } from './choker.js';
export { ManualClock, systemClock } from './clock.js';
export type { Clock, RandomSource } from './clock.js';
export {
  createDefaultTrackerResolver,
  fileStorageFactory,
  type DefaultTrackerOptions,
} from './defaults.js';
export { allowsPublicDiscovery } from './discovery.js';
export { swarmInfoHashes } from './swarms.js';
export type { SwarmSource } from './swarms.js';
export {
  ENCRYPTION_POLICIES,
  EncryptedTcpTransport,
  EncryptedTransport,
} from './encrypted-transport.js';
export type {
  EncryptedTcpTransportOptions,
  EncryptedTransportOptions,
  EncryptionPolicy,
  StreamTransport,
} from './encrypted-transport.js';
export { SessionError } from './errors.js';
export type { SessionErrorCode, SessionErrorParty } from './errors.js';
export { EventHub } from './events.js';
export type { TorrentEvent, TorrentEventMap, TorrentEventType, TorrentState } from './events.js';
export { CLIENT_NAME, extendedHandshake } from './extensions.js';
export type {
  ExtendedHandshakeOptions,
  ExtensionHandshakeFields,
  ExtensionPeer,
  ExtensionTorrent,
  TorrentExtension,
  TorrentExtensionHandler,
  TorrentPlugin,
} from './extensions.js';
export type {
  DialOptions,
  IncomingPeer,
  ReservedBits,
  PeerCapabilities,
  PeerTransport,
  PeerWire,
  PeerWireHandlers,
  PieceVerdict,
  StorageFactory,
  StorageOpenOptions,
  TorrentDescription,
  TorrentStorage,
  TrackerClient,
  TrackerClientResolver,
} from './interfaces.js';
export {
  LocalPeerDiscoveryService,
  MAX_PEERS_PER_TORRENT as MAX_LOCAL_DISCOVERY_PEERS,
  multicastLocalDiscovery,
} from './local-discovery.js';
export type {
  LocalDiscovery,
  LocalDiscoveryFactory,
  LocalDiscoveryOptions,
  LocalDiscoveryTorrent,
  LocalPeerDiscoveryServiceOptions,
} from './local-discovery.js';
export { PEX_EXTENSION, PeerExchange, peerExchange } from './peer-exchange.js';
export type { PeerExchangeOptions } from './peer-exchange.js';
export { PeerIdSet, PeerRegistry } from './peer-registry.js';
export type { PeerRegistryOptions, PeerSource } from './peer-registry.js';
export { FileSelection, selectionFromRanges } from './file-selection.js';
export type { FilePriority, FileSelectionOptions, FileStatus } from './file-selection.js';
export { PieceDeadlines } from './piece-deadlines.js';
export type { DeadlineOwner, UrgentPiece } from './piece-deadlines.js';
export { createFileReadStream, fileEndsFirst } from './file-stream.js';
export type { FileReadStreamOptions, StreamableTorrent } from './file-stream.js';
export { contentTypeOf, parseRange } from './http-range.js';
export type { RangeAnswer } from './http-range.js';
export { BLOCK_SIZE, PiecePicker } from './piece-picker.js';
export type { BlockResult, PickerPeer, PiecePickerOptions } from './piece-picker.js';
export { RateMeter, TokenBucket, pipelineDepth, takeAll } from './rate.js';
export type { PipelineOptions } from './rate.js';
export { folderResumeStore, resumableStorageFactory } from './resume-storage.js';
export type { ResumableStorageOptions, ResumeRecord, ResumeStore } from './resume-storage.js';
export { createSession, Session } from './session.js';
export type {
  AddMagnetOptions,
  AddTorrentOptions,
  SessionEvent,
  SessionOptions,
  SessionStats,
} from './session.js';
export { MagnetTorrent } from './magnet-torrent.js';
export {
  MAX_METADATA_SIZE,
  MetadataFetch,
  UT_METADATA,
  metadataExtension,
} from './metadata-exchange.js';
export type { MetadataFetchOptions } from './metadata-exchange.js';
export { DHT_SOURCE, dhtDiscovery } from './dht-discovery.js';
export type { DhtDiscoveryOptions, SessionDht } from './dht-discovery.js';
export { Torrent } from './torrent.js';
export type { WebSeedFetcher } from './web-seed-wire.js';
export type { PeerStats, TorrentLimits, TorrentStats } from './torrent.js';
export type { SourceStatus } from './sources.js';
export { DualTransport } from './transport-policy.js';
export type { DualTransportOptions, TransportMode } from './transport-policy.js';
export { UtpTransport } from './utp-transport.js';
export type { UtpTransportOptions } from './utp-transport.js';
export type { TorrentOptions } from './torrent-context.js';
export { TrackerTiers } from './tracker-tiers.js';
export type {
  DueAnnounce,
  TrackerState,
  TrackerStatus,
  TrackerTiersOptions,
} from './tracker-tiers.js';
