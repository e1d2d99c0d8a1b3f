// Runs our UDP tracker server (the built package) in its own process, so the bench can read
// its RSS from /proc like opentracker's. Prints {"port":N} once listening, and its stats as
// a JSON line on SIGUSR2. MAX_PEERS sets the registry's global peer limit.
import { UdpTrackerServer } from '../dist/node.js';

const server = new UdpTrackerServer({
  interval: 1800,
  maxPeers: Number(process.env.MAX_PEERS ?? 1_000_000),
  maxPeersPerTorrent: 100_000,
});
const { port } = await server.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify(server.stats())}\n`));
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
