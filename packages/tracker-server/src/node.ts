/**
 * @bt/tracker-server/node: the tracker's servers on Node sockets, both over one
 * `TrackerRegistry` (share a `SwarmRegistry` so HTTP and UDP peers see each other).
 *
 * - `HttpTrackerServer`: announce and scrape over `node:http` (BEP 3, 7, 23, 48).
 * - `UdpTrackerServer`: connect, announce and scrape over `node:dgram` (BEP 15, 41), with
 *   stateless connection ids.
 */
export { HttpTrackerServer } from './node/http-server.js';
export type {
  HttpTrackerListenOptions,
  HttpTrackerServerOptions,
  HttpTrackerServerStats,
} from './node/http-server.js';
export { UdpTrackerServer } from './node/udp-server.js';
export type {
  UdpTrackerServerAddress,
  UdpTrackerServerOptions,
  UdpTrackerServerStats,
} from './node/udp-server.js';
