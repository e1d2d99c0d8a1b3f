// A child process running our session: downloads argv[2] (a .torrent) into argv[3] from the
// peers in argv[4..], printing one JSON line per verified piece and `done` at the end.
import { readFile } from 'node:fs/promises';
import { parseTorrent } from '@bt/metainfo';
import { parsePeerAddress } from '@bt/primitives';
import { createSession } from '../src/index.js';

const [torrentPath, directory, ...peers] = process.argv.slice(2);
const metainfo = parseTorrent(new Uint8Array(await readFile(torrentPath!)));
const session = await createSession({ port: 0, host: '127.0.0.1' });
const torrent = await session.addTorrent(metainfo, {
  directory: directory!,
  peers: peers.map((peer) => parsePeerAddress(peer)),
  seed: false,
});
torrent.on('check-finished', (event) =>
  process.stdout.write(`${JSON.stringify({ type: 'checked', ...event })}\n`),
);
torrent.on('piece-verified', (event) =>
  process.stdout.write(`${JSON.stringify({ type: 'piece', ...event })}\n`),
);
await torrent.whenComplete();
const stats = torrent.stats();
process.stdout.write(`${JSON.stringify({ type: 'done', downloaded: stats.downloaded })}\n`);
await session.close();
