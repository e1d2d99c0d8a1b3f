/**
 * @bt/tracker-udp: the UDP tracker protocol (BEP 15, with BEP 41 URL data). A pure packet
 * codec (no sockets), a client that runs many announces over one socket with BEP 15's
 * retransmission schedule and connection-id cache, a server, and the transport-free in-memory
 * `SwarmRegistry` that the HTTP and UDP servers of one tracker share.
 */
export { UdpTrackerClient } from './client.js';
export type { UdpTrackerClientOptions, UdpTrackerRequestOptions } from './client.js';
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
export { UdpTrackerServer } from './server.js';
export type {
  UdpTrackerServerAddress,
  UdpTrackerServerOptions,
  UdpTrackerServerStats,
} from './server.js';
export { SwarmRegistry, SwarmRegistryError } from './swarm-registry.js';
export type {
  SwarmAnnounce,
  SwarmAnnounceResult,
  SwarmPeer,
  SwarmRegistryErrorCode,
  SwarmRegistryOptions,
  SwarmRegistryStats,
} from './swarm-registry.js';
export { parseUdpTrackerUrl } from './url.js';
export type { UdpTrackerUrl } from './url.js';
