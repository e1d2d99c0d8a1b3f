// One DHT node in its own process, for the queries-per-CPU-second bench: ours (`ours`) or
// bittorrent-dht's (`theirs`), on 127.0.0.1, its table filled with the same 16 contacts (fake
// nodes the parent runs), or a bare echo socket (`echo`). Prints {"port": N} when it serves.
import { createSocket } from 'node:dgram';
import DHT from 'bittorrent-dht';
import { createDht } from '@bt/dht/node';

const [kind, contactsJson] = process.argv.slice(2);
const contacts = JSON.parse(contactsJson);
// Exit on SIGTERM rather than die, so a --cpu-prof profile gets written (BENCH_PROFILE).
process.on('SIGTERM', () => process.exit(0));

if (kind === 'echo') {
  // The floor: a socket that sends every datagram straight back, no parsing at all.
  const socket = createSocket('udp4');
  socket.on('message', (message, rinfo) => socket.send(message, rinfo.port, rinfo.address));
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  console.log(JSON.stringify({ port: socket.address().port, nodes: 0 }));
} else if (kind === 'ours') {
  // The per-IP limit is for the open network; here one load generator is the whole world.
  const dht = await createDht({
    host: '127.0.0.1',
    bootstrap: [],
    core: { maxQueriesPerIpPerSecond: 1e9 },
  });
  for (const contact of contacts) dht.addNode(`127.0.0.1:${contact.port}`);
  const started = Date.now();
  while (dht.stats().tables[0].table.nodes < contacts.length && Date.now() - started < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  console.log(
    JSON.stringify({ port: dht.address().port, nodes: dht.stats().tables[0].table.nodes }),
  );
} else {
  const dht = new DHT({ bootstrap: false, host: false });
  dht.on('error', () => undefined);
  dht.on('warning', () => undefined);
  await new Promise((resolve) => dht.listen(0, '127.0.0.1', resolve));
  for (const contact of contacts) {
    dht.addNode({ host: '127.0.0.1', port: contact.port, id: Buffer.from(contact.id, 'hex') });
  }
  console.log(JSON.stringify({ port: dht.address().port, nodes: dht.nodes.count() }));
}
