/**
 * @bt/utp/node: uTP over a Node UDP socket. `createUtpSocket` binds a socket (or shares one with
 * the DHT, which it tells apart by the first byte) and hands out `UtpConnection`s, each a byte
 * stream `@bt/wire`'s peer shell runs over.
 */
export { createUtpSocket, UtpSocket } from './node/utp-socket.js';
export type { UtpSocketOptions } from './node/utp-socket.js';
