/**
 * The encoder: typed messages to bytes, length-prefixed as BEP 3 frames them. `encodeMessage`
 * makes one buffer per message; `encodeRequests` batches many requests into one buffer; and
 * `encodePieceHeader` gives the 13 bytes before a block so a block can be written after it
 * without being copied (e.g. with `writev`).
 */
import { encodeExtendedHandshake } from './extended-handshake.js';
import type { BlockRequest } from './block-request.js';
import { type Message, MessageId, PIECE_HEADER_LENGTH } from './messages.js';

const REQUEST_FRAME_LENGTH = 17;

/** The number of bytes `message` takes on the wire, length prefix included. */
export function encodedLength(message: Message): number {
  switch (message.type) {
    case 'keep-alive':
      return 4;
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'not-interested':
    case 'have-all':
    case 'have-none':
      return 5;
    case 'have':
    case 'suggest':
    case 'allowed-fast':
      return 9;
    case 'port':
      return 7;
    case 'request':
    case 'cancel':
    case 'reject':
      return REQUEST_FRAME_LENGTH;
    case 'bitfield':
      return 5 + message.bitfield.length;
    case 'piece':
      return PIECE_HEADER_LENGTH + message.block.length;
    case 'extended-handshake':
      return 6 + encodeExtendedHandshake(message.handshake).length;
    case 'extended':
    case 'unknown':
      return (message.type === 'extended' ? 6 : 5) + message.payload.length;
    case 'hash-request':
    case 'hash-reject':
      return 4 + HASH_RANGE_LENGTH;
    case 'hashes':
      return 4 + HASH_RANGE_LENGTH + message.hashes.length;
  }
}

/** id, pieces root, base layer, index, length, proof layers. */
const HASH_RANGE_LENGTH = 1 + 32 + 16;

/** Encodes one message into a new buffer. */
export function encodeMessage(message: Message): Uint8Array {
  if (message.type === 'extended-handshake') {
    return encodeExtended(0, encodeExtendedHandshake(message.handshake));
  }
  const bytes = new Uint8Array(encodedLength(message));
  encodeMessageInto(message, bytes, 0);
  return bytes;
}

/**
 * Writes `message` into `target` at `offset` and returns the offset after it. `target` must have
 * `encodedLength(message)` bytes of room. Extended handshakes are not written in place: encode
 * them with `encodeMessage`.
 */
export function encodeMessageInto(message: Message, target: Uint8Array, offset: number): number {
  switch (message.type) {
    case 'keep-alive':
      writeUint32(target, offset, 0);
      return offset + 4;
    case 'choke':
      return writeBare(target, offset, MessageId.choke);
    case 'unchoke':
      return writeBare(target, offset, MessageId.unchoke);
    case 'interested':
      return writeBare(target, offset, MessageId.interested);
    case 'not-interested':
      return writeBare(target, offset, MessageId.notInterested);
    case 'have-all':
      return writeBare(target, offset, MessageId.haveAll);
    case 'have-none':
      return writeBare(target, offset, MessageId.haveNone);
    case 'have':
      return writeIndex(target, offset, MessageId.have, message.index);
    case 'suggest':
      return writeIndex(target, offset, MessageId.suggest, message.index);
    case 'allowed-fast':
      return writeIndex(target, offset, MessageId.allowedFast, message.index);
    case 'port':
      checkRange(message.port, 0xffff, 'port');
      writeUint32(target, offset, 3);
      target[offset + 4] = MessageId.port;
      target[offset + 5] = message.port >>> 8;
      target[offset + 6] = message.port & 0xff;
      return offset + 7;
    case 'request':
      return writeBlock(target, offset, MessageId.request, message);
    case 'cancel':
      return writeBlock(target, offset, MessageId.cancel, message);
    case 'reject':
      return writeBlock(target, offset, MessageId.reject, message);
    case 'bitfield':
      writeUint32(target, offset, 1 + message.bitfield.length);
      target[offset + 4] = MessageId.bitfield;
      target.set(message.bitfield, offset + 5);
      return offset + 5 + message.bitfield.length;
    case 'piece':
      writePieceHeader(target, offset, message.index, message.begin, message.block.length);
      target.set(message.block, offset + PIECE_HEADER_LENGTH);
      return offset + PIECE_HEADER_LENGTH + message.block.length;
    case 'extended':
      checkRange(message.id, 0xff, 'extended message id');
      writeUint32(target, offset, 2 + message.payload.length);
      target[offset + 4] = MessageId.extended;
      target[offset + 5] = message.id;
      target.set(message.payload, offset + 6);
      return offset + 6 + message.payload.length;
    case 'unknown':
      checkRange(message.id, 0xff, 'message id');
      writeUint32(target, offset, 1 + message.payload.length);
      target[offset + 4] = message.id;
      target.set(message.payload, offset + 5);
      return offset + 5 + message.payload.length;
    case 'hash-request':
    case 'hash-reject':
    case 'hashes': {
      if (message.piecesRoot.length !== 32) throw new RangeError('a pieces root is 32 bytes');
      const hashes = message.type === 'hashes' ? message.hashes : undefined;
      checkRange(message.baseLayer, 0xffffffff, 'base layer');
      checkRange(message.index, 0xffffffff, 'hash index');
      checkRange(message.length, 0xffffffff, 'hash count');
      checkRange(message.proofLayers, 0xffffffff, 'proof layers');
      if (hashes !== undefined && hashes.length % 32 !== 0) {
        throw new RangeError('hashes is not a whole number of 32-byte hashes');
      }
      writeUint32(target, offset, HASH_RANGE_LENGTH + (hashes?.length ?? 0));
      target[offset + 4] =
        message.type === 'hash-request'
          ? MessageId.hashRequest
          : message.type === 'hashes'
            ? MessageId.hashes
            : MessageId.hashReject;
      target.set(message.piecesRoot, offset + 5);
      writeUint32(target, offset + 37, message.baseLayer);
      writeUint32(target, offset + 41, message.index);
      writeUint32(target, offset + 45, message.length);
      writeUint32(target, offset + 49, message.proofLayers);
      if (hashes !== undefined) target.set(hashes, offset + 53);
      return offset + 4 + HASH_RANGE_LENGTH + (hashes?.length ?? 0);
    }
    case 'extended-handshake':
      throw new TypeError('encode extended handshakes with encodeMessage');
  }
}

