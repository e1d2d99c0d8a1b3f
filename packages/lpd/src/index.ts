/**
 * @bt/lpd: BitTorrent Local Service Discovery (BEP 14), the way clients on one network find each
 * other's swarms without a tracker or the DHT. This entry is pure (no sockets, any runtime): the
 * `BT-SEARCH` announce codec (strict out, lenient in, bounded), the pacing of our own announces
 * (`AnnounceSchedule`: each swarm every 5 minutes, one announce a minute at most) and the bound on
 * what others' announces can cost (`AnnounceLimiter`). The multicast sockets are in
 * `@bt/lpd/node`: `openLocalPeerDiscovery`.
 */
export {
  decodeAnnounce,
  encodeAnnounce,
  LPD_IPV4_GROUP,
  LPD_IPV6_GROUP,
  LPD_PORT,
  MAX_ANNOUNCE_BYTES,
  MAX_DECODED_INFO_HASHES,
  MAX_INFO_HASHES_PER_ANNOUNCE,
  MAX_RECEIVED_BYTES,
} from './announce.js';
export type { LpdAnnounce, LpdAnnounceInit } from './announce.js';
export { LpdError } from './errors.js';
export type { LpdErrorCode, LpdErrorOptions } from './errors.js';
export { AnnounceLimiter } from './limiter.js';
export type { AnnounceLimiterOptions } from './limiter.js';
export { AnnounceSchedule } from './schedule.js';
export type { AnnounceScheduleOptions } from './schedule.js';
