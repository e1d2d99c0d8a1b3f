/**
 * Against WebTorrent's `bittorrent-dht` (npm): a loopback mesh of four of its nodes and one of
 * ours. Each side finds the peers the other announced, and BEP 44 items (immutable, and mutable
 * with salt) cross both ways.
 */
import { randomBytes } from '@bt/primitives';
import DHT from 'bittorrent-dht';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@bt/test-support';
import { mutableTarget } from '../src/index.js';
import { type Dht, createDht, generateKeyPair, signEd25519, verifyEd25519 } from '../src/node.js';

const THEIRS = 4;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function theirNode(bootstrap: string[]): Promise<DHT> {
  const node = new DHT({ bootstrap, host: false, verify: verifyEd25519 });
  node.on('error', () => undefined);
  node.on('warning', () => undefined);
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', () => resolve()));
  return node;
}

describe("against bittorrent-dht's nodes", () => {
  let ours: Dht;
  const theirs: DHT[] = [];

  beforeAll(async () => {
    ours = await createDht({ host: '127.0.0.1', bootstrap: [] });
    const entry = `127.0.0.1:${ours.address().port}`;
    for (let i = 0; i < THEIRS; i++) theirs.push(await theirNode([entry]));
    for (const node of theirs) ours.addNode(`127.0.0.1:${node.address().port}`);
    await waitFor(() => ours.stats().tables[0]!.table.nodes >= THEIRS, {
      what: 'our table to hold every bittorrent-dht node',
    });
    await waitFor(() => theirs.every((node) => node.nodes.count() >= 1), {
      what: "bittorrent-dht's tables to fill",
    });
  });

  afterAll(async () => {
    await ours?.close();
    await Promise.all(
      theirs.map((node) => new Promise<void>((resolve) => node.destroy(() => resolve()))),
    );
  });

  it('we find the peer bittorrent-dht announced', async () => {
    const infoHash = randomBytes(20);
    await new Promise<void>((resolve, reject) =>
      theirs[1]!.announce(infoHash, 50505, (error) => (error ? reject(error) : resolve())),
    );
    const peers = await collect(ours.lookup(infoHash));
    expect(peers).toContainEqual({ host: '127.0.0.1', port: 50505, family: 4 });
  });

  it('bittorrent-dht finds the peer we announced', async () => {
    const infoHash = randomBytes(20);
    const result = await ours.announce(infoHash, { port: 40404 });
    expect(result.acknowledged).toBeGreaterThan(0);
    const found = new Promise<{ host: string; port: number }>((resolve) => {
      const onPeer = (peer: { host: string; port: number }, hash: Buffer): void => {
        if (hash.equals(infoHash) && peer.port === 40404) {
          theirs[3]!.removeListener('peer', onPeer);
          resolve(peer);
        }
      };
      theirs[3]!.on('peer', onPeer);
    });
    theirs[3]!.lookup(infoHash);
    expect(await found).toEqual({ host: '127.0.0.1', port: 40404 });
  });

  it('BEP 44 immutable items, both ways', async () => {
    const put = await ours.put('from bt');
    expect(put.stored).toBeGreaterThan(0);
    const read = await new Promise<{ v: Buffer } | null>((resolve, reject) =>
      theirs[0]!.get(put.target, { cache: false }, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
    expect(read?.v.toString()).toBe('from bt');

    const hash = await new Promise<Buffer>((resolve, reject) =>
      theirs[2]!.put({ v: Buffer.from('from bittorrent-dht') }, (error, target) =>
        error ? reject(error) : resolve(target),
      ),
    );
    const item = await ours.get(hash);
    expect(item && new TextDecoder().decode(item.value)).toBe('19:from bittorrent-dht');
  });

  it('BEP 44 mutable items with salt, both ways', async () => {
    const keyPair = generateKeyPair();
    const salt = Buffer.from('salty');
    const put = await ours.put('mutable from bt', { keyPair, seq: 4, salt });
    expect(put.stored).toBeGreaterThan(0);
    const read = await new Promise<{ v: Buffer; seq?: number } | null>((resolve, reject) =>
      theirs[1]!.get(put.target, { salt, cache: false }, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    );
    expect(read?.v.toString()).toBe('mutable from bt');
    expect(read?.seq).toBe(4);

    const theirKeys = generateKeyPair();
    await new Promise<void>((resolve, reject) =>
      theirs[3]!.put(
        {
          v: Buffer.from('mutable from them'),
          k: Buffer.from(theirKeys.publicKey),
          seq: 9,
          salt,
          sign: (message) => signEd25519(message, theirKeys),
        },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    const item = await ours.get(mutableTarget(theirKeys.publicKey, salt), { salt });
    expect(item?.seq).toBe(9);
    expect(item && new TextDecoder().decode(item.value)).toBe('17:mutable from them');
  });
});
