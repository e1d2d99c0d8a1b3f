/** Pure sorting and filtering of the torrent list (the columns, the status and label filters, text). */
import { statusKind, type StatusFilter } from './format.js';
import type { Torrent } from './types.js';

export type SortColumn =
  | 'queue'
  | 'name'
  | 'size'
  | 'progress'
  | 'status'
  | 'down'
  | 'up'
  | 'eta'
  | 'ratio'
  | 'peers'
  | 'added';

export interface SortOrder {
  column: SortColumn;
  descending: boolean;
}

export interface ListFilter {
  status: StatusFilter;
  /** '' for every label. */
  label: string;
  /** Words that must all appear in the name (case-insensitive). */
  text: string;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** An ETA of -1/-2 (unknown) sorts after every real one. */
function etaKey(eta: number): number {
  return eta < 0 ? Number.MAX_SAFE_INTEGER : eta;
}

function compareBy(column: SortColumn, a: Torrent, b: Torrent): number {
  switch (column) {
    case 'queue':
      return a.queuePosition - b.queuePosition;
    case 'name':
      return collator.compare(a.name, b.name);
    case 'size':
      return a.sizeWhenDone - b.sizeWhenDone;
    case 'progress':
      return a.percentDone - b.percentDone;
    case 'status':
      return a.status - b.status || a.error - b.error;
    case 'down':
      return a.rateDownload - b.rateDownload;
    case 'up':
      return a.rateUpload - b.rateUpload;
    case 'eta':
      return etaKey(a.eta) - etaKey(b.eta);
    case 'ratio':
      return (
        (a.uploadRatio === -2 ? Infinity : a.uploadRatio) -
        (b.uploadRatio === -2 ? Infinity : b.uploadRatio)
      );
    case 'peers':
      return a.peersConnected - b.peersConnected;
    case 'added':
      return a.addedDate - b.addedDate;
  }
}

/** A stable order: ties fall back to the name, then the id. */
export function sortTorrents(torrents: readonly Torrent[], order: SortOrder): Torrent[] {
  const sign = order.descending ? -1 : 1;
  return [...torrents].sort(
    (a, b) =>
      sign * compareBy(order.column, a, b) || collator.compare(a.name, b.name) || a.id - b.id,
  );
}

export function matchesStatus(torrent: Torrent, filter: StatusFilter): boolean {
  if (filter === 'all') return true;
  const kind = statusKind(torrent);
  if (filter === 'active')
    return torrent.rateDownload > 0 || torrent.rateUpload > 0 || kind === 'checking';
  if (filter === 'downloading') return kind === 'downloading' || kind === 'metadata';
  return kind === filter;
}

export function filterTorrents(torrents: readonly Torrent[], filter: ListFilter): Torrent[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return torrents.filter(
    (torrent) =>
      matchesStatus(torrent, filter.status) &&
      (filter.label === '' || torrent.labels.includes(filter.label)) &&
      words.every((word) => torrent.name.toLowerCase().includes(word)),
  );
}

/** Every label in use, sorted, with how many torrents carry it. */
export function labelCounts(torrents: Iterable<Torrent>): [string, number][] {
  const counts = new Map<string, number>();
  for (const torrent of torrents)
    for (const label of torrent.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].sort((a, b) => collator.compare(a[0], b[0]));
}

/** How many torrents fall in each status bucket (the filter menu's counts). */
export function statusCounts(torrents: Iterable<Torrent>): Record<StatusFilter, number> {
  const counts: Record<StatusFilter, number> = {
    all: 0,
    active: 0,
    downloading: 0,
    seeding: 0,
    stopped: 0,
    checking: 0,
    queued: 0,
    error: 0,
  };
  for (const torrent of torrents) {
    counts.all++;
    for (const key of [
      'active',
      'downloading',
      'seeding',
      'stopped',
      'checking',
      'queued',
      'error',
    ] as const)
      if (matchesStatus(torrent, key)) counts[key]++;
  }
  return counts;
}

/**
 * Shift-click: the ids between the anchor and the clicked row in the shown order (both
 * included); without an anchor on screen, only the clicked row.
 */
export function rangeSelection(
  order: readonly number[],
  anchor: number | undefined,
  clicked: number,
): number[] {
  const to = order.indexOf(clicked);
  const from = anchor === undefined ? -1 : order.indexOf(anchor);
  if (to < 0) return [];
  if (from < 0) return [clicked];
  const [low, high] = from <= to ? [from, to] : [to, from];
  return order.slice(low, high + 1);
}
