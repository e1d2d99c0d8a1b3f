/** Shared bits of the loopback and interop tests: identities and small hostile HTTP servers. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnnounceRequest } from '@bt/primitives';

export function bytes(fill: number, length = 20): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

export function peerIdOf(n: number): Uint8Array {
  const id = new TextEncoder().encode('-BT0001-000000000000');
  new DataView(id.buffer).setUint32(16, 0x41414141 + n);
  return id;
}

export function request(
  overrides: Partial<AnnounceRequest> & { n?: number } = {},
): AnnounceRequest {
  const { n = 1, ...rest } = overrides;
  return {
    infoHash: bytes(0xab),
    peerId: peerIdOf(n),
    port: 20000 + n,
    uploaded: 0,
    downloaded: 0,
    left: 1000,
    event: 'started',
    ...rest,
  };
}

/** A throwaway HTTP server on loopback whose handler the test writes. */
export async function startStub(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
