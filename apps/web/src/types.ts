/**
 * The shapes the page reads from btd's Transmission RPC (legacy dialect: camelCase torrent
 * fields, kebab-case session keys). Only what the page shows is typed.
 */

/** Transmission's status codes (rpc-spec: `status`). */
export const STATUS = {
  stopped: 0,
  checkWait: 1,
  checking: 2,
  downloadWait: 3,
  downloading: 4,
  seedWait: 5,
  seeding: 6,
} as const;

export interface Torrent {
  id: number;
  name: string;
  hashString: string;
  status: number;
  percentDone: number;
  recheckProgress: number;
  metadataPercentComplete: number;
  rateDownload: number;
  rateUpload: number;
  eta: number;
  uploadRatio: number;
  peersConnected: number;
  peersSendingToUs: number;
  peersGettingFromUs: number;
  sizeWhenDone: number;
  totalSize: number;
  leftUntilDone: number;
  uploadedEver: number;
  downloadedEver: number;
  error: number;
  errorString: string;
  queuePosition: number;
  labels: string[];
  addedDate: number;
  downloadDir: string;
  isFinished: boolean;
}

/** Fields that change while a torrent runs: asked for every tick, only of recently-active torrents. */
export const LIVE_FIELDS = [
  'id',
  'status',
  'percentDone',
  'recheckProgress',
  'metadataPercentComplete',
  'rateDownload',
  'rateUpload',
  'eta',
  'uploadRatio',
  'peersConnected',
  'peersSendingToUs',
  'peersGettingFromUs',
  'sizeWhenDone',
  'leftUntilDone',
  'uploadedEver',
  'downloadedEver',
  'error',
  'errorString',
  'queuePosition',
  'isFinished',
] as const;

/** Everything the list shows: asked for at start, for new torrents and after the page edits one. */
export const LIST_FIELDS = [
  ...LIVE_FIELDS,
  'name',
  'hashString',
  'totalSize',
  'labels',
  'addedDate',
  'downloadDir',
] as const;

export interface TorrentFile {
  name: string;
  length: number;
  bytesCompleted: number;
}

export interface FileStat {
  bytesCompleted: number;
  wanted: boolean | number;
  priority: number;
}

export interface Peer {
  address: string;
  port: number;
  clientName: string;
  flagStr: string;
  progress: number;
  rateToClient: number;
  rateToPeer: number;
  isEncrypted: boolean;
  isUTP: boolean;
}

export interface TrackerStat {
  id: number;
  announce: string;
  host: string;
  tier: number;
  lastAnnounceResult: string;
  lastAnnounceSucceeded: boolean;
  lastAnnounceTime: number;
  nextAnnounceTime: number;
  announceState: number;
  seederCount: number;
  leecherCount: number;
  lastAnnouncePeerCount: number;
}

export interface TorrentDetails {
  id: number;
  files: TorrentFile[];
  fileStats: FileStat[];
  peers: Peer[];
  trackerStats: TrackerStat[];
  pieces: string;
  pieceCount: number;
  pieceSize: number;
  downloadLimit: number;
  downloadLimited: boolean;
  uploadLimit: number;
  uploadLimited: boolean;
  seedRatioLimit: number;
  seedRatioMode: number;
  seedIdleLimit: number;
  seedIdleMode: number;
  comment: string;
  creator: string;
  magnetLink: string;
  isPrivate: boolean;
  haveValid: number;
  corruptEver: number;
  dateCreated: number;
  doneDate: number;
  activityDate: number;
}

export const DETAIL_FIELDS = [
  'id',
  'files',
  'fileStats',
  'peers',
  'trackerStats',
  'pieces',
  'pieceCount',
  'pieceSize',
  'downloadLimit',
  'downloadLimited',
  'uploadLimit',
  'uploadLimited',
  'seedRatioLimit',
  'seedRatioMode',
  'seedIdleLimit',
  'seedIdleMode',
  'comment',
  'creator',
  'magnetLink',
  'isPrivate',
  'haveValid',
  'corruptEver',
  'dateCreated',
  'doneDate',
  'activityDate',
] as const;

export interface SessionStats {
  downloadSpeed: number;
  uploadSpeed: number;
  activeTorrentCount: number;
  pausedTorrentCount: number;
  torrentCount: number;
  'cumulative-stats': CumulativeStats;
  'current-stats': CumulativeStats;
}

export interface CumulativeStats {
  uploadedBytes: number;
  downloadedBytes: number;
  filesAdded: number;
  sessionCount: number;
  secondsActive: number;
}

/** session-get: the keys the page reads or sets (kebab-case). */
export type SessionSettings = Record<string, unknown> & {
  'download-dir'?: string;
  'speed-limit-down'?: number;
  'speed-limit-down-enabled'?: boolean;
  'speed-limit-up'?: number;
  'speed-limit-up-enabled'?: boolean;
  'alt-speed-down'?: number;
  'alt-speed-up'?: number;
  'alt-speed-enabled'?: boolean;
  version?: string;
};
