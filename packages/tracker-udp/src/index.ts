/**
 * @bt/tracker-udp: the UDP tracker protocol (BEP 15, with BEP 41 URL data). A pure packet
 * codec, a client that runs many announces over one socket, a server, and the transport-free
 * in-memory `SwarmRegistry` that the HTTP and UDP servers of one tracker share.
 */
export { SwarmRegistry, SwarmRegistryError } from './swarm-registry.js';
export type {
  SwarmAnnounce,
  SwarmAnnounceResult,
  SwarmPeer,
  SwarmRegistryErrorCode,
  SwarmRegistryOptions,
  SwarmRegistryStats,
} from './swarm-registry.js';
