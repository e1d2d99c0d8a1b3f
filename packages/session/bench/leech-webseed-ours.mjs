// One bench leecher: our session downloads <torrent> into <dir> from its web seeds only, then exits.
import { readFile } from 'node:fs/promises';
import { parseTorrent } from '@bt/metainfo';
import { createSession } from '@bt/session';

const [torrentPath, directory] = process.argv.slice(2);
const metainfo = parseTorrent(new Uint8Array(await readFile(torrentPath)));
const session = await createSession({ port: 0, host: '127.0.0.1', noListen: true });
const torrent = await session.addTorrent(metainfo, { directory, seed: false, skipCheck: true });
await torrent.whenComplete();
const stats = torrent.stats();
await session.close();
process.stdout.write(
  `${JSON.stringify({ wasted: stats.wastedBytes, hashFailures: stats.hashFailures })}\n`,
);
