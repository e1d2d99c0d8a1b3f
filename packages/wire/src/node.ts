/**
 * @bt/wire/node: the peer shell over TCP. `TcpTransport` dials and listens and hands out
 * `PeerWire`s (dialled sockets share one read buffer; incoming peers are routed by the
 * info-hash of their handshake); `connectTcp` and `TcpStream` make a `ByteStream` of a socket
 * for those who drive a `PeerWire` themselves.
 */
export { connectTcp, SHARED_READ_SIZE, socketAddress, TcpStream } from './node/tcp-stream.js';
export type { ConnectTcpOptions } from './node/tcp-stream.js';
export { TcpTransport } from './node/tcp-transport.js';
export type {
  IncomingTcpPeer,
  TcpAcceptOptions,
  TcpDialOptions,
  TcpTransportOptions,
} from './node/tcp-transport.js';
