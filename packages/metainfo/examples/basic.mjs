// Create a torrent of this folder, read it back, and print its magnet link (after `pnpm build`).
import { fileURLToPath } from 'node:url';
import { createTorrent } from '../dist/node.js';
import {
  filePathSegments,
  magnetFromMetainfo,
  parseMagnet,
  parseTorrent,
  piecesOfFile,
} from '../dist/index.js';

const folder = fileURLToPath(new URL('.', import.meta.url));
const { torrent } = await createTorrent(folder, {
  trackers: [['http://127.0.0.1:6969/announce'], ['udp://127.0.0.1:6969']],
  creationDate: null,
});

const metainfo = parseTorrent(torrent);
console.log(
  metainfo.name,
  metainfo.infoHashHex,
  `${metainfo.pieceCount} x ${metainfo.pieceLength}`,
);
metainfo.files.forEach((file, index) => {
  console.log(
    ' ',
    filePathSegments(metainfo, index).join('/'),
    file.length,
    piecesOfFile(metainfo, index),
  );
});

const magnet = magnetFromMetainfo(metainfo);
console.log(magnet);
console.log(parseMagnet(magnet).trackers);
