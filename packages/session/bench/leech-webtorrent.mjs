// One bench leecher: WebTorrent (npm) downloads <torrent> into <dir> from <host:port>, then exits.
import { readFile } from 'node:fs/promises';
import WebTorrent from 'webtorrent';

const [torrentPath, directory, ...peers] = process.argv.slice(2);
const client = new WebTorrent({
  dht: false,
  lsd: false,
  tracker: false,
  utp: false,
  webSeeds: false,
  natUpnp: false,
  natPmp: false,
});
const started = performance.now();
const torrent = client.add(await readFile(torrentPath), { path: directory });
torrent.on('ready', () => {
  for (const peer of peers) torrent.addPeer(peer);
});
torrent.on('error', (error) => {
  console.error(error);
  process.exit(3);
});
torrent.on('done', () => {
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ seconds, bytes: torrent.length })}\n`);
  client.destroy(() => process.exit(0));
});
