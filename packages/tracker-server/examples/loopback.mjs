// A tracker and two peers on loopback: run `pnpm build`, then `node examples/loopback.mjs`.
import { HttpTrackerServer } from '@bt/tracker-server/node';
import { HttpTrackerClient } from '@bt/tracker-http/node';

const server = new HttpTrackerServer({ interval: 300 });
const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
const announceUrl = `http://127.0.0.1:${port}/announce`;

const client = new HttpTrackerClient({ timeout: 5000 });
const infoHash = new Uint8Array(20).fill(0xab);
const peer = (n, left) => ({
  infoHash,
  peerId: new Uint8Array(20).fill(n),
  port: 6880 + n,
  uploaded: 0,
  downloaded: 0,
  left,
  event: 'started',
});

await client.announce(announceUrl, peer(1, 0)); // a seeder
const answer = await client.announce(announceUrl, peer(2, 1000)); // a leecher
console.log(`seeders ${answer.complete}, leechers ${answer.incomplete}, peers`, answer.peers);

const { files } = await client.scrape(announceUrl, [infoHash]);
console.log('scrape', files[0]);

await client.close();
await server.close();
