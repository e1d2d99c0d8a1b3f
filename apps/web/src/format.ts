/** Pure formatting of sizes, rates, durations, ratios and statuses for the page (no DOM). */
import { STATUS, type Torrent } from './types.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 -> "1.5 KiB"; three significant digits at most. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Bytes per second; zero is shown as a dash so that idle rows stay quiet. */
export function formatRate(bytesPerSecond: number): string {
  if (!(bytesPerSecond > 0)) return '–';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Transmission's eta: -1 not available, -2 unknown. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${Math.round(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  const days = Math.floor(hours / 24);
  if (days < 100) return `${days}d ${hours % 24}h`;
  return '∞';
}

/** Transmission's ratio: -1 not available, -2 infinite. */
export function formatRatio(ratio: number): string {
  if (ratio === -2) return '∞';
  if (!Number.isFinite(ratio) || ratio < 0) return '–';
  return ratio < 10 ? ratio.toFixed(2) : ratio < 100 ? ratio.toFixed(1) : ratio.toFixed(0);
}

export function formatPercent(fraction: number): string {
  const percent = Math.max(0, Math.min(1, fraction)) * 100;
  return percent === 100 || percent === 0 ? `${percent}%` : `${percent.toFixed(1)}%`;
}

/** The status filter buckets (also the filter menu's values). */
export type StatusFilter =
  'all' | 'active' | 'downloading' | 'seeding' | 'stopped' | 'checking' | 'queued' | 'error';

export type StatusKind = Exclude<StatusFilter, 'all' | 'active'> | 'metadata';

export function statusKind(
  torrent: Pick<Torrent, 'status' | 'error' | 'metadataPercentComplete'>,
): StatusKind {
  if (torrent.error !== 0) return 'error';
  switch (torrent.status) {
    case STATUS.stopped:
      return 'stopped';
    case STATUS.checkWait:
    case STATUS.checking:
      return 'checking';
    case STATUS.downloadWait:
    case STATUS.seedWait:
      return 'queued';
    case STATUS.downloading:
      return torrent.metadataPercentComplete < 1 ? 'metadata' : 'downloading';
    case STATUS.seeding:
      return 'seeding';
    default:
      return 'stopped';
  }
}

/** The words of the status column: checking with its progress, an error with its text. */
export function statusText(
  torrent: Pick<
    Torrent,
    | 'status'
    | 'error'
    | 'errorString'
    | 'recheckProgress'
    | 'metadataPercentComplete'
    | 'isFinished'
  >,
): string {
  if (torrent.error !== 0) return `Error: ${torrent.errorString || 'unknown'}`;
  switch (torrent.status) {
    case STATUS.stopped:
      return torrent.isFinished ? 'Finished' : 'Stopped';
    case STATUS.checkWait:
      return 'Queued for check';
    case STATUS.checking:
      return `Checking ${formatPercent(torrent.recheckProgress)}`;
    case STATUS.downloadWait:
      return 'Queued';
    case STATUS.downloading:
      return torrent.metadataPercentComplete < 1
        ? `Fetching metadata ${formatPercent(torrent.metadataPercentComplete)}`
        : 'Downloading';
    case STATUS.seedWait:
      return 'Queued to seed';
    case STATUS.seeding:
      return 'Seeding';
    default:
      return `Status ${torrent.status}`;
  }
}

/** A Unix time as a local date and time; 0 means never. */
export function formatDate(unixSeconds: number): string {
  if (!(unixSeconds > 0)) return '–';
  return new Date(unixSeconds * 1000).toLocaleString();
}

/** Seconds from now until a Unix time, for "next announce in 4m 3s". */
export function formatIn(unixSeconds: number, nowSeconds: number): string {
  if (!(unixSeconds > 0)) return '–';
  const delta = unixSeconds - nowSeconds;
  return delta <= 0 ? 'now' : `in ${formatEta(delta)}`;
}
