/**
 * @bt/tracker-udp: the UDP tracker protocol (BEP 15, with BEP 41 URL data). This entry is pure
 * (no sockets, any runtime): the packet codec of both sides, tracker URLs and typed errors.
 *
 * The client, which runs many announces over one socket with BEP 15's retransmission schedule
 * and connection-id cache, is in `@bt/tracker-udp/node`: `UdpTrackerClient`. The server is in
 * `@bt/tracker-server/node`, over this codec.
 */
export {
  ACTION_ANNOUNCE,
  ACTION_CONNECT,
  ACTION_ERROR,
  ACTION_SCRAPE,
  ANNOUNCE_REQUEST_LENGTH,
  ANNOUNCE_RESPONSE_HEADER_LENGTH,
  CONNECT_REQUEST_LENGTH,
  CONNECT_RESPONSE_LENGTH,
  decodeRequest,
  decodeResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  MAX_SCRAPE_INFO_HASHES,
  peekHeader,
  PROTOCOL_ID,
} from './codec.js';
export type {
  AnnounceRequestPacket,
  AnnounceResponsePacket,
  ConnectRequestPacket,
  ConnectResponsePacket,
  EncodablePeer,
  ErrorResponsePacket,
  ScrapeEntry,
  ScrapeRequestPacket,
  ScrapeResponsePacket,
  UdpTrackerRequest,
  UdpTrackerResponse,
} from './codec.js';
export { UdpTrackerError } from './errors.js';
export type { UdpTrackerErrorCode, UdpTrackerErrorOptions } from './errors.js';
export { parseUdpTrackerUrl } from './url.js';
export type { UdpTrackerUrl } from './url.js';