/** Many `request` messages in one buffer, for one write. */
export function encodeRequests(requests: readonly BlockRequest[]): Uint8Array {
  const bytes = new Uint8Array(requests.length * REQUEST_FRAME_LENGTH);
  let offset = 0;
  for (const request of requests) offset = writeBlock(bytes, offset, MessageId.request, request);
  return bytes;
}

/** The 13 bytes of a `piece` message before its block. */
export function encodePieceHeader(index: number, begin: number, blockLength: number): Uint8Array {
  const bytes = new Uint8Array(PIECE_HEADER_LENGTH);
  writePieceHeader(bytes, 0, index, begin, blockLength);
  return bytes;
}

/** An extended message (BEP 10) with extended id `id` and an already encoded payload. */
export function encodeExtended(id: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(6 + payload.length);
  encodeMessageInto({ type: 'extended', id, payload }, bytes, 0);
  return bytes;
}

function writePieceHeader(
  target: Uint8Array,
  offset: number,
  index: number,
  begin: number,
  length: number,
): void {
  checkRange(index, 0xffffffff, 'piece index');
  checkRange(begin, 0xffffffff, 'block offset');
  checkRange(length, 0xffffffff - 9, 'block length');
  writeUint32(target, offset, 9 + length);
  target[offset + 4] = MessageId.piece;
  writeUint32(target, offset + 5, index);
  writeUint32(target, offset + 9, begin);
}

function writeBare(target: Uint8Array, offset: number, id: number): number {
  writeUint32(target, offset, 1);
  target[offset + 4] = id;
  return offset + 5;
}

function writeIndex(target: Uint8Array, offset: number, id: number, index: number): number {
  checkRange(index, 0xffffffff, 'piece index');
  writeUint32(target, offset, 5);
  target[offset + 4] = id;
  writeUint32(target, offset + 5, index);
  return offset + 9;
}

function writeBlock(target: Uint8Array, offset: number, id: number, block: BlockRequest): number {
  checkRange(block.index, 0xffffffff, 'piece index');
  checkRange(block.begin, 0xffffffff, 'block offset');
  checkRange(block.length, 0xffffffff, 'block length');
  writeUint32(target, offset, 13);
  target[offset + 4] = id;
  writeUint32(target, offset + 5, block.index);
  writeUint32(target, offset + 9, block.begin);
  writeUint32(target, offset + 13, block.length);
  return offset + REQUEST_FRAME_LENGTH;
}

function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

function checkRange(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} must be an integer 0-${max}, got ${value}`);
  }
}
