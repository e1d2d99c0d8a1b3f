/**
 * BEP 9 `ut_metadata`: serving the info dictionary of every torrent we have it for, and fetching
 * it for a magnet link. The fetch asks several peers at once for 16 KiB pieces, checks the whole
 * against the info-hash, and on a mismatch fetches again one peer at a time so the liar is found
 * (and banned); a peer that rejects or sends garbage is left out, one that stalls is dropped
 * (`peer-stalled`), and others are asked.
 */
import { createHash } from 'node:crypto';
import {
  METADATA_PIECE_LENGTH,
  decodeMetadataMessage,
  encodeMetadataMessage,
  metadataPieceCount,
  type ExtendedHandshake,
  type MetadataMessage,
} from '@bt/wire';
import { SessionError } from './errors.js';
import type {
  ExtensionHandshakeFields,
  ExtensionPeer,
  TorrentExtension,
  TorrentExtensionHandler,
} from './extensions.js';

export const UT_METADATA = 'ut_metadata';
/** The largest info dictionary we fetch (libtorrent's default cap: 30 MiB). */
export const MAX_METADATA_SIZE = 30 * 1024 * 1024;
/** Requests out to one peer at once. */
const REQUESTS_PER_PEER = 8;
/** A request unanswered this long: the peer stalls, is left out of this fetch and dropped. */
const REQUEST_TIMEOUT_MS = 15_000;

function metadataError(message: string): SessionError {
  return new SessionError('peer-protocol', `${UT_METADATA}: ${message}`);
}

/**
 * The `ut_metadata` extension: `metadata_size` in our handshake and the info dictionary served to
 * any peer that asks, for every torrent whose info dictionary we have (`infoBytes`); a reject
 * for each request otherwise.
 */
export function metadataExtension(): TorrentExtension {
  return {
    name: UT_METADATA,
    attach: (torrent) => new MetadataServer(torrent.description?.infoBytes),
  };
}

class MetadataServer implements TorrentExtensionHandler {
  private readonly info: Uint8Array | undefined;
  private readonly served = new WeakMap<ExtensionPeer, number>();

  constructor(info: Uint8Array | undefined) {
    this.info = info;
  }

  handshake(): ExtensionHandshakeFields {
    return this.info ? { metadataSize: this.info.length } : {};
  }

  onMessage(peer: ExtensionPeer, payload: Uint8Array): void {
    let message: MetadataMessage;
    try {
      message = decodeMetadataMessage(payload);
    } catch (error) {
      peer.drop(SessionError.from(error, 'peer-protocol'));
      return;
    }
    if (message.type !== 'request') return;
    serve(peer, message.piece, this.info, this.served);
  }
}

/** Answers one request: the piece, or a reject (no metadata, out of range, asked too often). */
function serve(
  peer: ExtensionPeer,
  piece: number,
  info: Uint8Array | undefined,
  served: WeakMap<ExtensionPeer, number>,
): void {
  const count = (served.get(peer) ?? 0) + 1;
  served.set(peer, count);
  const pieces = info ? metadataPieceCount(info.length) : 0;
  // each piece a few times over is plenty; past that a peer only burns our upload
  if (!info || piece >= pieces || count > 4 * pieces + 16) {
    peer.send(UT_METADATA, encodeMetadataMessage({ type: 'reject', piece }));
    return;
  }
  const start = piece * METADATA_PIECE_LENGTH;
  peer.send(
    UT_METADATA,
    encodeMetadataMessage({
      type: 'data',
      piece,
      totalSize: info.length,
      data: info.subarray(start, Math.min(info.length, start + METADATA_PIECE_LENGTH)),
    }),
  );
}

export interface MetadataFetchOptions {
  /** The info-hash peers know the torrent by (a v2-only link's SHA-256 one, truncated). */
  infoHash: Uint8Array;
  /** BEP 52: the SHA-256 info-hash, when the link gives it; the metadata must match it too. */
  infoHashV2?: Uint8Array;
  /** `infoHash` is the truncated v2 one: only SHA-256 is checked. */
  v2Only?: boolean;
  now: () => number;
  /** Default `MAX_METADATA_SIZE`. */
  maxSize?: number;
  /** The info dictionary, checked against the info-hash. */
  onComplete(info: Uint8Array): void;
  /** A peer sent metadata that failed the hash alone: ban it. */
  onLiar(peer: ExtensionPeer): void;
}

