/** The v1 info-hash of a .torrent, for tests that must not depend on @bt/metainfo. */
import { createHash } from 'node:crypto';
import { locate } from '@bt/bencode';

export function parseTorrentInfoHash(torrent: Uint8Array): Uint8Array {
  const span = locate(torrent, ['info']);
  if (!span) throw new Error('no info dictionary');
  return new Uint8Array(createHash('sha1').update(torrent.subarray(span.start, span.end)).digest());
}
