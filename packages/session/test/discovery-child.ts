// Our session in a child process, for tests that run it inside a network namespace: argv[2] is
// a JSON object { host, localDiscovery, torrents: [{ file, directory, peers? }] }. It prints one
// JSON line per event: `listening` (with the port), `complete` (per torrent), and every half
// second `stats` (each torrent's source table and peers), until it is stopped.
import { readFile } from 'node:fs/promises';
import { parseTorrent } from '@bt/metainfo';
import { parsePeerAddress } from '@bt/primitives';
import { createSession } from '../src/index.js';

interface ChildOptions {
  host: string;
  localDiscovery: boolean;
  torrents: { file: string; directory: string; peers?: string[] }[];
}

const options = JSON.parse(process.argv[2]!) as ChildOptions;
const say = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};
const session = await createSession({
  port: 0,
  host: options.host,
  localDiscovery: options.localDiscovery,
});
say({ type: 'listening', port: session.port });
for (const each of options.torrents) {
  const metainfo = parseTorrent(new Uint8Array(await readFile(each.file)));
  const torrent = await session.addTorrent(metainfo, {
    directory: each.directory,
    peers: (each.peers ?? []).map((peer) => parsePeerAddress(peer)),
  });
  void torrent.whenComplete().then(
    () => say({ type: 'complete', infoHash: torrent.infoHashHex }),
    () => undefined,
  );
}
setInterval(() => {
  say({
    type: 'stats',
    rss: process.memoryUsage().rss,
    torrents: session.list().map((torrent) => ({
      infoHash: torrent.infoHashHex,
      state: torrent.state,
      sources: torrent.stats().sources,
      peers: torrent.peerStats().map((peer) => peer.address),
    })),
  });
}, 500);
process.on('SIGTERM', () => {
  void session.close().then(() => process.exit(0));
});
