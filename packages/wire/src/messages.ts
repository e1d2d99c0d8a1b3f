/**
 * The messages of the peer wire protocol as typed values: BEP 3 (handshake, keep-alive, choke,
 * unchoke, interested, not interested, have, bitfield, request, piece, cancel, port), BEP 6
 * (suggest, have all, have none, reject, allowed fast), BEP 10 (extended, with its handshake
 * decoded) and BEP 52 (hash request, hashes, hash reject). Every message is a plain object with a `type` tag, so switches over `Message` can be
 * checked for exhaustiveness.
 */
import type { BlockRequest } from './block-request.js';
import type { ExtendedHandshake, ExtendedHandshakeInit } from './extended-handshake.js';

/** BEP 3 and BEP 6 message ids, and BEP 10's `extended`. */
export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest: 0x0d,
  haveAll: 0x0e,
  haveNone: 0x0f,
  reject: 0x10,
  allowedFast: 0x11,
  extended: 20,
  hashRequest: 21,
  hashes: 22,
  hashReject: 23,
} as const;

/** BEP 52: the longest run of hashes a `hash request` may ask for (the BEP advises 512). */
export const MAX_HASH_REQUEST_LENGTH = 8192;
/** BEP 52: most proof layers a request may ask for (a tree of 2^62 leaves is deeper than any file). */
export const MAX_PROOF_LAYERS = 62;

/** The largest block a peer may ask for by default (every mainstream client uses 16 KiB). */
export const DEFAULT_BLOCK_LENGTH = 16 * 1024;
/** Bytes before a piece message's block: length prefix (4), id (1), index (4), begin (4). */
export const PIECE_HEADER_LENGTH = 13;

/** Which optional protocols a handshake's reserved bytes announce. */
export interface HandshakeExtensions {
  /** BEP 10 extension protocol: reserved byte 5, bit 0x10. */
  extended: boolean;
  /** BEP 6 fast extension: reserved byte 7, bit 0x04. */
  fast: boolean;
  /** BEP 5 DHT (the peer may send `port`): reserved byte 7, bit 0x01. */
  dht: boolean;
}

/** BEP 3 handshake: `\x13BitTorrent protocol`, 8 reserved bytes, info-hash, peer id. */
export interface HandshakeMessage {
  readonly type: 'handshake';
  /** The 8 reserved bytes as sent (bits this package does not name are kept). */
  readonly reserved: Uint8Array;
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly extensions: HandshakeExtensions;
}

export interface KeepAliveMessage {
  readonly type: 'keep-alive';
}
export interface ChokeMessage {
  readonly type: 'choke';
}
export interface UnchokeMessage {
  readonly type: 'unchoke';
}
export interface InterestedMessage {
  readonly type: 'interested';
}
export interface NotInterestedMessage {
  readonly type: 'not-interested';
}
export interface HaveMessage {
  readonly type: 'have';
  readonly index: number;
}
export interface BitfieldMessage {
  readonly type: 'bitfield';
  /** Bit 0x80 of byte 0 is piece 0. A view of the received bytes. */
  readonly bitfield: Uint8Array;
}
export interface RequestMessage extends BlockRequest {
  readonly type: 'request';
}
export interface PieceMessage {
  readonly type: 'piece';
  readonly index: number;
  readonly begin: number;
  /**
   * The block's bytes: a view of the chunk the decoder was given (or, when the message arrived
   * split across chunks, of a buffer the decoder filled). Never copied for a message that lies
   * within one chunk; the view keeps its chunk alive while it is referenced.
   */
  readonly block: Uint8Array;
}
export interface CancelMessage extends BlockRequest {
  readonly type: 'cancel';
}
/** BEP 5: the DHT port of the sender. */
export interface PortMessage {
  readonly type: 'port';
  readonly port: number;
}
export interface SuggestMessage {
  readonly type: 'suggest';
  readonly index: number;
}
export interface HaveAllMessage {
  readonly type: 'have-all';
}
export interface HaveNoneMessage {
  readonly type: 'have-none';
}
export interface RejectMessage extends BlockRequest {
  readonly type: 'reject';
}
export interface AllowedFastMessage {
  readonly type: 'allowed-fast';
  readonly index: number;
}
/**
 * BEP 10 extended message 0: the extension handshake, decoded. When sending, `extra` adds keys
 * the named fields do not cover (as `ExtendedHandshakeInit.extra`); decoding leaves it out and
 * keeps every key in `dictionary`.
 */
