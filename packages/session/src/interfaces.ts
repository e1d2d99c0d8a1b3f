/**
 * What the engine consumes, defined here so a front-end can swap any layer: a tracker client,
 * a storage per torrent, and a peer transport (dial out, accept in). The defaults
 * (`@bt/tracker-http`, `@bt/tracker-udp`, `@bt/storage`, `TcpTransport` of `@bt/wire/node`,
 * whose `PeerWire` is the one peer shell) are plugged in
 * by `createSession`'s options; these shapes are deliberately small.
 */
import type { MetainfoV2 } from '@bt/metainfo';
import type { EncryptionPolicy } from '@bt/mse';
import type { AnnounceRequest, AnnounceResult, PeerAddress, ScrapeResult } from '@bt/primitives';
import type { BlockRequest as WireBlockRequest, ExtendedHandshake, Message } from '@bt/wire';

/** Announces to one tracker URL. */
export interface TrackerClient {
  announce(
    url: string,
    request: AnnounceRequest,
    options?: { signal?: AbortSignal },
  ): Promise<AnnounceResult>;
  /** Swarm counts for one or more torrents (BEP 48 / BEP 15), where the tracker offers it. */
  scrape?(
    url: string,
    infoHashes: Uint8Array[],
    options?: { signal?: AbortSignal },
  ): Promise<ScrapeResult>;
  close?(): Promise<void>;
}

/** Picks the client for a tracker URL by its scheme; `undefined` for schemes nobody speaks. */
export type TrackerClientResolver = (url: string) => TrackerClient | undefined;

/** The verdict on a piece whose last block was written. */
export interface PieceVerdict {
  index: number;
  ok: boolean;
}

