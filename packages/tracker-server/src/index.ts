/**
 * @bt/tracker-server: a BitTorrent tracker. This entry is the pure part, usable anywhere:
 *
 * - `SwarmRegistry`: the one in-memory swarm registry both servers share (BEP 3, 15, 48):
 *   peers expire after twice the announce interval; torrents, peers per torrent and peers in
 *   total are capped, evicting the least recently seen; an optional allow-list; compact peer
 *   answers packed ahead of time.
 * - `TrackerRegistry`: what the servers consume, for another store to implement.
 *
 * The servers, on sockets, are in `@bt/tracker-server/node`: `HttpTrackerServer` (BEP 3, 7, 23,
 * 48) and `UdpTrackerServer` (BEP 15, 41). Their codecs live with the clients, in
 * `@bt/tracker-http` and `@bt/tracker-udp`.
 */
export { SwarmRegistry, SwarmRegistryError } from './swarm-registry.js';
export type {
  SwarmAnnounce,
  SwarmAnnounceResult,
  SwarmPeer,
  SwarmRegistryErrorCode,
  SwarmRegistryOptions,
  SwarmRegistryStats,
  TrackerRegistry,
} from './swarm-registry.js';
