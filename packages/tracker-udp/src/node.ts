/**
 * @bt/tracker-udp/node: the UDP tracker client on `node:dgram` (BEP 15, 41): many announces
 * over one socket, BEP 15's retransmission schedule, a connection-id cache, `AbortSignal` on
 * every request. The packet codec it uses is in the pure main entry, `@bt/tracker-udp`.
 */
export { UdpTrackerClient } from './node/client.js';
export type { UdpTrackerClientOptions, UdpTrackerRequestOptions } from './node/client.js';
