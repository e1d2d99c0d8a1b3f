/**
 * BEP 9 `ut_metadata` payloads: the info dictionary of a torrent traded in 16 KiB pieces between
 * peers, so a magnet link can become a torrent. Each payload is a bencoded dictionary
 * (`msg_type`, `piece`, and for data `total_size`), and a data payload carries the piece's bytes
 * right after the dictionary.
 */
import { type BencodeValue, decodePrefix, encode, isDictionary } from '@bt/bencode';
import { WireProtocolError } from './errors.js';

/** BEP 9: metadata travels in pieces of 16 KiB (the last one may be shorter). */
export const METADATA_PIECE_LENGTH = 16 * 1024;

export interface MetadataRequest {
  readonly type: 'request';
  readonly piece: number;
}
export interface MetadataData {
  readonly type: 'data';
  readonly piece: number;
  /** `total_size`: the size of the whole info dictionary. */
  readonly totalSize: number;
  /** The piece's bytes: a view of the payload. */
  readonly data: Uint8Array;
}
export interface MetadataReject {
  readonly type: 'reject';
  readonly piece: number;
}
/** A `msg_type` this package does not know; BEP 9 says to ignore it. */
export interface MetadataUnknown {
  readonly type: 'unknown';
  readonly messageType: number;
  readonly piece: number;
}
export type MetadataMessage = MetadataRequest | MetadataData | MetadataReject | MetadataUnknown;

const MESSAGE_TYPE = { request: 0, data: 1, reject: 2 } as const;

/** Encodes a `ut_metadata` payload (the bytes after the extended message id). */
export function encodeMetadataMessage(
  message: MetadataRequest | MetadataData | MetadataReject,
): Uint8Array {
  if (message.type !== 'data') {
    return encode({ msg_type: MESSAGE_TYPE[message.type], piece: message.piece });
  }
  if (message.data.length > METADATA_PIECE_LENGTH) {
    throw new RangeError(
      `a metadata piece is at most ${METADATA_PIECE_LENGTH} bytes, got ${message.data.length}`,
    );
  }
  const head = encode({
    msg_type: MESSAGE_TYPE.data,
    piece: message.piece,
    total_size: message.totalSize,
  });
  const bytes = new Uint8Array(head.length + message.data.length);
  bytes.set(head);
  bytes.set(message.data, head.length);
  return bytes;
}

/**
 * Decodes a `ut_metadata` payload.
 * @throws WireProtocolError `invalid-metadata-message`
 */
export function decodeMetadataMessage(payload: Uint8Array): MetadataMessage {
  let value: BencodeValue;
  let end: number;
  try {
    ({ value, end } = decodePrefix(payload, { maxDepth: 8 }));
  } catch (error) {
    throw invalid('the dictionary is not valid bencode', error);
  }
  if (!isDictionary(value)) throw invalid('the payload is not a dictionary');
  const messageType = value.get('msg_type');
  const piece = value.get('piece');
  if (!isCount(messageType)) throw invalid('msg_type is missing or not a non-negative integer');
  if (!isCount(piece)) throw invalid('piece is missing or not a non-negative integer');
  const rest = payload.length - end;
  switch (messageType) {
    case MESSAGE_TYPE.request:
    case MESSAGE_TYPE.reject:
      if (rest !== 0) throw invalid(`${rest} unexpected bytes after the dictionary`);
      return { type: messageType === MESSAGE_TYPE.request ? 'request' : 'reject', piece };
    case MESSAGE_TYPE.data: {
      const totalSize = value.get('total_size');
      if (!isCount(totalSize)) throw invalid('total_size is missing or not a non-negative integer');
      if (rest > METADATA_PIECE_LENGTH)
        throw invalid(`a metadata piece is at most ${METADATA_PIECE_LENGTH} bytes, got ${rest}`);
      if (piece * METADATA_PIECE_LENGTH + rest > totalSize)
        throw invalid('the piece extends past total_size');
      return { type: 'data', piece, totalSize, data: payload.subarray(end) };
    }
    default:
      return { type: 'unknown', messageType, piece };
  }
}

/** The number of metadata pieces of an info dictionary of `metadataSize` bytes. */
export function metadataPieceCount(metadataSize: number): number {
  return Math.ceil(metadataSize / METADATA_PIECE_LENGTH);
}

function isCount(value: BencodeValue | undefined): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function invalid(message: string, cause?: unknown): WireProtocolError {
  return new WireProtocolError('invalid-metadata-message', `ut_metadata: ${message}`, {
    messageId: 20,
    cause,
  });
}