interface FetchPeer {
  size: number | undefined;
  /** Piece → when asked. */
  outstanding: Map<number, number>;
  /** Left out of this fetch (rejected, stalled, lied). */
  out: boolean;
}

/** The metadata phase's `ut_metadata` handler: fetches, and rejects requests (we have nothing). */
export class MetadataFetch implements TorrentExtensionHandler {
  private readonly options: MetadataFetchOptions;
  private readonly maxSize: number;
  private readonly peers = new Map<ExtensionPeer, FetchPeer>();
  private size: number | undefined;
  private buffer: Uint8Array | undefined;
  /** Per piece: undefined missing, else who sent it. */
  private from: (ExtensionPeer | undefined)[] = [];
  private received = 0;
  /** After a failed check: one peer at a time, so a liar shows itself. */
  private solo: ExtensionPeer | undefined;
  private soloMode = false;
  private done = false;
  private readonly served = new WeakMap<ExtensionPeer, number>();
  /** Times the assembled metadata failed its hash. */
  hashFailures = 0;

  constructor(options: MetadataFetchOptions) {
    this.options = options;
    this.maxSize = options.maxSize ?? MAX_METADATA_SIZE;
  }

  get complete(): boolean {
    return this.done;
  }

  /** Bytes of metadata received so far, and the size when known. */
  progress(): { received: number; size: number | undefined } {
    return {
      received: Math.min(this.received * METADATA_PIECE_LENGTH, this.size ?? 0),
      size: this.size,
    };
  }

  onHandshake(peer: ExtensionPeer, handshake: ExtendedHandshake): void {
    if (this.done) return;
    const state = this.peers.get(peer) ?? { size: undefined, outstanding: new Map(), out: false };
    this.peers.set(peer, state);
    const size = handshake.metadataSize;
    if (!peer.supports(UT_METADATA) || size === undefined || size === 0) return;
    if (size > this.maxSize) {
      state.out = true;
      peer.drop(metadataError(`metadata_size ${size} is over the cap of ${this.maxSize}`));
      return;
    }
    state.size = size;
    if (this.size === undefined) this.begin(size);
    this.pump();
  }

  onMessage(peer: ExtensionPeer, payload: Uint8Array): void {
    let message: MetadataMessage;
    try {
      message = decodeMetadataMessage(payload);
    } catch (error) {
      peer.drop(SessionError.from(error, 'peer-protocol'));
      return;
    }
    switch (message.type) {
      case 'request':
        serve(peer, message.piece, undefined, this.served);
        return;
      case 'reject':
        this.leaveOut(peer);
        return;
      case 'data':
        this.onData(peer, message.piece, message.totalSize, message.data);
        return;
      case 'unknown':
        return;
    }
  }

  onPeerClosed(peer: ExtensionPeer): void {
    this.leaveOut(peer);
    this.peers.delete(peer);
  }

  tick(now: number): void {
    if (this.done) return;
    for (const [peer, state] of this.peers) {
      for (const askedAt of state.outstanding.values()) {
        if (now - askedAt > REQUEST_TIMEOUT_MS) {
          // what it owed goes to others, and its slot to another peer
          this.leaveOut(peer);
          peer.drop(
            new SessionError(
              'peer-stalled',
              `${UT_METADATA}: no answer to a metadata request in ${REQUEST_TIMEOUT_MS / 1000} s`,
            ),
          );
          break;
        }
      }
    }
    this.pump();
  }

  private begin(size: number): void {
    this.size = size;
    this.buffer = new Uint8Array(size);
    this.from = new Array<ExtensionPeer | undefined>(metadataPieceCount(size)).fill(undefined);
    this.received = 0;
  }

  /** The peer gives no more pieces in this fetch; what it owed goes to others. */
  private leaveOut(peer: ExtensionPeer): void {
    const state = this.peers.get(peer);
    if (!state) return;
    state.out = true;
    state.outstanding.clear();
    if (this.solo === peer) this.solo = undefined;
    this.pump();
  }

