/**
 * `bt dht` against a loopback DHT of our nodes: peers found (and announced), BEP 44 items put
 * and read back, BEP 51 samples, a node's status as NDJSON, and usage errors.
 */
import { join } from 'node:path';
import { randomBytes, toHex } from '@bt/primitives';
import { type Dht, createDht } from '@bt/dht/node';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from './run-cli.js';

describe('bt dht', () => {
  const nodes: Dht[] = [];
  let bootstrap: string[];

  beforeAll(async () => {
    const first = await createDht({ host: '127.0.0.1', bootstrap: [] });
    nodes.push(first);
    const entry = `127.0.0.1:${first.address().port}`;
    for (let i = 0; i < 3; i++)
      nodes.push(await createDht({ host: '127.0.0.1', bootstrap: [entry] }));
    await Promise.all(nodes.map((node) => node.ready));
    bootstrap = ['--host', '127.0.0.1', '--bootstrap', entry];
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await removeTempDirs();
  });

  it('peers: finds an announced peer (exit 0), and none for an unknown torrent (exit 1)', async () => {
    const infoHash = randomBytes(20);
    await nodes[2]!.announce(infoHash, { port: 51413 });
    const found = await runCli(['dht', 'peers', toHex(infoHash), ...bootstrap, '--timeout', '20']);
    expect(found.code).toBe(0);
    expect(found.stdout).toContain('127.0.0.1:51413');
    expect(found.stderr).toMatch(/1 peer\(s\), \d+ queries/);

    const none = await runCli(['dht', 'peers', toHex(randomBytes(20)), ...bootstrap, '--json']);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      event: 'lookup-done',
      peers: 0,
    });
  });

  it('peers --announce: the other nodes then find us', async () => {
    const infoHash = randomBytes(20);
    const result = await runCli([
      'dht',
      'peers',
      toHex(infoHash),
      ...bootstrap,
      '--announce',
      '6000',
    ]);
    expect(result.stderr).toMatch(/announced to [1-9]\d* node/);
    const peers: string[] = [];
    for await (const peer of nodes[3]!.lookup(infoHash)) peers.push(`${peer.host}:${peer.port}`);
    expect(peers).toContain('127.0.0.1:6000');
  });

  it('put and get: immutable, then mutable with a key file and salt', async () => {
    const put = await runCli(['dht', 'put', 'hello from bt', ...bootstrap]);
    expect(put.code).toBe(0);
    const target = put.stdout.trim();
    expect(target).toMatch(/^[0-9a-f]{40}$/);
    const get = await runCli(['dht', 'get', target, ...bootstrap]);
    expect(get.code).toBe(0);
    expect(get.stdout.trim()).toBe('hello from bt');

    const dir = await makeTempDir('bt-dht-key-');
    const key = join(dir, 'my.key');
    const mutable = await runCli([
      'dht',
      'put',
      'v1',
      '--key',
      key,
      '--salt',
      'notes',
      '--seq',
      '5',
      '--json',
      ...bootstrap,
    ]);
    expect(mutable.code).toBe(0);
    const written = JSON.parse(mutable.stdout) as { target: string; stored: number };
    expect(written.stored).toBeGreaterThan(0);
    const read = await runCli([
      'dht',
      'get',
      written.target,
      '--salt',
      'notes',
      '--json',
      ...bootstrap,
    ]);
    expect(JSON.parse(read.stdout)).toMatchObject({
      target: written.target,
      seq: 5,
      value: toHex(new TextEncoder().encode('2:v1')),
    });
  });

  it('sample: the info-hashes the nodes store', async () => {
    const infoHash = randomBytes(20);
    await nodes[1]!.announce(infoHash, { port: 7000 });
    const result = await runCli(['dht', 'sample', ...bootstrap]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(toHex(infoHash));
  });

  it('node --json: NDJSON status lines until stopped', async () => {
    const controller = new AbortController();
    const running = startCli(
      ['dht', 'node', ...bootstrap, '--port', '0', '--interval', '1', '--json'],
      {
        signal: controller.signal,
      },
    );
    await running.waitForOutput(/"event":"node-status"/);
    controller.abort();
    const result = await running.result;
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; nodes?: number });
    expect(lines[0]!.event).toBe('node-started');
    expect(lines.find((line) => line.event === 'node-status')!.nodes).toBeGreaterThan(0);
  });

  it('usage errors', async () => {
    expect((await runCli(['dht', 'fly'])).code).toBe(2);
    expect((await runCli(['dht', 'get', 'xyz', ...bootstrap])).code).toBe(2);
    expect((await runCli(['dht', 'put', 'x', '--seq', '3', ...bootstrap])).code).toBe(2);
  });
});
