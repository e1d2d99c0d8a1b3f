/**
 * @bt/wire: the BitTorrent peer wire protocol.
 *
 * - A pure codec (no sockets, no timers; any runtime, any transport): the BEP 3 handshake and
 *   messages, the BEP 6 fast extension, the BEP 10 extension protocol and its handshake, and the
 *   payloads of BEP 9 `ut_metadata` and BEP 11 `ut_pex`. `WireDecoder` is incremental, zero-copy
 *   for piece blocks and bounded against hostile peers.
 * - `PeerWire`: the one peer shell, over any `ByteStream` (TCP from `@bt/wire/node`, uTP, an
 *   MSE stream, `createMemoryStreamPair` in tests): the handshake, BEP 6/10 negotiation guards,
 *   the BEP 10 extension registry, zero-copy piece sends, and no timers (`tick(now)`). The
 *   engine that drives it owns the peer's state. `WIRE_DEFAULTS` states the defaults once.
 *
 * Pure: nothing here imports a Node built-in; sockets live behind `@bt/wire/node`.
 */
export type { ByteStream, ByteStreamHandlers } from './byte-stream.js';
export { decodeMessages, DEFAULT_MAX_MESSAGE_LENGTH, WireDecoder } from './decoder.js';
export type { WireDecoderOptions } from './decoder.js';
export {
  encodedLength,
  encodeExtended,
  encodeMessage,
  encodeMessageInto,
  encodePieceHeader,
  encodeRequests,
} from './encode.js';
export { WireConnectionError, WireError, WireProtocolError } from './errors.js';
export type { WireConnectionErrorCode, WireErrorCode, WireProtocolErrorCode } from './errors.js';
export { decodeExtendedHandshake, encodeExtendedHandshake } from './extended-handshake.js';
export { ExtensionRegistry } from './extension-registry.js';
export type { ExtendedHandshake, ExtendedHandshakeInit } from './extended-handshake.js';
export {
  decodeHandshake,
  decodeReserved,
  encodeHandshake,
  encodeReserved,
  HANDSHAKE_LENGTH,
  PROTOCOL_NAME,
} from './handshake.js';
export type { HandshakeInit } from './handshake.js';
export {
  bitfieldLength,
  DEFAULT_BLOCK_LENGTH,
  MAX_HASH_REQUEST_LENGTH,
  MAX_PROOF_LAYERS,
  MessageId,
  PIECE_HEADER_LENGTH,
} from './messages.js';
export type { BlockRequest } from './block-request.js';
export type {
  AllowedFastMessage,
  BitfieldMessage,
  CancelMessage,
  ChokeMessage,
  ExtendedHandshakeMessage,
  ExtendedMessage,
  HandshakeExtensions,
  HandshakeMessage,
  HashesMessage,
  HashRange,
  HashRejectMessage,
  HashRequestMessage,
  HaveAllMessage,
  HaveMessage,
  HaveNoneMessage,
  InterestedMessage,
  KeepAliveMessage,
  Message,
  MessageType,
  NotInterestedMessage,
  PieceMessage,
  PortMessage,
  RejectMessage,
  RequestMessage,
  SuggestMessage,
  UnchokeMessage,
  UnknownMessage,
  WireItem,
} from './messages.js';
export {
  decodeMetadataMessage,
  encodeMetadataMessage,
  METADATA_PIECE_LENGTH,
  metadataPieceCount,
} from './metadata.js';
export type {
  MetadataData,
  MetadataMessage,
  MetadataReject,
  MetadataRequest,
  MetadataUnknown,
} from './metadata.js';
export { createMemoryStreamPair, MemoryStream } from './memory-stream.js';
export type { MemoryStreamPairOptions } from './memory-stream.js';
export { PeerWire, WIRE_DEFAULTS } from './peer-wire.js';
export type {
  PeerCapabilities,
  PeerWireHandlers,
  PeerWireHandshakeOptions,
  PeerWireOptions,
} from './peer-wire.js';
export { decodePexMessage, encodePexMessage, PexFlags } from './pex.js';
export type { PexMessage, PexMessageInit, PexPeer } from './pex.js';
