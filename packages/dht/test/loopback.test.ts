/**
 * Our own nodes on loopback, through the UDP shell: bootstrap, lookups, announces, BEP 44, 51
 * and 33 end to end, state files and read-only mode.
 */
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { randomBytes } from '@bt/primitives';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { type Dht, createDht, generateKeyPair, isKrpcDatagram } from '../src/node.js';
import { DhtError } from '../src/index.js';

const nodes: Dht[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.close()));
  await removeTempDirs();
});

async function node(options: Parameters<typeof createDht>[0] = {}): Promise<Dht> {
  const dht = await createDht({ host: '127.0.0.1', bootstrap: [], ...options });
  nodes.push(dht);
  return dht;
}

/** A mesh of `count` nodes, each bootstrapped from the first; resolves when all are ready. */
async function mesh(count: number): Promise<Dht[]> {
  const first = await node();
  const entry = `127.0.0.1:${first.address().port}`;
  const rest = await Promise.all(
    Array.from({ length: count - 1 }, () => node({ bootstrap: [entry] })),
  );
  await Promise.all(rest.map((dht) => dht.ready));
  return [first, ...rest];
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('our nodes on loopback', () => {
  it('bootstrap fills the tables, announce and lookup meet', async () => {
    const dhts = await mesh(8);
    for (const dht of dhts.slice(1)) expect(dht.stats().tables[0]!.table.nodes).toBeGreaterThan(0);
    const infoHash = randomBytes(20);
    const announced = await dhts[3]!.announce(infoHash, { port: 51413 });
    expect(announced.acknowledged).toBeGreaterThan(0);
    const peers = await collect(dhts[6]!.lookup(infoHash));
    expect(peers).toContainEqual({ host: '127.0.0.1', port: 51413, family: 4 });
  });

  it('BEP 32: an IPv6 node on ::1 (nodes6, compact 38-byte nodes, 18-byte peers)', async () => {
    const first = await node({ host: '::1' });
    const entry = `[::1]:${first.address().port}`;
    const second = await node({ host: '::1', bootstrap: [entry] });
    const third = await node({ host: '::1', bootstrap: [entry] });
    await Promise.all([second.ready, third.ready]);
    expect(third.stats().tables).toEqual([expect.objectContaining({ family: 6 })]);
    const infoHash = randomBytes(20);
    expect((await second.announce(infoHash, { port: 5555 })).acknowledged).toBeGreaterThan(0);
    expect(await collect(third.lookup(infoHash))).toContainEqual({
      host: '::1',
      port: 5555,
      family: 6,
    });
  });

  it('BEP 44: immutable and mutable items, with salt and seq', async () => {
    const dhts = await mesh(6);
    const put = await dhts[1]!.put('hello world');
    expect(put.stored).toBeGreaterThan(0);
    const item = await dhts[4]!.get(put.target);
    expect(new TextDecoder().decode(item!.value)).toBe('11:hello world');

    const keyPair = generateKeyPair();
    const salt = new TextEncoder().encode('salt');
    const first = await dhts[2]!.put({ a: 1 }, { keyPair, seq: 1, salt });
    expect(first.stored).toBeGreaterThan(0);
    const second = await dhts[2]!.put({ a: 2 }, { keyPair, seq: 2, salt });
    expect(second.target).toEqual(first.target);
    const found = await dhts[5]!.get(first.target, { salt });
    expect(found?.seq).toBe(2);
    expect(new TextDecoder().decode(found!.value)).toBe('d1:ai2ee');
    // Without the salt the signature does not check out.
    expect(await dhts[5]!.get(first.target)).toBeUndefined();
  });

  it('BEP 51 samples and BEP 33 scrapes', async () => {
    const dhts = await mesh(6);
    const infoHash = randomBytes(20);
    await dhts[1]!.announce(infoHash, { port: 6000, seed: true });
    await dhts[2]!.announce(infoHash, { port: 6001 });
    const samples = await collect(dhts[4]!.sample());
    expect(samples.map((sample) => Buffer.from(sample.infoHash).toString('hex'))).toContain(
      Buffer.from(infoHash).toString('hex'),
    );
    const scrape = await dhts[5]!.scrape(infoHash);
    // One IP (127.0.0.1): BEP 33 counts IPs, and the second announce replaced the first.
    expect(scrape.responses).toBeGreaterThan(0);
    expect(scrape.seeds + scrape.peers).toBeGreaterThanOrEqual(1);
  });

  it('a state file brings the id and table back', async () => {
    const folder = await makeTempDir('bt-dht-state-');
    const dhts = await mesh(4);
    const state = join(folder, 'dht.state');
    const entry = `127.0.0.1:${dhts[0]!.address().port}`;
    const first = await node({ bootstrap: [entry], state });
    await first.ready;
    const id = Buffer.from(first.id).toString('hex');
    await first.close();
    const again = await node({ bootstrap: [], state });
    expect(Buffer.from(again.id).toString('hex')).toBe(id);
    await again.ready;
    expect(again.stats().tables[0]!.table.nodes).toBeGreaterThan(0);
  });

  it('BEP 43: a read-only node asks but never enters tables', async () => {
    const dhts = await mesh(4);
    const entry = `127.0.0.1:${dhts[0]!.address().port}`;
    const reader = await node({ bootstrap: [entry], readOnly: true });
    await reader.ready;
    expect(reader.stats().tables[0]!.table.nodes).toBeGreaterThan(0);
    // Each of the four knows at most the other three: the reader is in no table.
    for (const dht of dhts) {
      expect(dht.stats().tables[0]!.table.nodes).toBeLessThanOrEqual(3);
      expect(dht.stats().queriesIn).toBeGreaterThanOrEqual(0);
    }
    expect(reader.stats().queriesIn).toBe(0);
  });

  it("runs on a shared socket, fed only the datagrams that are the DHT's", async () => {
    const dhts = await mesh(3);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const other: Buffer[] = [];
    let otherArrived!: () => void;
    const arrived = new Promise<void>((resolve) => {
      otherArrived = resolve;
    });
    const shared = await node({ socket, bootstrap: [`127.0.0.1:${dhts[0]!.address().port}`] });
    socket.on('message', (message, rinfo) => {
      if (isKrpcDatagram(message))
        shared.receive(message, { host: rinfo.address, port: rinfo.port, family: 4 });
      else {
        other.push(message);
        otherArrived();
      }
    });
    await shared.ready;
    expect(shared.address().port).toBe(socket.address().port);
    const infoHash = randomBytes(20);
    await dhts[1]!.announce(infoHash, { port: 7777 });
    const peers = await collect(shared.lookup(infoHash));
    expect(peers).toContainEqual({ host: '127.0.0.1', port: 7777, family: 4 });
    // A uTP-looking datagram on the same port is left to its owner.
    const probe = createSocket('udp4');
    probe.send(Uint8Array.of(0x41, 0, 0, 0), socket.address().port, '127.0.0.1');
    await arrived;
    expect(other).toHaveLength(1);
    probe.close();
    await shared.close();
    // Closing the DHT leaves the shared socket open.
    expect(() => socket.address()).not.toThrow();
    socket.close();
  });

  it('abort ends a lookup with a typed error, close ends the rest', async () => {
    const dhts = await mesh(3);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      collect(dhts[1]!.lookup(randomBytes(20), { signal: controller.signal })),
    ).rejects.toMatchObject({
      code: 'aborted',
    });
    await dhts[2]!.close();
    await expect(dhts[2]!.announce(randomBytes(20), { port: 1 })).rejects.toSatisfy(
      (error: unknown) => DhtError.isInstance(error) && error.code === 'closed',
    );
  });
});
