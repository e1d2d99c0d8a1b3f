// One magnet bench leecher: our session, its DHT node bootstrapped from the given nodes (none:
// no DHT), adds <magnet> and downloads into <dir>. Prints {"metadata": s} once it has the info
// dictionary and {"finished": s} once the file is complete (seconds from the add), then exits.
import { createSession } from '@bt/session';

const [magnet, directory, host, ...nodes] = process.argv.slice(2);
const session = await createSession({
  port: 0,
  host,
  dht: nodes.length > 0,
  dhtBootstrap: nodes,
});
const started = performance.now();
const seconds = () => (performance.now() - started) / 1000;
const pending = session.addMagnet(magnet, { directory, seed: false });
await pending.whenMetadata();
process.stdout.write(`${JSON.stringify({ metadata: seconds() })}\n`);
const torrent = await pending.whenTorrent();
await torrent.whenComplete();
process.stdout.write(`${JSON.stringify({ finished: seconds() })}\n`);
await session.close();
