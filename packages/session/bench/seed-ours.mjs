// One bench seeder: our session checks <dir>/<name> against <torrent>, seeds it on
// 127.0.0.1:<port>, prints 'listening <port>' once seeding (the bench counts CPU from there), and
// runs until SIGTERM.
import { readFile } from 'node:fs/promises';
import { parseTorrent } from '@bt/metainfo';
import { createSession } from '@bt/session';

const [torrentPath, directory, port] = process.argv.slice(2);
const metainfo = parseTorrent(new Uint8Array(await readFile(torrentPath)));
const session = await createSession({
  port: Number(port),
  host: '127.0.0.1',
  transportMode: process.env.BT_TRANSPORT ?? 'tcp',
});
const torrent = await session.addTorrent(metainfo, { directory, seed: true });
if (torrent.stats().state !== 'seeding') {
  await new Promise((resolve, reject) => {
    const off = torrent.on('state-changed', ({ state }) => {
      if (state === 'seeding') resolve();
      else if (state === 'error' || state === 'downloading') reject(new Error(`state ${state}`));
      else return;
      off();
    });
  });
}
process.stdout.write(`listening ${session.stats().port}\n`);
process.once('SIGTERM', () => {
  void session.close().then(() => process.exit(0));
});
