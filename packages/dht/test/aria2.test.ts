/**
 * Against aria2 (Debian `aria2`): given a magnet link and our node as its only DHT entry point,
 * aria2c joins through us, looks the torrent up and announces itself; another of our nodes then
 * finds aria2 as a peer.
 */
import { toHex, randomBytes } from '@bt/primitives';
import {
  freePort,
  freeUdpPort,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  startProcess,
  waitFor,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { type Dht, createDht } from '../src/node.js';

const aria2c = requireProgram('aria2c', 'aria2');

describe.skipIf(!aria2c)('against aria2', () => {
  const nodes: Dht[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await removeTempDirs();
  });

  it('aria2 joins through our node and announces; we find it', async () => {
    const ours = await createDht({ host: '127.0.0.1', bootstrap: [] });
    nodes.push(ours);
    const infoHash = randomBytes(20);
    const dir = await makeTempDir('bt-dht-aria2-');
    const listenPort = await freePort();
    const dhtPort = await freeUdpPort();
    const aria = startProcess(aria2c!, [
      '--enable-dht=true',
      `--dht-entry-point=127.0.0.1:${ours.address().port}`,
      `--dht-listen-port=${dhtPort}`,
      `--dht-file-path=${dir}/dht.dat`,
      `--listen-port=${listenPort}`,
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--no-conf=true',
      '-d',
      dir,
      `magnet:?xt=urn:btih:${toHex(infoHash)}`,
    ]);
    try {
      await waitFor(() => ours.stats().storedPeers >= 1, {
        timeoutMs: 60_000,
        what: `aria2 to announce to our node (aria2 output: ${aria.output().slice(-300)})`,
      });
      expect(ours.stats().tables[0]!.table.nodes).toBeGreaterThanOrEqual(1);
      const finder = await createDht({
        host: '127.0.0.1',
        bootstrap: [`127.0.0.1:${ours.address().port}`],
      });
      nodes.push(finder);
      const peers = [];
      for await (const peer of finder.lookup(infoHash)) peers.push(peer);
      expect(peers).toContainEqual({ host: '127.0.0.1', port: listenPort, family: 4 });
    } finally {
      await aria.stop();
    }
  });
});
