/** Torrents for the unit tests of the list logic. */
import type { Torrent } from './types.js';

export function torrent(fields: Partial<Torrent> & { id: number }): Torrent {
  return {
    name: `torrent ${fields.id}`,
    hashString: fields.id.toString(16).padStart(40, '0'),
    status: 0,
    percentDone: 0,
    recheckProgress: 0,
    metadataPercentComplete: 1,
    rateDownload: 0,
    rateUpload: 0,
    eta: -1,
    uploadRatio: 0,
    peersConnected: 0,
    peersSendingToUs: 0,
    peersGettingFromUs: 0,
    sizeWhenDone: 1000,
    totalSize: 1000,
    leftUntilDone: 1000,
    uploadedEver: 0,
    downloadedEver: 0,
    error: 0,
    errorString: '',
    queuePosition: fields.id,
    labels: [],
    addedDate: 1000 + fields.id,
    downloadDir: '/data',
    isFinished: false,
    ...fields,
  };
}
