/**
 * The page's copy of the daemon's torrents, updated from `torrent-get` answers without
 * rebuilding what did not change: a torrent whose fields are all equal keeps its object (so its
 * row is not drawn again), and the list keeps its array when nothing at all changed.
 */
import type { Torrent } from './types.js';

export interface TorrentTable {
  /** By id. */
  readonly byId: ReadonlyMap<number, Torrent>;
  /** Bumped on every change; lets views memoize on one number. */
  readonly version: number;
}

export const EMPTY_TABLE: TorrentTable = { byId: new Map(), version: 0 };

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => item === b[index]);
  return false;
}

/** `patch` over `current`: the same object when no field of the patch differs. */
export function patchTorrent(current: Torrent, patch: Partial<Torrent>): Torrent {
  for (const key of Object.keys(patch) as (keyof Torrent)[]) {
    if (!sameValue(current[key], patch[key])) return { ...current, ...patch };
  }
  return current;
}

export interface TableUpdate {
  /** Rows from torrent-get (partial for known torrents, full for new ones). */
  torrents: readonly Partial<Torrent>[];
  /** Ids the daemon says were removed (`recently-active`). */
  removed?: readonly number[];
  /** When true, the rows are the whole list: torrents not in it are gone. */
  complete?: boolean;
}

export interface MergeResult {
  table: TorrentTable;
  /** Ids in the answer the page has never seen with their full fields. */
  unknown: number[];
}

export function mergeTorrents(table: TorrentTable, update: TableUpdate): MergeResult {
  let next: Map<number, Torrent> | undefined;
  const unknown: number[] = [];
  const writable = (): Map<number, Torrent> => (next ??= new Map(table.byId));
  const seen = update.complete ? new Set<number>() : undefined;
  for (const row of update.torrents) {
    const id = row.id;
    if (typeof id !== 'number') continue;
    seen?.add(id);
    const current = (next ?? table.byId).get(id);
    if (current) {
      const patched = patchTorrent(current, row);
      if (patched !== current) writable().set(id, patched);
    } else if (typeof row.name === 'string') {
      writable().set(id, { ...DEFAULT_TORRENT, ...row });
    } else {
      unknown.push(id);
    }
  }
  for (const id of update.removed ?? []) {
    if ((next ?? table.byId).has(id)) writable().delete(id);
  }
  if (seen) {
    for (const id of (next ?? table.byId).keys()) if (!seen.has(id)) writable().delete(id);
  }
  return {
    table: next ? { byId: next, version: table.version + 1 } : table,
    unknown,
  };
}

/** A torrent's fields before the daemon said otherwise. */
export const DEFAULT_TORRENT: Torrent = {
  id: 0,
  name: '',
  hashString: '',
  status: 0,
  percentDone: 0,
  recheckProgress: 0,
  metadataPercentComplete: 1,
  rateDownload: 0,
  rateUpload: 0,
  eta: -1,
  uploadRatio: -1,
  peersConnected: 0,
  peersSendingToUs: 0,
  peersGettingFromUs: 0,
  sizeWhenDone: 0,
  totalSize: 0,
  leftUntilDone: 0,
  uploadedEver: 0,
  downloadedEver: 0,
  error: 0,
  errorString: '',
  queuePosition: 0,
  labels: [],
  addedDate: 0,
  downloadDir: '',
  isFinished: false,
};
