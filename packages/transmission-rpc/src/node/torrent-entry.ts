/**
 * One torrent as the daemon keeps it: the session's `Torrent`, and what Transmission reports
 * that the engine does not track (its id, labels, queue position, limits, seeding limits,
 * cumulative counters, dates). `PersistedTorrent` is what survives a restart.
 */
import { filePathSegments, type Metainfo, piecesOfFile } from '@bt/metainfo';
import type { MagnetTorrent, Torrent } from '@bt/session';
import { TorrentStatus } from '../backend.js';
import type { FileChoices } from './file-choices.js';

/** What is saved per torrent (Transmission's names, snake_case). */
export interface PersistedTorrent extends FileChoices {
  hash_string: string;
  download_dir: string;
  /** The user wants it running (Transmission's "started"). */
  started: boolean;
  added_date: number;
  done_date: number;
  activity_date: number;
  start_date: number;
  edit_date: number;
  labels: string[];
  queue_position: number;
  download_limit: number;
  download_limited: boolean;
  upload_limit: number;
  upload_limited: boolean;
  peer_limit: number;
  seed_ratio_limit: number;
  seed_ratio_mode: number;
  seed_idle_limit: number;
  seed_idle_mode: number;
  downloaded_ever: number;
  uploaded_ever: number;
  corrupt_ever: number;
  seconds_downloading: number;
  seconds_seeding: number;
  /** Verified bytes when last seen (shown for a torrent not started since the restart). */
  have_valid: number;
  /** Tracker tiers, when changed from the .torrent's. */
  trackers?: string[][];
  /** Where the content goes once complete (incomplete-dir in use), if not `download_dir`. */
  final_dir?: string;
  /** The magnet link, while its metadata is not known yet (no .torrent saved). */
  magnet?: string;
}

export class TorrentEntry {
  readonly id: number;
  /** The torrent's metainfo; for a magnet without metadata yet, a stand-in (no files). */
  metainfo: Metainfo;
  readonly torrentFile: string;
  state: PersistedTorrent;
  torrent: Torrent | undefined;
  /** A magnet fetching its metadata (the session's), while it does. */
  magnet: MagnetTorrent | undefined;
  /** Counters of the current `Torrent` already folded into `state`. */
  foldedDownloaded = 0;
  foldedUploaded = 0;
  foldedCorrupt = 0;
  /** Bytes moved by this torrent since the daemon started (for the session's current stats). */
  sessionDownloaded = 0;
  sessionUploaded = 0;
  /** Waiting in the download or seed queue. */
  queued = false;
  /** Unix seconds of the last manual reannounce. */
  manualAnnounceTime = -1;
  /** The last error, shown until the next start. */
  errorString = '';
  /** Work in progress that replaces the session's torrent (verify, move): reads wait. */
  busy: Promise<void> | undefined;

  constructor(id: number, metainfo: Metainfo, torrentFile: string, state: PersistedTorrent) {
    this.id = id;
    this.metainfo = metainfo;
    this.torrentFile = torrentFile;
    this.state = state;
  }

  get hash(): string {
    return this.state.hash_string;
  }

  get trackers(): string[][] {
    return this.state.trackers ?? this.metainfo.announce;
  }

  /** Moves the engine's counters into the persisted ones (call often; cheap). */
  fold(): { downloaded: number; uploaded: number } {
    const torrent = this.torrent;
    if (!torrent) return { downloaded: 0, uploaded: 0 };
    const downloaded = torrent.downloadMeter.total - this.foldedDownloaded;
    const uploaded = torrent.uploadMeter.total - this.foldedUploaded;
    this.foldedDownloaded += downloaded;
    this.foldedUploaded += uploaded;
    this.state.downloaded_ever += downloaded;
    this.state.uploaded_ever += uploaded;
    this.sessionDownloaded += downloaded;
    this.sessionUploaded += uploaded;
    const verified = torrent.picker.verifiedBytes;
    if (torrent.state !== 'stopped' || verified > 0) this.state.have_valid = verified;
    return { downloaded, uploaded };
  }

  /** Forgets the current `Torrent` (it is about to be replaced). */
  detach(): void {
    this.fold();
    this.torrent = undefined;
    this.foldedDownloaded = 0;
    this.foldedUploaded = 0;
    this.foldedCorrupt = 0;
  }

  get haveValid(): number {
    return this.torrent && this.torrent.state !== 'stopped'
      ? this.torrent.picker.verifiedBytes
      : this.state.have_valid;
  }

  /** False for a magnet link whose metadata is not known yet. */
  get hasMetadata(): boolean {
    return this.state.magnet === undefined;
  }

  /** Every wanted piece verified (every piece, when every file is wanted). */
  get complete(): boolean {
    if (!this.hasMetadata) return false;
    if (this.torrent && this.torrent.state !== 'stopped') return this.torrent.picker.complete;
    return this.state.files_unwanted
      ? this.state.done_date > 0
      : this.haveValid >= this.metainfo.length;
  }

  get status(): TorrentStatus {
    const state = this.torrent?.state ?? this.magnet?.state ?? 'stopped';
    if (this.queued) return this.complete ? TorrentStatus.seedWait : TorrentStatus.downloadWait;
    switch (state) {
      case 'checking':
        return TorrentStatus.check;
      // a magnet fetching its metadata: Transmission shows it downloading
      case 'metadata':
      case 'downloading':
        return TorrentStatus.download;
      case 'seeding':
        return TorrentStatus.seed;
      case 'paused':
      case 'stopped':
      case 'error':
        return TorrentStatus.stopped;
    }
  }

  /** Transmission's ratio: uploaded over downloaded (or over what we have, for a seed we were given). */
  get ratio(): number {
    const base = this.state.downloaded_ever > 0 ? this.state.downloaded_ever : this.haveValid;
    return base > 0 ? this.state.uploaded_ever / base : this.state.uploaded_ever > 0 ? -2 : -1;
  }

  /** Bytes of file `index` that are verified. */
  fileCompleted(index: number): number {
    const file = this.metainfo.files[index]!;
    const range = piecesOfFile(this.metainfo, index);
    if (!range) return 0;
    const have = this.torrent?.picker.have;
    if (!have) return this.complete ? file.length : 0;
    let done = 0;
    const { pieceLength } = this.metainfo;
    for (let piece = range.first; piece <= range.last; piece++) {
      if (!have.has(piece)) continue;
      const start = Math.max(piece * pieceLength, file.offset);
      const end = Math.min((piece + 1) * pieceLength, file.offset + file.length);
      done += end - start;
    }
    return done;
  }

  /** The on-disk path segments of file `index` under the download folder. */
  filePath(index: number): string[] {
    return filePathSegments(this.metainfo, index);
  }
}
