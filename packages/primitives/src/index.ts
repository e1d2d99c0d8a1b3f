/**
 * @bt/primitives: the identifiers and addresses every bt layer shares, and nothing else.
 * Info-hashes and peer ids (BEP 3, BEP 20), compact peer addresses (BEP 23 IPv4, BEP 7 IPv6),
 * hex and base32, the BEP 3 piece `Bitfield`, and the announce/scrape shapes both tracker transports share. Pure: runs in any JavaScript runtime, depends on nothing.
 */
export {
  COMPACT_IPV4_LENGTH,
  COMPACT_IPV6_LENGTH,
  decodeCompactPeer,
  decodeCompactPeers,
  encodeCompactPeer,
  encodeCompactPeers,
  formatIPv6,
  formatPeerAddress,
  isIPv4,
  parseIPv4,
  parseIPv6,
  parsePeerAddress,
  writeIPv4,
} from './address.js';
export type { AddressFamily, PeerAddress } from './address.js';
export type {
  AnnounceEvent,
  AnnounceRequest,
  AnnounceResult,
  ScrapeFile,
  ScrapeResult,
  TrackerPeer,
} from './announce.js';
export { Bitfield } from './bitfield.js';
export { bytesEqual, fromBase32, fromHex, toBase32, toHex } from './bytes.js';
export { PrimitivesError } from './errors.js';
export type { PrimitivesErrorCode } from './errors.js';
export {
  assertInfoHash,
  DEFAULT_PEER_ID_PREFIX,
  describePeerId,
  generatePeerId,
  INFO_HASH_LENGTH,
  infoHashToHex,
  parseInfoHash,
  PEER_ID_LENGTH,
  randomBytes,
} from './identifiers.js';
export type { InfoHash, PeerId } from './identifiers.js';