/** The storage of one torrent (the `Storage` of `@bt/storage` is one). */
export interface TorrentStorage {
  /**
   * Stores a block, and nothing more: the engine knows which blocks make a piece whole (it asked
   * for them) and then calls `verifyPiece`. `bytes` is lent for the duration of the call only
   * (the transport reuses its read buffer afterwards): copy what must be kept before returning.
   */
  writeBlock(
    pieceIndex: number,
    offset: number,
    bytes: Uint8Array,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /**
   * Hashes a piece as stored by every `writeBlock` called before (off the main thread) and,
   * when it matches, keeps it as complete; a piece that fails is discarded.
   */
  verifyPiece(pieceIndex: number, options?: { signal?: AbortSignal }): Promise<PieceVerdict>;
  readBlock(
    pieceIndex: number,
    offset: number,
    length: number,
    options?: { signal?: AbortSignal },
  ): Promise<Uint8Array>;
  /**
   * Optional: gives back a block `readBlock` returned, once it was sent, so the storage may reuse
   * its memory (the `Storage` of `@bt/storage` lends views of a read cache).
   */
  releaseBlock?(block: Uint8Array): void;
  /** Optional: the block at once when the storage has it in memory (lent like `readBlock`'s). */
  peekBlock?(pieceIndex: number, offset: number, length: number): Uint8Array | undefined;
  /**
   * Optional: how many pieces the storage holds in memory at once (partial, or on their way to
   * the disk). The engine starts no more than that, so blocks never wait for memory.
   */
  readonly memoryPieces?: number;
  /** Hashes what is on disk; resolves with the pieces that verify. */
  recheck(options?: {
    signal?: AbortSignal;
    onProgress?: (progress: { checkedPieces: number; totalPieces: number }) => void;
  }): Promise<{ has(index: number): boolean }>;
  /**
   * Optional (file selection): file `fileIndex` is wanted again (its bytes kept in a part file
   * move into place) or no longer (not created if it does not exist yet).
   */
  setFileWanted?(fileIndex: number, wanted: boolean): Promise<void>;
  flush(): Promise<unknown>;
  close(): Promise<void>;
}

/** How a storage is opened: `wantedFiles` per file (all when absent); unwanted ones are not created. */
export interface StorageOpenOptions {
  wantedFiles?: readonly boolean[];
}

/** What a storage needs to know of a torrent: the `Metainfo` of `@bt/metainfo` is one. */
export interface TorrentDescription {
  infoHash: Uint8Array;
  infoHashHex: string;
  name: string;
  pieceLength: number;
  pieceCount: number;
  length: number;
  pieces: Uint8Array;
  files: readonly { path: readonly string[]; length: number; offset: number; padding?: boolean }[];
  multiFile: boolean;
  private?: boolean;
  /** BEP 19 web seeds. */
  urlList?: readonly string[];
  /** BEP 17 HTTP seeds. */
  httpSeeds?: readonly string[];
  announce: readonly (readonly string[])[];
  /** BEP 52: `v2` for a v2-only torrent (its pieces are checked with merkle roots), `hybrid`. */
  version?: 'v1' | 'v2' | 'hybrid';
  /** BEP 52: the files' merkle roots and the piece layers, served to peers' hash requests. */
  v2?: Pick<MetainfoV2, 'files' | 'pieceLayers'> & {
    /** The SHA-256 info-hash: a hybrid torrent is announced and reached under it too (truncated). */
    infoHash?: Uint8Array;
  };
  /** The raw bencoded info dictionary (`Metainfo.infoBytes`): what BEP 9 serves to peers. */
  infoBytes?: Uint8Array;
}

/** Makes the storage of a torrent whose content goes in `directory/<name>`. */
export type StorageFactory = (
  torrent: TorrentDescription,
  directory: string,
  options?: StorageOpenOptions,
) => TorrentStorage | Promise<TorrentStorage>;

/** Which optional protocols both sides announced in the handshake. */
export interface PeerCapabilities {
  /** BEP 6 fast extension. */
  fast: boolean;
  /** BEP 10 extension protocol. */
  extended: boolean;
  /** BEP 5: both sides run a DHT (the peer may send `port`, and we send ours). */
  dht?: boolean;
}

/** Callbacks a peer wire delivers to; set once, before any message can arrive. */
export interface PeerWireHandlers {
  onMessage(message: Message): void;
  /** The connection ended (`error` when it ended badly). */
  onClose(error?: Error): void;
  /** Outgoing buffers drained below the high-water mark. */
  onDrain?(): void;
}

/** One handshaken peer connection, as the engine drives it. */
export interface PeerWire {
  /** Where the peer is; none for a peer without an address (a web seed). */
  readonly address?: PeerAddress;
  /** How to show a peer without an address (a web seed's URL). */
  readonly label?: string;
  readonly peerId: Uint8Array;
  readonly capabilities: PeerCapabilities;
  readonly incoming: boolean;
  /** The connection is encrypted (MSE/PE with RC4). */
  readonly encrypted?: boolean;
  /** Starts delivering messages (those that arrived with the handshake first). */
  start(handlers: PeerWireHandlers): void;
  send(message: Message): void;
  /** Many requests in one write. */
  sendRequests(requests: readonly WireBlockRequest[]): void;
  /**
   * A piece message; the block is written without being copied. `onSent`, at most once, when the
   * transport no longer holds the block (it may never be called).
   */
  sendPiece(index: number, begin: number, block: Uint8Array, onSent?: () => void): void;
  /** Bytes queued for sending, for backpressure. */
  readonly bufferedBytes: number;
  /** Optional: true once the connection ended (a wire held before `start` may end meanwhile). */
  readonly closed?: boolean;
  close(error?: Error): void;
}

export interface DialOptions {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  /** The torrent's piece count, so the wire checks bitfields and indices. */
  pieceCount?: number;
  /** Reserved bits of this connection over the transport's: `dht: false` for a private torrent. */
  reserved?: ReservedBits;
  /** The torrent's encryption policy, when the transport speaks MSE/PE (the default one does). */
  encryption?: EncryptionPolicy;
  signal?: AbortSignal;
}

/** Handshake reserved bits a torrent may set per connection (BEP 5's DHT bit). */
export interface ReservedBits {
  dht?: boolean;
}

/** An incoming connection whose handshake named a torrent; accept it to get its wire. */
export interface IncomingPeer {
  readonly infoHash: Uint8Array;
  readonly address: PeerAddress;
  /** The connection is encrypted (MSE/PE with RC4). */
  readonly encrypted?: boolean;
  /** Sends our handshake back and yields the wire. */
  accept(
    peerId: Uint8Array,
    pieceCount?: number,
    options?: { reserved?: ReservedBits },
  ): Promise<PeerWire>;
  reject(): void;
}

/** Dials peers and accepts them on one port. */
export interface PeerTransport {
  dial(address: PeerAddress, options: DialOptions): Promise<PeerWire>;
  /** Starts accepting; resolves with the bound port. */
  listen(port: number, onPeer: (peer: IncomingPeer) => void, host?: string): Promise<number>;
  close(): Promise<void>;
  /** Optional: what carries a wire of this transport (shown in `peerStats`). */
  describe?(wire: PeerWire): { utp?: boolean; encrypted?: boolean };
}

export type { ExtendedHandshake, Message };
