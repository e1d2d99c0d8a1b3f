/**
 * Against libtorrent (Debian `python3-libtorrent`): a loopback DHT of five libtorrent sessions,
 * each on its own 127.1.N.1. Our node bootstraps from one of them and fills its table, finds the
 * peer a libtorrent session announced, and is found by libtorrent after announcing; BEP 44
 * items cross both ways, immutable and mutable with salt; BEP 51 samples both ways; BEP 33
 * scrapes libtorrent's bloom filters.
 */
import { randomBytes, toHex } from '@bt/primitives';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dht, createDht, generateKeyPair } from '../src/node.js';
import {
  type LibtorrentMesh,
  requireLibtorrentPython,
  startLibtorrentMesh,
} from './libtorrent-mesh.js';
import { removeTempDirs, waitFor } from '@bt/test-support';

const python = requireLibtorrentPython();
const SESSIONS = 5;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe.skipIf(!python)('against a loopback DHT of libtorrent sessions', () => {
  let mesh: LibtorrentMesh;
  let dht: Dht;

  beforeAll(async () => {
    mesh = await startLibtorrentMesh(python!, SESSIONS, 1);
    const first = mesh.nodes[0]!;
    dht = await createDht({ host: '127.0.0.1', bootstrap: [`${first.host}:${first.port}`] });
    await dht.ready;
  });

  afterAll(async () => {
    await dht?.close();
    await mesh?.stop();
    await removeTempDirs();
  });

  it('bootstraps from one session and learns the others', async () => {
    await waitFor(() => dht.stats().tables[0]!.table.nodes >= SESSIONS, {
      what: 'our table to hold every libtorrent session',
    });
    const stats = dht.stats();
    expect(stats.responsesIn).toBeGreaterThan(0);
    // libtorrent took us into its tables too: it queries us.
    await waitFor(
      async () =>
        (await mesh.command<{ nodes: number }>('nodes', { session: 3 })).nodes >= SESSIONS - 1
          ? true
          : false,
      { what: 'libtorrent session 3 to know the mesh' },
    );
  });

  it('finds the peer a libtorrent session announced', async () => {
    const infoHash = randomBytes(20);
    const { port } = await mesh.command<{ port: number }>('announce', {
      session: 2,
      infoHash: toHex(infoHash),
    });
    const expected = { host: mesh.nodes[2]!.host, port, family: 4 };
    // The announce runs inside libtorrent: look until it has landed.
    const found = await waitFor(
      async () => (await collect(dht.lookup(infoHash))).find((peer) => peer.host === expected.host),
      { intervalMs: 200, what: 'the peer libtorrent announced' },
    );
    expect(found).toEqual(expected);
  });

  it('libtorrent finds the peer we announced', async () => {
    const infoHash = randomBytes(20);
    const result = await dht.announce(infoHash, { port: 42424 });
    expect(result.acknowledged).toBeGreaterThanOrEqual(SESSIONS - 1);
    const reply = await mesh.command<{ peers: { host: string; port: number }[] }>('get_peers', {
      session: 4,
      infoHash: toHex(infoHash),
    });
    expect(reply.peers).toContainEqual({ host: '127.0.0.1', port: 42424 });
  });

  it('BEP 44 immutable items, both ways', async () => {
    // A string: the Python binding can only hand over string items it read.
    const ours = await dht.put('immutable from bt');
    expect(ours.stored).toBeGreaterThan(0);
    const read = await mesh.command<{ value: string | null }>('get_immutable', {
      session: 1,
      target: hex(ours.target),
    });
    expect(read.value).toBe(hex(new TextEncoder().encode('17:immutable from bt')));

    const value = new TextEncoder().encode('l5:lists3:arei1ee');
    const theirs = await mesh.command<{ target: string; stored: number }>('put_immutable', {
      session: 3,
      value: hex(value),
    });
    expect(theirs.stored).toBeGreaterThan(0);
    const item = await dht.get(Buffer.from(theirs.target, 'hex'));
    expect(item && hex(item.value)).toBe(hex(value));
  });

  it('BEP 44 mutable items with salt, both ways', async () => {
    const keyPair = generateKeyPair();
    const salt = new TextEncoder().encode('bt-salt');
    const ours = await dht.put('mutable from bt', { keyPair, seq: 3, salt });
    expect(ours.stored).toBeGreaterThan(0);
    const read = await mesh.command<{ value: string | null; seq: number }>('get_mutable', {
      session: 2,
      publicKey: hex(keyPair.publicKey),
      salt: hex(salt),
    });
    expect(read.value).toBe(hex(new TextEncoder().encode('15:mutable from bt')));
    expect(read.seq).toBe(3);

    const theirKeys = generateKeyPair();
    const stored = await mesh.command<{ stored: number; seq: number }>('put_mutable', {
      session: 1,
      seed: hex(theirKeys.secretKey),
      publicKey: hex(theirKeys.publicKey),
      value: hex(new TextEncoder().encode('from libtorrent')),
      salt: hex(salt),
    });
    expect(stored.stored).toBeGreaterThan(0);
    const { mutableTarget } = await import('../src/index.js');
    const item = await dht.get(mutableTarget(theirKeys.publicKey, salt), { salt });
    expect(item && new TextDecoder().decode(item.value)).toBe('15:from libtorrent');
    expect(item?.seq).toBe(stored.seq);
  });

  it('BEP 51 samples both ways, BEP 33 scrape of libtorrent nodes', async () => {
    const infoHash = randomBytes(20);
    await mesh.command('announce', { session: 0, infoHash: toHex(infoHash) });
    // The announce reaches every node here (six nodes, k = 8), us included.
    const sampled = await waitFor(
      async () =>
        (await collect(dht.sample())).some(
          (sample) => hex(sample.infoHash) === toHex(infoHash) && sample.from.host !== '127.0.0.1',
        ),
      { intervalMs: 200, what: 'a libtorrent node to sample the info-hash' },
    );
    expect(sampled).toBe(true);
    const theirs = await waitFor(
      async () => {
        const reply = await mesh.command<{ samples: string[] | null; num: number }>('sample', {
          session: 4,
          host: '127.0.0.1',
          port: dht.address().port,
        });
        return reply.samples?.includes(toHex(infoHash)) ? reply : undefined;
      },
      { intervalMs: 200, what: 'libtorrent to sample our node' },
    );
    expect(theirs.num).toBeGreaterThanOrEqual(1);
    const scrape = await dht.scrape(infoHash);
    expect(scrape.responses).toBeGreaterThan(0);
    expect(scrape.peers + scrape.seeds).toBeGreaterThanOrEqual(1);
  });
});
