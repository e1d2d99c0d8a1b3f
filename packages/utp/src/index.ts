/**
 * @bt/utp: uTP, the Micro Transport Protocol of BitTorrent (BEP 29), as a pure sans-IO core.
 * `decodePacket`/`encodePacket` are the packet codec (selective ACK included); `UtpCore` is one
 * UDP endpoint's connections, driven by `receive(datagram, from, now)`, `tick(now)` and
 * `flush(now)`, each returning the datagrams to send; each `UtpConnection` is an ordered, reliable
 * byte stream with LEDBAT congestion control (the shape `@bt/wire`'s peer shell runs over). The
 * UDP socket lives in `@bt/utp/node`.
 */
export { UtpConnection, seqDistance } from './connection.js';
export type { UtpConnectionHandlers, UtpConnectionState } from './connection.js';
export { UtpError } from './errors.js';
export type { UtpErrorCode, UtpErrorOptions } from './errors.js';
export { Ledbat } from './ledbat.js';
export type { LedbatOptions } from './ledbat.js';
export {
  HEADER_LENGTH,
  PacketType,
  SELECTIVE_ACK_EXTENSION,
  UTP_VERSION,
  decodePacket,
  encodePacket,
  isUtpDatagram,
  writeHeader,
} from './packet.js';
export type { PacketHeader, UtpPacket } from './packet.js';
export { UtpCore } from './utp-core.js';
export type { Datagram, UtpCoreOptions, UtpCoreStats } from './utp-core.js';