export interface ExtendedHandshakeMessage {
  readonly type: 'extended-handshake';
  readonly handshake: ExtendedHandshake & Pick<ExtendedHandshakeInit, 'extra'>;
}
/**
 * BEP 10 extended message other than the handshake. `id` is the number the *receiver* of the
 * message assigned in its own extension handshake (`m`); `payload` is a view of the bytes after it.
 */
export interface ExtendedMessage {
  readonly type: 'extended';
  readonly id: number;
  readonly payload: Uint8Array;
  /**
   * The extension's name, when the message went through a `PeerWire` whose `ExtensionRegistry`
   * registered `id` (the codec alone leaves it out).
   */
  readonly name?: string;
}
/**
 * BEP 52: which hashes of a file's merkle tree: `length` hashes from `index` of the layer
 * `baseLayer` levels above the leaves, and `proofLayers` layers of uncle hashes toward the root.
 */
export interface HashRange {
  /** The file's merkle root (32 bytes): a view of the received bytes. */
  readonly piecesRoot: Uint8Array;
  readonly baseLayer: number;
  readonly index: number;
  readonly length: number;
  readonly proofLayers: number;
}
/** BEP 52 `hash request` (id 21). */
export interface HashRequestMessage extends HashRange {
  readonly type: 'hash-request';
}
/** BEP 52 `hashes` (id 22): the base layer's hashes, then the uncle hashes up toward the root. */
export interface HashesMessage extends HashRange {
  readonly type: 'hashes';
  /** Concatenated 32-byte hashes: a view of the received bytes. */
  readonly hashes: Uint8Array;
}
/** BEP 52 `hash reject` (id 23): the request that will not be served. */
export interface HashRejectMessage extends HashRange {
  readonly type: 'hash-reject';
}
/** A message with an id this package does not know; only produced when the decoder allows them. */
export interface UnknownMessage {
  readonly type: 'unknown';
  readonly id: number;
  readonly payload: Uint8Array;
}

/** Every message after the handshake. */
export type Message =
  | KeepAliveMessage
  | ChokeMessage
  | UnchokeMessage
  | InterestedMessage
  | NotInterestedMessage
  | HaveMessage
  | BitfieldMessage
  | RequestMessage
  | PieceMessage
  | CancelMessage
  | PortMessage
  | SuggestMessage
  | HaveAllMessage
  | HaveNoneMessage
  | RejectMessage
  | AllowedFastMessage
  | ExtendedHandshakeMessage
  | ExtendedMessage
  | HashRequestMessage
  | HashesMessage
  | HashRejectMessage
  | UnknownMessage;

/** Everything the decoder yields: the handshake first, then messages. */
export type WireItem = HandshakeMessage | Message;

export type MessageType = Message['type'];

// Messages without fields are shared constants, so decoding them allocates nothing.
export const KEEP_ALIVE: KeepAliveMessage = Object.freeze({ type: 'keep-alive' });
export const CHOKE: ChokeMessage = Object.freeze({ type: 'choke' });
export const UNCHOKE: UnchokeMessage = Object.freeze({ type: 'unchoke' });
export const INTERESTED: InterestedMessage = Object.freeze({ type: 'interested' });
export const NOT_INTERESTED: NotInterestedMessage = Object.freeze({ type: 'not-interested' });
export const HAVE_ALL: HaveAllMessage = Object.freeze({ type: 'have-all' });
export const HAVE_NONE: HaveNoneMessage = Object.freeze({ type: 'have-none' });

/** The number of bytes a bitfield for `pieceCount` pieces takes (BEP 3). */
export function bitfieldLength(pieceCount: number): number {
  return Math.ceil(pieceCount / 8);
}
