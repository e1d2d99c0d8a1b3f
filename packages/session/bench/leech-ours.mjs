// One bench leecher: our session downloads <torrent> into <dir> from <host:port>, then exits.
import { readFile } from 'node:fs/promises';
import { parseTorrent } from '@bt/metainfo';
import { parsePeerAddress } from '@bt/primitives';
import { createSession } from '@bt/session';

const [torrentPath, directory, ...peers] = process.argv.slice(2);
const metainfo = parseTorrent(new Uint8Array(await readFile(torrentPath)));
// BT_TRANSPORT=utp|both picks the transport (default TCP); BT_ENCRYPTION the MSE/PE policy
const session = await createSession({
  port: 0,
  host: '127.0.0.1',
  transportMode: process.env.BT_TRANSPORT ?? 'tcp',
  encryption: process.env.BT_ENCRYPTION,
});
const started = performance.now();
const torrent = await session.addTorrent(metainfo, {
  directory,
  peers: peers.map((peer) => parsePeerAddress(peer)),
  seed: false,
  skipCheck: true,
});
if (process.env.BT_DEBUG)
  torrent.onAny((event) => {
    if (event.type !== 'piece-verified') process.stderr.write(`${JSON.stringify(event)}\n`);
  });
const debug = process.env.BT_DEBUG
  ? setInterval(() => {
      const s = torrent.stats();
      const p = torrent
        .peerStats()
        .map((x) => `${x.address} out=${x.outstanding} ${(x.downloadRate / 1e6).toFixed(1)}MB/s`);
      const m = process.memoryUsage();
      const mb = (n) => (n / 1048576).toFixed(0);
      process.stderr.write(
        `${s.state} ${(s.progress * 100).toFixed(1)}% ${(s.downloadRate / 1e6).toFixed(1)}MB/s ${p.join(' ')} rss=${mb(m.rss)} heap=${mb(m.heapTotal)} ext=${mb(m.external)} ab=${mb(m.arrayBuffers)}\n`,
      );
    }, 500)
  : undefined;
await torrent.whenComplete();
if (debug) clearInterval(debug);
const seconds = (performance.now() - started) / 1000;
const stats = torrent.stats();
await session.close();
process.stdout.write(
  `${JSON.stringify({ seconds, bytes: metainfo.length, wasted: stats.wastedBytes, peers: peers.length })}\n`,
);
