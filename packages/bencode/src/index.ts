/**
 * @bt/bencode: bencode (BEP 3) for every JavaScript runtime, on `Uint8Array`.
 *
 * - `decode` / `decodePrefix`: binary-safe values, strict or lenient, typed errors with offsets.
 * - `encode`: always canonical (keys sorted as raw bytes).
 * - `BencodeReader`: a pull reader, token by token with byte spans, building nothing.
 * - `locate`: the exact byte span of any value, e.g. the `info` dictionary of a torrent.
 */
export { decode, decodePrefix } from './decode.js';
export type { DecodeOptions, DecodePrefixResult } from './decode.js';
export { encode } from './encode.js';
export { BencodeReader, locate } from './reader.js';
export type { BencodeReaderOptions, BencodeToken } from './reader.js';
export { BencodeError, BencodeDecodeError, BencodeEncodeError } from './errors.js';
export type { BencodeErrorCode, BencodeDecodeErrorCode, BencodeEncodeErrorCode } from './errors.js';
export {
  equals,
  getBytes,
  getDictionary,
  getInteger,
  getList,
  getText,
  isBytes,
  isDictionary,
  isInteger,
  isList,
  toText,
} from './read.js';
export type { ToTextOptions } from './read.js';
export type {
  BencodeDictionary,
  BencodeList,
  BencodeValue,
  EncodableValue,
  Span,
} from './types.js';
