/** Test helpers for the tracker commands: a torrent naming given trackers, and loopback servers. */
import { createHash } from 'node:crypto';
import { encode, locate } from '@bt/bencode';
import { SwarmRegistry } from '@bt/tracker-server';
import { HttpTrackerServer, UdpTrackerServer } from '@bt/tracker-server/node';

export function torrentFor(trackers: string[]): { bytes: Uint8Array; infoHash: Uint8Array } {
  const bytes = encode({
    announce: trackers[0] ?? '',
    'announce-list': trackers.map((url) => [url]),
    info: {
      name: 'payload.bin',
      length: 40_000,
      'piece length': 16_384,
      pieces: new Uint8Array(60),
    },
  });
  const span = locate(bytes, ['info'])!;
  const infoHash = new Uint8Array(
    createHash('sha1').update(bytes.subarray(span.start, span.end)).digest(),
  );
  return { bytes, infoHash };
}

/** An HTTP and a UDP tracker over one registry, on loopback. */
export async function startTrackers(options: { allowList?: Uint8Array[] } = {}): Promise<{
  http: string;
  udp: string;
  registry: SwarmRegistry;
  close: () => Promise<void>;
}> {
  const registry = new SwarmRegistry(options.allowList ? { allowList: options.allowList } : {});
  const http = new HttpTrackerServer({ registry });
  const udp = new UdpTrackerServer({ registry });
  const { port: httpPort } = await http.listen({ port: 0, host: '127.0.0.1' });
  const { port: udpPort } = await udp.listen(0, '127.0.0.1');
  return {
    http: `http://127.0.0.1:${httpPort}/announce`,
    udp: `udp://127.0.0.1:${udpPort}/announce`,
    registry,
    close: async () => {
      await Promise.all([http.close(), udp.close()]);
    },
  };
}