  private onData(peer: ExtensionPeer, piece: number, totalSize: number, data: Uint8Array): void {
    const state = this.peers.get(peer);
    if (this.done || !state || !state.outstanding.has(piece)) return; // late or unasked: ignored
    if (totalSize > this.maxSize) {
      peer.drop(metadataError(`total_size ${totalSize} is over the cap of ${this.maxSize}`));
      return;
    }
    if (totalSize !== this.size) {
      peer.drop(metadataError(`total_size ${totalSize} differs from metadata_size ${this.size}`));
      return;
    }
    const start = piece * METADATA_PIECE_LENGTH;
    const expected = Math.min(METADATA_PIECE_LENGTH, totalSize - start);
    if (data.length !== expected) {
      peer.drop(metadataError(`piece ${piece} has ${data.length} bytes, not ${expected}`));
      return;
    }
    state.outstanding.delete(piece);
    if (this.from[piece] === undefined) {
      this.buffer!.set(data, start);
      this.from[piece] = peer;
      this.received++;
    }
    if (this.received === this.from.length) this.check();
    else this.pump();
  }

  /** The info dictionary hashes to every info-hash the link gives (SHA-1, SHA-256 or both). */
  private matches(buffer: Uint8Array): boolean {
    const { infoHash, infoHashV2, v2Only } = this.options;
    if (!v2Only && Buffer.compare(createHash('sha1').update(buffer).digest(), infoHash) !== 0) {
      return false;
    }
    if (infoHashV2 === undefined) return !v2Only;
    return Buffer.compare(createHash('sha256').update(buffer).digest(), infoHashV2) === 0;
  }

  private check(): void {
    const buffer = this.buffer!;
    if (this.matches(buffer)) {
      this.done = true;
      for (const state of this.peers.values()) state.outstanding.clear();
      this.options.onComplete(buffer);
      return;
    }
    this.hashFailures++;
    const senders = new Set(this.from);
    if (senders.size === 1) {
      // it alone sent all of it: the lie is its own
      const liar = [...senders][0]!;
      const state = this.peers.get(liar);
      if (state) state.out = true;
      this.options.onLiar(liar);
    }
    this.soloMode = true;
    this.solo = undefined;
    // a size only liars gave may be wrong too: take one an honest peer may still give
    const sizes = [...this.peers.values()].filter((state) => !state.out && state.size);
    const size = sizes.some((state) => state.size === this.size) ? this.size : sizes[0]?.size;
    if (size === undefined) {
      this.size = undefined;
      this.buffer = undefined;
      this.from = [];
      this.received = 0;
      return;
    }
    this.begin(size);
    this.pump();
  }

  /** Asks usable peers for missing pieces: many at once, or one peer after a failed check. */
  private pump(): void {
    if (this.done || this.size === undefined) return;
    const now = this.options.now();
    const asked = new Set<number>();
    for (const state of this.peers.values())
      for (const piece of state.outstanding.keys()) asked.add(piece);
    const usable = [...this.peers].filter(([, state]) => !state.out && state.size === this.size);
    if (usable.length === 0) {
      // nobody offers this size any more: take another size when one is offered
      const other = [...this.peers.values()].find((state) => !state.out && state.size);
      if (other && other.size !== this.size) {
        this.begin(other.size!);
        this.pump();
      }
      return;
    }
    if (this.soloMode) {
      if (this.solo === undefined) {
        this.solo = usable[0]![0];
        this.begin(this.size);
        asked.clear();
      }
      const state = this.peers.get(this.solo)!;
      this.ask(this.solo, state, asked, now, this.from.length);
      return;
    }
    for (const [peer, state] of usable) this.ask(peer, state, asked, now, REQUESTS_PER_PEER);
  }

  private ask(
    peer: ExtensionPeer,
    state: FetchPeer,
    asked: Set<number>,
    now: number,
    limit: number,
  ): void {
    for (let piece = 0; piece < this.from.length && state.outstanding.size < limit; piece++) {
      if (this.from[piece] !== undefined || asked.has(piece)) continue;
      if (!peer.send(UT_METADATA, encodeMetadataMessage({ type: 'request', piece }))) {
        state.out = true;
        return;
      }
      state.outstanding.set(piece, now);
      asked.add(piece);
    }
  }
}
