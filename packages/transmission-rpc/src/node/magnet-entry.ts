/**
 * A magnet link (BEP 9) waiting for its metadata, as the daemon lists it: a stand-in `Metainfo`
 * with the link's info-hash, name (`dn`, else the hash) and trackers (`tr`), no files and no
 * pieces, until the session has fetched the info dictionary from peers.
 */
import { type Metainfo, parseMagnet } from '@bt/metainfo';
import { RpcError } from '../errors.js';

/** The stand-in metainfo of `link`; throws `invalid-argument` for a link that cannot be used. */
export function metainfoOfMagnet(link: string): Metainfo {
  let magnet;
  try {
    magnet = parseMagnet(link);
  } catch (error) {
    throw new RpcError('invalid-argument', 'invalid magnet link', {
      argument: 'filename',
      cause: error,
    });
  }
  if (!magnet.infoHash || !magnet.infoHashHex)
    throw new RpcError(
      'invalid-argument',
      'the magnet link has no v1 info-hash (urn:btih:); v2-only magnets are not supported',
      { argument: 'filename' },
    );
  return {
    infoHash: magnet.infoHash,
    infoHashHex: magnet.infoHashHex,
    name: magnet.name ?? magnet.infoHashHex,
    pieceLength: 16 * 1024,
    pieceCount: 0,
    pieces: new Uint8Array(0),
    length: 0,
    files: [],
    multiFile: false,
    private: false,
    announce: magnet.trackers.map((url) => [url]),
    urlList: magnet.webSeeds,
    httpSeeds: [],
    infoBytes: new Uint8Array(0),
    hybrid: false,
    version: 'v1',
    info: new Map(),
    extra: new Map(),
  };
}
