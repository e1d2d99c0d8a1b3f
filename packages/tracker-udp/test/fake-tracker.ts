/** A scriptable UDP "tracker" on loopback for hostile-input tests: it records every datagram and answers as told. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export interface FakeTracker {
  port: number;
  url: string;
  received: Uint8Array[];
  socket: Socket;
  reply(bytes: Uint8Array, remote: RemoteInfo): void;
  close(): Promise<void>;
}

export async function startFakeTracker(
  handle: (message: Uint8Array, remote: RemoteInfo, tracker: FakeTracker) => void,
  host = '127.0.0.1',
): Promise<FakeTracker> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const port = socket.address().port;
  const tracker: FakeTracker = {
    port,
    url: `udp://${host.includes(':') ? `[${host}]` : host}:${port}/announce`,
    received: [],
    socket,
    reply(bytes, remote) {
      socket.send(bytes, remote.port, remote.address);
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (message, remote) => {
    tracker.received.push(new Uint8Array(message));
    handle(new Uint8Array(message), remote, tracker);
  });
  return tracker;
}
