/** Torrents for the unit tests of the list logic. */
import { DEFAULT_TORRENT } from './torrent-store.js';
import type { Torrent } from './types.js';

export function torrent(fields: Partial<Torrent> & { id: number }): Torrent {
  return {
    ...DEFAULT_TORRENT,
    name: `torrent ${fields.id}`,
    hashString: fields.id.toString(16).padStart(40, '0'),
    uploadRatio: 0,
    sizeWhenDone: 1000,
    totalSize: 1000,
    leftUntilDone: 1000,
    queuePosition: fields.id,
    addedDate: 1000 + fields.id,
    downloadDir: '/data',
    ...fields,
  };
}
