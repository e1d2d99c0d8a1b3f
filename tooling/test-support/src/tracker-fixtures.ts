/**
 * Fixtures of the tracker tests (HTTP and UDP clients, our servers): identities, an announce
 * request, and a throwaway HTTP server on loopback whose handler the test writes (a tracker
 * that answers garbage, stalls, or checks what it was sent).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnnounceRequest } from '@bt/primitives';

/** `length` bytes of `fill`: an info-hash (20 bytes by default) easy to recognise. */
export function filledBytes(fill: number, length = 20): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

/** A distinct, recognisable Azureus-style peer id for peer number `n`. */
export function testPeerId(n: number): Uint8Array {
  const id = new TextEncoder().encode('-BT0001-000000000000');
  new DataView(id.buffer).setUint32(16, 0x41414141 + n);
  return id;
}

/** A `started` announce of peer `n` (port 20000 + n) for the 0xab info-hash, fields overridable. */
export function testAnnounceRequest(
  overrides: Partial<AnnounceRequest> & { n?: number } = {},
): AnnounceRequest {
  const { n = 1, ...rest } = overrides;
  return {
    infoHash: filledBytes(0xab),
    peerId: testPeerId(n),
    port: 20000 + n,
    uploaded: 0,
    downloaded: 0,
    left: 1000,
    event: 'started',
    ...rest,
  };
}

/** A throwaway HTTP server on 127.0.0.1 whose handler the test writes. */
export async function startHttpStub(
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
