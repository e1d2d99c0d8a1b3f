/** Loopback TCP helpers for the PeerConnection tests: a listening socket and connected pairs. */
import { createServer, type Server, type Socket } from 'node:net';
import { PeerConnection, type PeerConnectionOptions } from '../src/peer-connection.js';

export const infoHash = Uint8Array.from({ length: 20 }, (_, i) => 0x10 + i);
export const peerIdA = new TextEncoder().encode('-BT0001-aaaaaaaaaaaa');
export const peerIdB = new TextEncoder().encode('-BT0001-bbbbbbbbbbbb');

export interface Listener {
  port: number;
  /** The next accepted socket. */
  accept(): Promise<Socket>;
  close(): Promise<void>;
}

export async function listen(): Promise<Listener> {
  const queue: Socket[] = [];
  const waiting: ((socket: Socket) => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const waiter = waiting.shift();
    if (waiter) waiter(socket);
    else queue.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    accept: () => {
      const socket = queue.shift();
      return socket ? Promise.resolve(socket) : new Promise((resolve) => waiting.push(resolve));
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Pair {
  /** Dialled out, knows the info-hash. */
  outgoing: PeerConnection;
  /** Accepted; learned the info-hash from the outgoing side's handshake. */
  incoming: PeerConnection;
}

/** Two PeerConnections talking over loopback TCP, both handshakes done. */
export async function connectedPair(
  listener: Listener,
  outgoingOptions: Partial<PeerConnectionOptions> = {},
  incomingOptions: Partial<PeerConnectionOptions> = {},
): Promise<Pair> {
  const accepted = listener.accept();
  const outgoing = await PeerConnection.connect(
    { host: '127.0.0.1', port: listener.port },
    { peerId: peerIdA, infoHash, ...outgoingOptions },
  );
  const incoming = new PeerConnection(await accepted, { peerId: peerIdB, ...incomingOptions });
  const outgoingDone = outgoing.handshake();
  const remote = await incoming.receiveHandshake();
  await incoming.handshake({ infoHash: remote.infoHash });
  await outgoingDone;
  return { outgoing, incoming };
}

/** The next message of `type` the connection yields (others are skipped). */
export async function nextOfType<T extends string>(
  iterator: AsyncIterator<{ type: string }>,
  type: T,
): Promise<{ type: T } & Record<string, unknown>> {
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) throw new Error(`the connection ended before a ${type} message`);
    if (value.type === type) return value as { type: T } & Record<string, unknown>;
  }
}
