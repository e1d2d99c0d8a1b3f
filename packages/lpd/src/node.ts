/**
 * @bt/lpd/node: BEP 14 over `node:dgram`: the multicast sockets (one per address family, joined
 * to `239.192.152.143:6771` and `[ff15::efc0:988f]:6771`), announces sent on request, others'
 * announces handed on after the cookie, the codec and the limiter of the pure entry.
 */
export { LocalPeerDiscovery, openLocalPeerDiscovery } from './node/discovery.js';
export type {
  LocalPeerDiscoveryOptions,
  LocalPeerDiscoveryStats,
  LpdDropReason,
} from './node/discovery.js';
