/**
 * BEP 32 against libtorrent (Debian `python3-libtorrent`): three libtorrent sessions, each with a
 * DHT node on 127.2.N.1 and one on [::1] (same port), linked over both families. Our dual-stack
 * node (`host6`) bootstraps from one session over each family, fills a routing table per family,
 * answers `want: ["n4", "n6"]` with both, finds over IPv6 the peer a libtorrent session
 * announced, and announces over both families: libtorrent's IPv6 nodes serve our IPv6 peer.
 */
import { createSocket } from 'node:dgram';
import { decode, encode } from '@bt/bencode';
import { decodeCompactPeer, randomBytes, toHex } from '@bt/primitives';
import { removeTempDirs, waitFor } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCompactNodes } from '../src/index.js';
import { type Dht, createDht } from '../src/node.js';
import {
  type LibtorrentMesh,
  requireLibtorrentPython,
  startLibtorrentMesh,
} from './libtorrent-mesh.js';

const python = requireLibtorrentPython();
const SESSIONS = 3;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe.skipIf(!python)('BEP 32 dual stack against libtorrent', () => {
  let mesh: LibtorrentMesh;
  let dht: Dht;

  beforeAll(async () => {
    mesh = await startLibtorrentMesh(python!, SESSIONS, 2, { ipv6: true });
    const first = mesh.nodes[0]!;
    const first6 = mesh.nodes6[0]!;
    dht = await createDht({
      host: '127.0.0.1',
      host6: '::1',
      bootstrap: [`${first.host}:${first.port}`, `[${first6.host}]:${first6.port}`],
    });
    await dht.ready;
  });

  afterAll(async () => {
    await dht?.close();
    await mesh?.stop();
    await removeTempDirs();
  });

  it('keeps a routing table per family, filled from libtorrent over each', async () => {
    expect(dht.addresses().map((address) => address.family)).toEqual([4, 6]);
    const nodes = (family: number) =>
      dht.stats().tables.find((entry) => entry.family === family)?.table.nodes ?? 0;
    await waitFor(() => nodes(4) >= SESSIONS && nodes(6) >= SESSIONS, {
      what: 'a table per family holding every libtorrent session',
    });
  });

  it('answers want: ["n4", "n6"] with nodes of both families', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
      const query = encode({
        t: 'ww',
        y: 'q',
        q: 'find_node',
        a: { id: randomBytes(20), target: randomBytes(20), want: ['n4', 'n6'] },
      });
      socket.send(query, dht.address().port, '127.0.0.1');
      const response = decode(await answer) as Map<string, unknown>;
      const r = response.get('r') as Map<string, Uint8Array>;
      const v4 = decodeCompactNodes(r.get('nodes')!, 4, 'nodes');
      const v6 = decodeCompactNodes(r.get('nodes6')!, 6, 'nodes6');
      const ports6 = new Set(mesh.nodes6.map((node) => node.port));
      expect(v4.length).toBeGreaterThanOrEqual(SESSIONS);
      expect(v6.filter((node) => ports6.has(node.address.port)).length).toBe(SESSIONS);
      expect(v6.every((node) => node.address.host === '::1')).toBe(true);
    } finally {
      socket.close();
    }
  });

  it('finds over IPv6 the peer a libtorrent session announced', async () => {
    const infoHash = randomBytes(20);
    const { port } = await mesh.command<{ port: number }>('announce', {
      session: 1,
      infoHash: toHex(infoHash),
    });
    // libtorrent announces on both of its DHT nodes; over IPv6 its peer is [::1]:port.
    const found = await waitFor(
      async () =>
        (await collect(dht.lookup(infoHash))).find(
          (peer) => peer.family === 6 && peer.port === port,
        ),
      { intervalMs: 200, what: 'the IPv6 peer libtorrent announced' },
    );
    expect(found).toEqual({ host: '::1', port, family: 6 });
  });

  it('announces over both families; libtorrent serves our IPv6 peer and finds us', async () => {
    const infoHash = randomBytes(20);
    const result = await dht.announce(infoHash, { port: 7001 });
    // Every libtorrent node of both families took the announce (our table may hold one more).
    expect(result.acknowledged).toBeGreaterThanOrEqual(2 * SESSIONS);
    // Each libtorrent IPv6 node, asked get_peers over IPv6, answers with our [::1]:7001.
    const socket = createSocket({ type: 'udp6', ipv6Only: true });
    await new Promise<void>((resolve) => socket.bind(0, '::1', resolve));
    try {
      for (const node of mesh.nodes6) {
        const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
        socket.send(
          encode({
            t: 'gp',
            y: 'q',
            q: 'get_peers',
            a: { id: randomBytes(20), info_hash: infoHash },
          }),
          node.port,
          '::1',
        );
        const r = (decode(await answer) as Map<string, unknown>).get('r') as Map<string, unknown>;
        const values = ((r.get('values') as Uint8Array[] | undefined) ?? []).map((value) =>
          decodeCompactPeer(value),
        );
        expect(values).toContainEqual({ host: '::1', port: 7001, family: 6 });
      }
    } finally {
      socket.close();
    }
    // And libtorrent's own lookup finds us.
    const peers = await waitFor(
      async () => {
        const answer = await mesh.command<{ peers: { host: string; port: number }[] }>(
          'get_peers',
          { session: 2, infoHash: toHex(infoHash), timeout: 5 },
        );
        return answer.peers.some((peer) => peer.port === 7001) ? answer.peers : undefined;
      },
      { intervalMs: 200, what: 'libtorrent to find the peer we announced' },
    );
    expect(peers).toContainEqual({ host: '127.0.0.1', port: 7001 });
  });
});
