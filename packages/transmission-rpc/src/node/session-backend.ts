/**
 * `SessionBackend`: the RPC's `RpcBackend` over a `@bt/session` `Session`, with what a daemon
 * owes its user beside the engine: torrent ids stable for its lifetime, queues
 * (`download-queue-size`, `seed-queue-size`, stalled torrents not counted), ratio and idle
 * seeding limits, global, per-torrent and alternative speed limits with their schedule, the
 * incomplete folder, the done script with Transmission's `TR_*` variables, cumulative stats
 * (`stats.json`, Transmission's format), and persistence: each torrent's .torrent and state in
 * the config folder, saved within seconds of a change, so a restart (even after `kill -9`)
 * brings every torrent back as it was.
 */
import { spawn } from 'node:child_process';
import {
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  rmdir,
  statfs,
  writeFile,
  cp,
} from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { encodeTorrent, magnetFromMetainfo, type Metainfo, parseTorrent } from '@bt/metainfo';
import type { MagnetTorrent, Session, Torrent } from '@bt/session';
import type {
  BandwidthGroup,
  QueueMove,
  RpcBackend,
  SessionStatsTotals,
  SessionStatsValues,
  TorrentAction,
  TorrentAddInput,
  TorrentAddResult,
  TorrentField,
  TorrentSelector,
  TorrentSetChanges,
} from '../backend.js';
import { RpcError } from '../errors.js';
import {
  coerceSetting,
  defaultSessionSettings,
  isSessionKey,
  type SessionSettings,
  START_KEYS,
} from './session-settings.js';
import {
  applyFileChanges,
  hasFileChanges,
  isWanted,
  priorityNumber,
  selectionOf,
} from './file-choices.js';
import { metainfoOfMagnet } from './magnet-entry.js';
import { readTransmissionFolder } from './transmission-import.js';
import { type PersistedTorrent, TorrentEntry } from './torrent-entry.js';

const KB = 1000;
const TICK_MS = 1000;
const SAVE_DELAY_MS = 2000;
const RECENT_SECONDS = 60;
const MAX_TORRENT_BYTES = 16 * 1024 * 1024;
/** Saved torrents read and added at a time on start. */
const RESTORE_PARALLEL = 32;

export interface SessionBackendOptions {
  session: Session;
  /** The config folder: `torrents/`, `bt-torrents.json` and `stats.json` live here. */
  configDir: string;
  settings?: Partial<SessionSettings>;
  /** The version string reported (`version`), e.g. `4.1.0 (bt 0.1.0)`. */
  version: string;
  /** Called for `session-close`. */
  onClose?: () => void;
  /** Called when `session-set` changed settings (the daemon writes settings.json). */
  onSettingsChanged?: (settings: SessionSettings) => void;
  /** Log lines for the daemon's log. */
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void;
  /** `fetch` for `torrent-add` URLs (tests may pass their own). Default: the global one. */
  fetch?: typeof fetch;
}

interface StatsFile {
  'downloaded-bytes': number;
  'uploaded-bytes': number;
  'files-added': number;
  'seconds-active': number;
  'session-count': number;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function unsupported(what: string): RpcError {
  return new RpcError('unsupported', `${what} is not supported by btd yet`);
}

export class SessionBackend implements RpcBackend {
  private readonly session: Session;
  private readonly configDir: string;
  private readonly options: SessionBackendOptions;
  readonly settings: SessionSettings;
  private readonly entries = new Map<number, TorrentEntry>();
  private readonly byHash = new Map<string, TorrentEntry>();
  private readonly removed: { id: number; at: number }[] = [];
  private nextId = 1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly startedAt = Date.now();
  private cumulative: StatsFile = {
    'downloaded-bytes': 0,
    'uploaded-bytes': 0,
    'files-added': 0,
    'seconds-active': 0,
    'session-count': 0,
  };
  private readonly current = { downloaded: 0, uploaded: 0, filesAdded: 0 };
  private appliedLimits = { download: -1, upload: -1 };
  private closed = false;

  constructor(options: SessionBackendOptions) {
    this.session = options.session;
    this.configDir = options.configDir;
    this.options = options;
    this.settings = { ...defaultSessionSettings(), ...options.settings };
  }

  private get torrentsDir(): string {
    return join(this.configDir, 'torrents');
  }

  private get statePath(): string {
    return join(this.configDir, 'bt-torrents.json');
  }

  /** Loads saved torrents and stats, starts those that were running, and the tick. */
  async open(): Promise<void> {
    await mkdir(this.torrentsDir, { recursive: true });
    try {
      const stats = JSON.parse(
        await readFile(join(this.configDir, 'stats.json'), 'utf8'),
      ) as Partial<StatsFile>;
      for (const key of Object.keys(this.cumulative) as (keyof StatsFile)[])
        if (typeof stats[key] === 'number') this.cumulative[key] = stats[key];
    } catch {
      // first start
    }
    this.cumulative['session-count'] += 1;
    let saved: PersistedTorrent[] = [];
    try {
      const parsed = JSON.parse(await readFile(this.statePath, 'utf8')) as {
        torrents?: PersistedTorrent[];
      };
      saved = Array.isArray(parsed.torrents) ? parsed.torrents : [];
    } catch (error) {
      saved = [];
      // no state of ours yet: a folder transmission-daemon used keeps its torrents
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        saved = await this.importTransmission();
    }
    saved.sort((a, b) => a.queue_position - b.queue_position);
    // ids in queue order; files read and torrents added several at a time (a restart with
    // thousands of torrents waits on the disk, not on the CPU); started in queue order after
    const entries = await mapInParallel(saved, RESTORE_PARALLEL, async (state) => {
      const file = join(this.torrentsDir, `${state.hash_string}.torrent`);
      try {
        const metainfo =
          state.magnet !== undefined
            ? metainfoOfMagnet(state.magnet)
            : parseTorrent(await readFile(file));
        return { state, file, metainfo };
      } catch (error) {
        this.log('error', `cannot restore torrent ${state.hash_string}: ${describe(error)}`);
        return undefined;
      }
    }).then((items) =>
      items.flatMap((item) => (item ? [this.register(item.metainfo, item.file, item.state)] : [])),
    );
    const folders = new Map<string, Promise<unknown>>();
    const added = await mapInParallel(entries, RESTORE_PARALLEL, async (entry) => {
      const folder = entry.state.download_dir;
      if (!folders.has(folder)) folders.set(folder, mkdir(folder, { recursive: true }));
      try {
        await folders.get(folder);
        await this.addToSession(entry, false);
        return entry;
      } catch (error) {
        this.entries.delete(entry.id);
        this.byHash.delete(entry.hash);
        this.log('error', `cannot restore torrent ${entry.hash}: ${describe(error)}`);
        return undefined;
      }
    });
    for (const entry of added) if (entry?.state.started) this.queueOrStart(entry);
    this.applyGlobalLimits();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
    this.tick();
  }

  /** The torrents of transmission-daemon's folder (`torrents/`, `resume/`), saved our way. */
  private async importTransmission(): Promise<PersistedTorrent[]> {
    const found = await readTransmissionFolder(this.configDir, {
      downloadDir: this.settings.download_dir,
      peerLimit: this.settings.peer_limit_per_torrent,
      started: this.settings.start_added_torrents,
    });
    for (const { file, reason } of found.skipped)
      this.log('warn', `transmission folder: skipped ${file}: ${reason}`);
    const states: PersistedTorrent[] = [];
    for (const { metainfo, bytes, state, unwanted } of found.torrents) {
      const file = join(this.torrentsDir, `${metainfo.infoHashHex}.torrent`);
      try {
        await atomicWrite(file, bytes);
      } catch (error) {
        this.log('error', `transmission folder: cannot keep ${metainfo.name}: ${describe(error)}`);
        continue;
      }
      if (unwanted.length > 0) state.files_unwanted = unwanted;
      states.push(state);
    }
    if (states.length > 0) {
      this.log('info', `imported ${states.length} torrents from transmission-daemon's folder`);
      await atomicWrite(this.statePath, JSON.stringify({ version: 1, torrents: states }));
    }
    return states;
  }

  private log(level: 'error' | 'warn' | 'info' | 'debug', message: string): void {
    this.options.log?.(level, message);
  }

  /** Makes an entry for `metainfo` and adds it to the session (paused unless it runs). */
  private async attach(
    metainfo: Metainfo,
    file: string,
    state: PersistedTorrent,
  ): Promise<TorrentEntry> {
    const entry = this.register(metainfo, file, state);
    try {
      await this.addToSession(entry);
    } catch (error) {
      this.entries.delete(entry.id);
      this.byHash.delete(entry.hash);
      throw error;
    }
    if (state.started) this.queueOrStart(entry);
    return entry;
  }

  /** Gives the torrent its id (stable while the daemon runs). */
  private register(metainfo: Metainfo, file: string, state: PersistedTorrent): TorrentEntry {
    const entry = new TorrentEntry(this.nextId++, metainfo, file, state);
    this.entries.set(entry.id, entry);
    this.byHash.set(entry.hash, entry);
    return entry;
  }

  private async addToSession(entry: TorrentEntry, makeFolder = true): Promise<void> {
    const { state } = entry;
    if (!entry.hasMetadata) return; // a magnet joins the session when it runs
    if (makeFolder) await mkdir(state.download_dir, { recursive: true });
    const torrent = await this.session.addTorrent(
      { ...entry.metainfo, announce: entry.trackers },
      {
        directory: state.download_dir,
        paused: true,
        maxPeers: state.peer_limit,
        downloadLimit: state.download_limited ? state.download_limit * KB : 0,
        uploadLimit: state.upload_limited ? state.upload_limit * KB : 0,
        selection: selectionOf(state),
      },
    );
    entry.torrent = torrent;
    torrent.on('torrent-completed', () => this.onCompleted(entry));
    torrent.on('torrent-error', ({ error }) => {
      entry.errorString = error.message;
      this.log('error', `${entry.metainfo.name}: ${error.message}`);
      this.scheduleSave();
    });
    torrent.on('piece-failed', () => {
      entry.state.corrupt_ever += entry.metainfo.pieceLength;
    });
  }

  /** Runs the torrent now, or leaves it waiting when its queue is full. */
  private queueOrStart(entry: TorrentEntry, force = false): void {
    entry.state.started = true;
    if (!force && this.queueFull(entry)) {
      entry.queued = true;
      return;
    }
    entry.queued = false;
    entry.errorString = '';
    this.run(entry);
  }

  private run(entry: TorrentEntry): void {
    if (!entry.hasMetadata) {
      entry.state.start_date = now();
      this.fetchMetadata(entry);
      return;
    }
    const torrent = entry.torrent;
    if (!torrent) return;
    entry.state.start_date = now();
    if (torrent.state === 'paused') void torrent.resume();
    else if (torrent.state === 'stopped') void torrent.start();
    else if (torrent.state === 'error') void this.replace(entry, () => undefined, true);
  }

  private isRunning(entry: TorrentEntry): boolean {
    const state = entry.torrent?.state ?? entry.magnet?.state;
    return (
      state === 'checking' || state === 'downloading' || state === 'seeding' || state === 'metadata'
    );
  }

  /** BEP 9: the session fetches a magnet's info dictionary from peers; then it is a torrent. */
  private fetchMetadata(entry: TorrentEntry): void {
    if (entry.magnet || entry.state.magnet === undefined) return;
    let pending: MagnetTorrent;
    try {
      pending = this.session.addMagnet(entry.state.magnet, {
        directory: entry.state.download_dir,
        metadataOnly: true,
        maxPeers: entry.state.peer_limit,
      });
    } catch (error) {
      entry.errorString = describe(error);
      this.log('error', `${entry.metainfo.name}: ${entry.errorString}`);
      return;
    }
    entry.errorString = '';
    entry.magnet = pending;
    pending.whenMetadata().then(
      (metainfo) =>
        this.onMetadata(entry, pending, metainfo).catch((error: unknown) => {
          entry.errorString = describe(error);
          this.log('error', `${entry.metainfo.name}: ${entry.errorString}`);
        }),
      () => undefined, // stopped or removed before it had the metadata
    );
  }

  private async onMetadata(
    entry: TorrentEntry,
    pending: MagnetTorrent,
    metainfo: Metainfo,
  ): Promise<void> {
    if (entry.magnet !== pending || this.entries.get(entry.id) !== entry) return;
    // the link's trackers go into the saved .torrent when the info dictionary came without any
    const announce = metainfo.announce.length > 0 ? metainfo.announce : entry.metainfo.announce;
    const bytes = encodeTorrent({ ...metainfo, announce });
    await atomicWrite(entry.torrentFile, bytes);
    entry.magnet = undefined;
    entry.metainfo = parseTorrent(bytes);
    delete entry.state.magnet;
    this.log('info', `${entry.metainfo.name}: metadata received from peers`);
    await this.addToSession(entry);
    if (entry.state.started && !entry.queued) this.run(entry);
    this.scheduleSave();
  }

  private isStalled(entry: TorrentEntry): boolean {
    if (!this.settings.queue_stalled_enabled) return false;
    const idle = now() - Math.max(entry.state.activity_date, entry.state.start_date);
    return idle > this.settings.queue_stalled_minutes * 60;
  }

  private queueFull(entry: TorrentEntry): boolean {
    const seeding = entry.complete;
    const enabled = seeding
      ? this.settings.seed_queue_enabled
      : this.settings.download_queue_enabled;
    if (!enabled) return false;
    const size = seeding ? this.settings.seed_queue_size : this.settings.download_queue_size;
    let active = 0;
    for (const other of this.entries.values()) {
      if (other === entry || other.complete !== seeding) continue;
      if (this.isRunning(other) && !this.isStalled(other)) active++;
    }
    return active >= size;
  }

  /** Stops the torrent, swaps it for a fresh one (after `change`), restarting it if it ran. */
  private async replace(
    entry: TorrentEntry,
    change: () => Promise<void> | void,
    forceRun = false,
  ): Promise<void> {
    const previous = entry.busy ?? Promise.resolve();
    const work = previous.then(async () => {
      const wasRunning = forceRun || (entry.state.started && !entry.queued);
      entry.fold();
      if (entry.torrent || entry.magnet)
        await this.session.removeTorrent(entry.hash).catch(() => undefined);
      entry.magnet = undefined;
      entry.detach();
      await change();
      await this.addToSession(entry);
      if (wasRunning) this.run(entry);
      this.scheduleSave();
    });
    entry.busy = work.finally(() => {
      if (entry.busy === tracked) entry.busy = undefined;
    });
    const tracked = entry.busy;
    await work;
  }

  // The tick ---------------------------------------------------------------------------------

  private tick(): void {
    if (this.closed) return;
    const time = now();
    let changed = false;
    for (const entry of this.entries.values()) {
      const { downloaded, uploaded } = entry.fold();
      if (downloaded > 0 || uploaded > 0) {
        entry.state.activity_date = time;
        changed = true;
      }
      const state = entry.torrent?.state;
      if (state === 'downloading') entry.state.seconds_downloading += TICK_MS / 1000;
      if (state === 'seeding') {
        entry.state.seconds_seeding += TICK_MS / 1000;
        if (this.seedLimitReached(entry, time)) {
          this.log('info', `${entry.metainfo.name}: seeding limit reached, stopping`);
          void this.stop(entry);
          changed = true;
        }
      }
    }
    // queues: start waiting torrents, in queue order, while there is room
    const waiting = [...this.entries.values()]
      .filter((entry) => entry.queued)
      .sort((a, b) => a.state.queue_position - b.state.queue_position);
    for (const entry of waiting) {
      if (!this.queueFull(entry)) {
        entry.queued = false;
        this.run(entry);
        changed = true;
      }
    }
    this.applyGlobalLimits();
    if (changed) this.scheduleSave();
  }

  private seedLimitReached(entry: TorrentEntry, time: number): boolean {
    const { state } = entry;
    let ratioLimit: number | undefined;
    if (state.seed_ratio_mode === 1) ratioLimit = state.seed_ratio_limit;
    else if (state.seed_ratio_mode === 0 && this.settings.seed_ratio_limited)
      ratioLimit = this.settings.seed_ratio_limit;
    if (ratioLimit !== undefined && entry.ratio >= ratioLimit) return true;
    let idleMinutes: number | undefined;
    if (state.seed_idle_mode === 1) idleMinutes = state.seed_idle_limit;
    else if (state.seed_idle_mode === 0 && this.settings.idle_seeding_limit_enabled)
      idleMinutes = this.settings.idle_seeding_limit;
    if (idleMinutes !== undefined) {
      const since = Math.max(state.activity_date, state.start_date, state.done_date);
      if (time - since >= idleMinutes * 60) return true;
    }
    return false;
  }

  /** True while the alternative speeds apply (by hand, or by the schedule). */
  get altSpeedActive(): boolean {
    if (this.settings.alt_speed_enabled) return true;
    if (!this.settings.alt_speed_time_enabled) return false;
    const date = new Date();
    if ((this.settings.alt_speed_time_day & (1 << date.getDay())) === 0) return false;
    const minute = date.getHours() * 60 + date.getMinutes();
    const begin = this.settings.alt_speed_time_begin;
    const end = this.settings.alt_speed_time_end;
    return begin <= end ? minute >= begin && minute < end : minute >= begin || minute < end;
  }

  private applyGlobalLimits(): void {
    const alt = this.altSpeedActive;
    const s = this.settings;
    const download = alt
      ? s.alt_speed_down * KB
      : s.speed_limit_down_enabled
        ? s.speed_limit_down * KB
        : 0;
    const upload = alt ? s.alt_speed_up * KB : s.speed_limit_up_enabled ? s.speed_limit_up * KB : 0;
    if (download === this.appliedLimits.download && upload === this.appliedLimits.upload) return;
    this.appliedLimits = { download, upload };
    this.session.setLimits({ downloadLimit: download, uploadLimit: upload });
  }

  private onCompleted(entry: TorrentEntry): void {
    const { state } = entry;
    entry.fold();
    if (state.final_dir && state.final_dir !== state.download_dir && state.done_date > 0) {
      // completed before a restart, not moved yet
    } else if (state.done_date > 0) {
      return; // completed before (a restart or a recheck): nothing new happened
    }
    state.done_date = now();
    this.scheduleSave();
    this.log('info', `${entry.metainfo.name}: complete`);
    if (state.final_dir && state.final_dir !== state.download_dir) {
      const target = state.final_dir;
      void this.moveData(entry, target).catch((error: unknown) =>
        this.log('error', `${entry.metainfo.name}: cannot move to ${target}: ${describe(error)}`),
      );
    }
    if (this.settings.script_torrent_done_enabled && this.settings.script_torrent_done_filename) {
      this.runScript(entry, this.settings.script_torrent_done_filename);
    }
  }

  private runScript(entry: TorrentEntry, script: string): void {
    const env = {
      ...process.env,
      TR_APP_VERSION: this.options.version.split(' ')[0],
      TR_TIME_LOCALTIME: new Date().toString(),
      TR_TORRENT_DIR: entry.state.final_dir ?? entry.state.download_dir,
      TR_TORRENT_HASH: entry.hash,
      TR_TORRENT_ID: String(entry.id),
      TR_TORRENT_NAME: entry.metainfo.name,
      TR_TORRENT_LABELS: entry.state.labels.join(','),
      TR_TORRENT_BYTES_DOWNLOADED: String(entry.state.downloaded_ever),
      TR_TORRENT_TRACKERS: entry.trackers.flat().join(','),
    };
    try {
      const child = spawn(script, [], { env, stdio: 'ignore', detached: true });
      child.on('error', (error) => this.log('error', `script ${script}: ${error.message}`));
      child.unref();
    } catch (error) {
      this.log('error', `script ${script}: ${describe(error)}`);
    }
  }

  // Persistence ------------------------------------------------------------------------------

  /** Saves state within a few seconds (coalesced). */
  scheduleSave(): void {
    if (this.saveTimer || this.closed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save().catch((error: unknown) =>
        this.log('error', `cannot save state: ${describe(error)}`),
      );
    }, SAVE_DELAY_MS);
    this.saveTimer.unref?.();
  }

  /** Writes the torrents' state and the stats now (atomically). */
  save(): Promise<void> {
    this.saving = this.saving
      .catch(() => undefined)
      .then(async () => {
        for (const entry of this.entries.values()) entry.fold();
        const torrents = [...this.entries.values()].map((entry) => entry.state);
        await atomicWrite(this.statePath, JSON.stringify({ version: 1, torrents }));
        await atomicWrite(
          join(this.configDir, 'stats.json'),
          JSON.stringify(this.totals(), null, 4),
        );
      });
    return this.saving;
  }

  /** Bytes moved since the daemon started: torrents here, and those removed meanwhile. */
  private sessionBytes(): { downloaded: number; uploaded: number } {
    let downloaded = this.current.downloaded;
    let uploaded = this.current.uploaded;
    for (const entry of this.entries.values()) {
      downloaded += entry.sessionDownloaded;
      uploaded += entry.sessionUploaded;
    }
    return { downloaded, uploaded };
  }

  private totals(): StatsFile {
    const bytes = this.sessionBytes();
    const seconds = Math.floor((Date.now() - this.startedAt) / 1000);
    return {
      'downloaded-bytes': this.cumulative['downloaded-bytes'] + bytes.downloaded,
      'uploaded-bytes': this.cumulative['uploaded-bytes'] + bytes.uploaded,
      'files-added': this.cumulative['files-added'] + this.current.filesAdded,
      'seconds-active': this.cumulative['seconds-active'] + seconds,
      'session-count': this.cumulative['session-count'],
    };
  }

  /** Stops the tick and saves; the session is closed by its owner afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.tick();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.saveTimer) clearTimeout(this.saveTimer);
    await Promise.allSettled(
      [...this.entries.values()].map((entry) => entry.busy ?? Promise.resolve()),
    );
    await this.save();
  }

  // RpcBackend: torrents ---------------------------------------------------------------------

  resolve(selector: TorrentSelector): number[] {
    switch (selector.kind) {
      case 'all':
        return [...this.entries.keys()];
      case 'recently-active': {
        const since = now() - RECENT_SECONDS;
        return [...this.entries.values()]
          .filter(
            (entry) =>
              entry.state.activity_date >= since ||
              entry.state.added_date >= since ||
              this.isRunning(entry),
          )
          .map((entry) => entry.id);
      }
      case 'list': {
        const ids = new Set<number>();
        for (const id of selector.ids) if (this.entries.has(id)) ids.add(id);
        for (const hash of selector.hashes) {
          const entry = this.byHash.get(hash);
          if (entry) ids.add(entry.id);
        }
        return [...ids].sort((a, b) => a - b);
      }
    }
  }

  recentlyRemoved(): number[] {
    const since = now() - RECENT_SECONDS;
    return this.removed.filter((item) => item.at >= since).map((item) => item.id);
  }

  private entry(id: number): TorrentEntry {
    const entry = this.entries.get(id);
    if (!entry) throw new RpcError('torrent-not-found', `no torrent with id ${id}`);
    return entry;
  }

  torrentFields(ids: readonly number[], fields: readonly TorrentField[]): unknown[][] {
    const rows: unknown[][] = [];
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (!entry) continue;
      const context = new RowContext(entry);
      const row = new Array<unknown>(fields.length);
      for (let index = 0; index < fields.length; index++)
        row[index] = this.field(entry, fields[index]!, context);
      rows.push(row);
    }
    return rows;
  }

  private field(entry: TorrentEntry, field: TorrentField, context: RowContext): unknown {
    const { state, metainfo } = entry;
    const torrent = entry.torrent;
    switch (field) {
      case 'activity_date':
        return state.activity_date;
      case 'added_date':
        return state.added_date;
      case 'availability': {
        const have = torrent?.picker.have;
        const out: number[] = [];
        for (let piece = 0; piece < metainfo.pieceCount; piece++)
          out.push(have?.has(piece) ? -1 : (torrent?.picker.availabilityOf(piece) ?? 0));
        return out;
      }
      case 'bandwidth_priority':
        return 0;
      case 'comment':
        return metainfo.comment ?? '';
      case 'corrupt_ever':
        return state.corrupt_ever;
      case 'creator':
        return metainfo.createdBy ?? '';
      case 'date_created':
        return metainfo.creationDate ?? 0;
      case 'desired_available':
        return Math.max(0, metainfo.length - context.have);
      case 'done_date':
        return state.done_date;
      case 'download_dir':
        return state.download_dir;
      case 'downloaded_ever':
        return state.downloaded_ever;
      case 'download_limit':
        return state.download_limit;
      case 'download_limited':
        return state.download_limited;
      case 'edit_date':
        return state.edit_date;
      case 'error':
        return entry.errorString ? 3 : 0;
      case 'error_string':
        return entry.errorString;
      case 'eta': {
        const left = context.wanted.bytes - context.wanted.verified;
        if (left <= 0) return -1;
        const rate = torrent?.downloadMeter.rate ?? 0;
        return rate > 0 ? Math.round(left / rate) : -2;
      }
      case 'eta_idle':
        return -1;
      case 'file_count':
        return metainfo.files.length;
      case 'files':
        return metainfo.files.map((file, index) => {
          const range =
            file.length === 0
              ? undefined
              : {
                  first: Math.floor(file.offset / metainfo.pieceLength),
                  last: Math.floor((file.offset + file.length - 1) / metainfo.pieceLength),
                };
          return {
            bytes_completed: entry.fileCompleted(index),
            length: file.length,
            name: entry.filePath(index).join('/'),
            begin_piece: range?.first ?? 0,
            end_piece: range ? range.last + 1 : 0,
          };
        });
      case 'file_stats':
        return metainfo.files.map((_, index) => ({
          bytes_completed: entry.fileCompleted(index),
          wanted: isWanted(state, index),
          priority: priorityNumber(state, index),
        }));
      case 'group':
        return '';
      case 'hash_string':
        return entry.hash;
      case 'have_unchecked':
        return 0;
      case 'have_valid':
        return context.have;
      case 'honors_session_limits':
        return true;
      case 'id':
        return entry.id;
      case 'is_finished':
        return (
          !state.started &&
          entry.complete &&
          state.done_date > 0 &&
          this.seedLimitReached(entry, now())
        );
      case 'is_private':
        return metainfo.private;
      case 'is_stalled':
        return this.isRunning(entry) && this.isStalled(entry);
      case 'labels':
        return state.labels;
      case 'left_until_done':
        return Math.max(0, context.wanted.bytes - context.wanted.verified);
      case 'magnet_link':
        return state.magnet ?? magnetFromMetainfo(metainfo);
      case 'manual_announce_time':
        return entry.manualAnnounceTime;
      case 'max_connected_peers':
      case 'peer_limit':
        return state.peer_limit;
      case 'metadata_percent_complete':
        return entry.hasMetadata ? 1 : 0;
      case 'name':
        return metainfo.name;
      case 'peers':
        return (torrent?.peerStats() ?? []).map((peer) => {
          const colon = peer.address.lastIndexOf(':');
          return {
            address: peer.address.slice(0, colon).replace(/^\[|\]$/g, ''),
            client_is_choked: peer.choking,
            client_is_interested: peer.interesting,
            client_name: peer.client ?? '',
            flag_str: flags(peer),
            is_downloading_from: peer.downloadRate > 0,
            is_encrypted: peer.encrypted,
            is_incoming: peer.incoming,
            is_uploading_to: peer.uploadRate > 0,
            is_utp: peer.isUTP,
            peer_is_choked: peer.choked,
            peer_is_interested: peer.interested,
            port: Number(peer.address.slice(colon + 1)),
            progress: peer.progress,
            rate_to_client: Math.round(peer.downloadRate),
            rate_to_peer: Math.round(peer.uploadRate),
          };
        });
      case 'peers_connected':
        return torrent?.peerCount ?? 0;
      case 'peers_from': {
        const peers = torrent?.peerStats() ?? [];
        const incoming = peers.filter((peer) => peer.incoming).length;
        return {
          from_cache: 0,
          from_dht: 0,
          from_incoming: incoming,
          from_lpd: 0,
          from_ltep: 0,
          from_pex: 0,
          from_tracker: peers.length - incoming,
        };
      }
      case 'peers_getting_from_us':
        return (torrent?.peerStats() ?? []).filter((peer) => peer.uploadRate > 0).length;
      case 'peers_sending_to_us':
        return (torrent?.peerStats() ?? []).filter((peer) => peer.downloadRate > 0).length;
      case 'percent_complete':
      case 'percent_done':
        if (!entry.hasMetadata) return 0;
        if (field === 'percent_complete')
          return metainfo.length > 0 ? context.have / metainfo.length : 1;
        return context.wanted.bytes > 0 ? context.wanted.verified / context.wanted.bytes : 1;
      case 'pieces': {
        const have = torrent?.picker.have;
        const bytes =
          have && torrent.state !== 'stopped'
            ? have.toBytes()
            : new Uint8Array(Math.ceil(metainfo.pieceCount / 8));
        if (!have && entry.complete) bytes.fill(0xff);
        return Buffer.from(bytes).toString('base64');
      }
      case 'piece_count':
        return metainfo.pieceCount;
      case 'piece_size':
        return metainfo.pieceLength;
      case 'priorities':
        return metainfo.files.map((_, index) => priorityNumber(state, index));
      case 'primary_mime_type':
        return 'application/octet-stream';
      case 'queue_position':
        return state.queue_position;
      case 'rate_download':
        return Math.round(torrent?.downloadMeter.rate ?? 0);
      case 'rate_upload':
        return Math.round(torrent?.uploadMeter.rate ?? 0);
      case 'recheck_progress': {
        const checking = torrent?.state === 'checking' ? context.stats()?.checking : undefined;
        return checking ? checking.checkedPieces / Math.max(1, checking.totalPieces) : 0;
      }
      case 'seconds_downloading':
        return Math.floor(state.seconds_downloading);
      case 'seconds_seeding':
        return Math.floor(state.seconds_seeding);
      case 'seed_idle_limit':
        return state.seed_idle_limit;
      case 'seed_idle_mode':
        return state.seed_idle_mode;
      case 'seed_ratio_limit':
        return state.seed_ratio_limit;
      case 'seed_ratio_mode':
        return state.seed_ratio_mode;
      case 'sequential_download':
        return false;
      case 'size_when_done':
        return context.wanted.bytes;
      case 'start_date':
        return state.start_date;
      case 'status':
        return entry.status;
      case 'torrent_file':
        return entry.torrentFile;
      case 'total_size':
        return metainfo.length;
      case 'trackers':
        return trackerRows(entry.trackers).map((row) => ({
          announce: row.url,
          id: row.id,
          scrape: scrapeUrl(row.url),
          sitename: siteName(row.url),
          tier: row.tier,
        }));
      case 'tracker_list':
        return entry.trackers.map((tier) => tier.join('\n')).join('\n\n');
      case 'tracker_stats': {
        const sources = new Map(
          (context.stats()?.sources ?? []).map((source) => [source.source, source]),
        );
        return trackerRows(entry.trackers).map((row) => {
          const source = sources.get(row.url);
          const working = source?.state === 'working';
          return {
            announce: row.url,
            announce_state: source?.state === 'announcing' ? 3 : working ? 1 : 0,
            download_count: -1,
            has_announced: working || source?.state === 'error',
            has_scraped: false,
            host: hostOf(row.url),
            id: row.id,
            is_backup: false,
            last_announce_peer_count: source?.peers ?? 0,
            last_announce_result: source?.message ?? (working ? 'Success' : ''),
            last_announce_start_time: 0,
            last_announce_succeeded: working,
            last_announce_time: 0,
            last_announce_timed_out: false,
            last_scrape_result: '',
            last_scrape_start_time: 0,
            last_scrape_succeeded: false,
            last_scrape_time: 0,
            last_scrape_timed_out: false,
            leecher_count: -1,
            next_announce_time:
              source?.nextUpdateIn !== undefined ? now() + source.nextUpdateIn : 0,
            next_scrape_time: 0,
            scrape: scrapeUrl(row.url),
            scrape_state: 0,
            seeder_count: source?.seeds ?? -1,
            sitename: siteName(row.url),
            tier: row.tier,
          };
        });
      }
      case 'uploaded_ever':
        return state.uploaded_ever;
      case 'upload_limit':
        return state.upload_limit;
      case 'upload_limited':
        return state.upload_limited;
      case 'upload_ratio':
        return entry.ratio;
      case 'wanted':
        return metainfo.files.map((_, index) => (isWanted(state, index) ? 1 : 0));
      case 'webseeds':
        return metainfo.urlList;
      case 'webseeds_sending_to_us':
        return 0;
    }
  }

  async torrentAdd(input: TorrentAddInput): Promise<TorrentAddResult> {
    if (this.closed) throw new RpcError('backend-failed', 'the daemon is shutting down');
    const magnet =
      input.metainfo === undefined && /^magnet:/i.test(input.filename ?? '')
        ? input.filename
        : undefined;
    let bytes: Uint8Array | undefined;
    let metainfo: Metainfo;
    if (magnet !== undefined) metainfo = metainfoOfMagnet(magnet);
    else {
      bytes = input.metainfo ?? (await this.readTorrentInput(input.filename!, input.cookies));
      try {
        metainfo = parseTorrent(bytes);
      } catch (error) {
        throw new RpcError('invalid-argument', 'invalid or corrupt torrent file', { cause: error });
      }
    }
    const existing = this.byHash.get(metainfo.infoHashHex);
    if (existing)
      return {
        duplicate: true,
        id: existing.id,
        name: existing.metainfo.name,
        hash_string: existing.hash,
      };
    const requestedDir = input.download_dir ?? this.settings.download_dir;
    if (!isAbsolute(requestedDir))
      throw new RpcError(
        'invalid-argument',
        `download directory path is not absolute: ${requestedDir}`,
        { argument: 'download_dir' },
      );
    const useIncomplete =
      this.settings.incomplete_dir_enabled && isAbsolute(this.settings.incomplete_dir);
    const file = join(this.torrentsDir, `${metainfo.infoHashHex}.torrent`);
    if (bytes) await atomicWrite(file, bytes);
    const time = now();
    const started = !(input.paused ?? !this.settings.start_added_torrents);
    const state: PersistedTorrent = {
      hash_string: metainfo.infoHashHex,
      download_dir: useIncomplete ? this.settings.incomplete_dir : requestedDir,
      ...(useIncomplete ? { final_dir: requestedDir } : {}),
      started,
      added_date: time,
      done_date: 0,
      activity_date: 0,
      start_date: 0,
      edit_date: time,
      labels: input.labels ?? [],
      queue_position: this.entries.size,
      download_limit: 100,
      download_limited: false,
      upload_limit: 100,
      upload_limited: false,
      peer_limit: input.peer_limit ?? this.settings.peer_limit_per_torrent,
      seed_ratio_limit: 2,
      seed_ratio_mode: 0,
      seed_idle_limit: 30,
      seed_idle_mode: 0,
      downloaded_ever: 0,
      uploaded_ever: 0,
      corrupt_ever: 0,
      seconds_downloading: 0,
      seconds_seeding: 0,
      have_valid: 0,
      ...(magnet !== undefined ? { magnet } : {}),
    };
    applyFileChanges(state, magnet !== undefined ? undefined : metainfo.files.length, input);
    let entry: TorrentEntry;
    try {
      entry = await this.attach(metainfo, file, state);
    } catch (error) {
      await rm(file, { force: true });
      throw new RpcError('backend-failed', describe(error), { cause: error });
    }
    this.current.filesAdded += 1;
    this.log('info', `added ${metainfo.name} (${metainfo.infoHashHex}) as #${entry.id}`);
    await this.save();
    return { duplicate: false, id: entry.id, name: metainfo.name, hash_string: entry.hash };
  }

  private async readTorrentInput(
    filename: string,
    cookies: string | undefined,
  ): Promise<Uint8Array> {
    if (/^https?:\/\//i.test(filename)) {
      const fetcher = this.options.fetch ?? fetch;
      let response: Response;
      try {
        response = await fetcher(filename, {
          headers: cookies ? { Cookie: cookies } : {},
          signal: AbortSignal.timeout(30_000),
          redirect: 'follow',
        });
      } catch (error) {
        throw new RpcError('backend-failed', `cannot fetch ${filename}: ${describe(error)}`, {
          cause: error,
        });
      }
      if (!response.ok)
        throw new RpcError('backend-failed', `cannot fetch ${filename}: HTTP ${response.status}`);
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > MAX_TORRENT_BYTES)
        throw new RpcError('invalid-argument', `${filename} is larger than a .torrent can be`);
      const body = new Uint8Array(await response.arrayBuffer());
      if (body.length > MAX_TORRENT_BYTES)
        throw new RpcError('invalid-argument', `${filename} is larger than a .torrent can be`);
      return body;
    }
    try {
      const bytes = await readFile(filename);
      if (bytes.length > MAX_TORRENT_BYTES)
        throw new RpcError('invalid-argument', `${filename} is larger than a .torrent can be`);
      return bytes;
    } catch (error) {
      if (RpcError.isInstance(error)) throw error;
      throw new RpcError('invalid-argument', `cannot read ${filename}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async torrentAction(action: TorrentAction, ids: readonly number[]): Promise<void> {
    for (const id of ids) {
      const entry = this.entry(id);
      switch (action) {
        case 'start':
          if (!this.isRunning(entry)) this.queueOrStart(entry);
          break;
        case 'start_now':
          if (!this.isRunning(entry)) this.queueOrStart(entry, true);
          break;
        case 'stop':
          await this.stop(entry);
          break;
        case 'verify':
          await this.replace(entry, () => this.session.forgetResume(entry.hash));
          break;
        case 'reannounce':
          entry.manualAnnounceTime = now();
          entry.torrent?.reannounce();
          break;
      }
      entry.state.edit_date = now();
    }
    this.scheduleSave();
  }

  private async stop(entry: TorrentEntry): Promise<void> {
    entry.state.started = false;
    entry.queued = false;
    await entry.busy;
    if (entry.magnet) {
      entry.magnet = undefined;
      await this.session.removeTorrent(entry.hash).catch(() => undefined);
    }
    const torrent = entry.torrent;
    if (
      torrent &&
      (torrent.state === 'downloading' ||
        torrent.state === 'seeding' ||
        torrent.state === 'checking')
    ) {
      if (torrent.state === 'checking') {
        // a check cannot be paused: replace the torrent with a stopped one
        await this.replace(entry, () => undefined);
      } else await torrent.pause();
    }
    entry.fold();
    this.scheduleSave();
  }

  async torrentSet(ids: readonly number[], changes: TorrentSetChanges): Promise<void> {
    if (changes.honors_session_limits === false)
      throw unsupported('ignoring the session limits (honorsSessionLimits false)');
    if (changes.sequential_download === true)
      throw unsupported('switching a running torrent to sequential download');
    if (changes.bandwidth_priority !== undefined && changes.bandwidth_priority !== 0)
      throw unsupported('bandwidth priority');
    if (changes.group !== undefined && changes.group !== '') throw unsupported('bandwidth groups');
    for (const id of ids) this.entry(id);
    for (const id of ids) {
      const entry = this.entry(id);
      const { state, metainfo } = entry;
      if (changes.labels)
        state.labels = changes.labels.filter((label) => label.length > 0 && !label.includes(','));
      if (changes.download_limit !== undefined)
        state.download_limit = Math.max(0, changes.download_limit);
      if (changes.download_limited !== undefined) state.download_limited = changes.download_limited;
      if (changes.upload_limit !== undefined)
        state.upload_limit = Math.max(0, changes.upload_limit);
      if (changes.upload_limited !== undefined) state.upload_limited = changes.upload_limited;
      if (changes.peer_limit !== undefined && changes.peer_limit >= 1)
        state.peer_limit = Math.floor(changes.peer_limit);
      if (changes.seed_ratio_limit !== undefined) state.seed_ratio_limit = changes.seed_ratio_limit;
      if (changes.seed_ratio_mode !== undefined) state.seed_ratio_mode = changes.seed_ratio_mode;
      if (changes.seed_idle_limit !== undefined) state.seed_idle_limit = changes.seed_idle_limit;
      if (changes.seed_idle_mode !== undefined) state.seed_idle_mode = changes.seed_idle_mode;
      entry.torrent?.setLimits({
        downloadLimit: state.download_limited ? state.download_limit * KB : 0,
        uploadLimit: state.upload_limited ? state.upload_limit * KB : 0,
        maxPeers: state.peer_limit,
      });
      if (changes.queue_position !== undefined)
        this.setQueuePosition(entry, changes.queue_position);
      if (hasFileChanges(changes)) {
        const made = applyFileChanges(
          state,
          entry.hasMetadata ? metainfo.files.length : undefined,
          changes,
        );
        const torrent = entry.torrent;
        if (torrent) {
          for (const [index, priority] of made.priorities) torrent.setFilePriority(index, priority);
          for (const [index, wanted] of made.wanted) await torrent.setFileWanted(index, wanted);
        }
      }
      const trackers = editTrackers(entry.trackers, changes);
      if (trackers) await this.replace(entry, () => void (state.trackers = trackers));
      if (changes.location !== undefined)
        await this.torrentSetLocation([id], changes.location, false);
      state.edit_date = now();
    }
    this.scheduleSave();
  }

  async torrentRemove(ids: readonly number[], deleteLocalData: boolean): Promise<void> {
    for (const id of ids) {
      const entry = this.entry(id);
      await entry.busy;
      this.entries.delete(id);
      this.byHash.delete(entry.hash);
      entry.magnet = undefined;
      await this.session.removeTorrent(entry.hash).catch(() => undefined);
      entry.fold();
      this.current.downloaded += entry.sessionDownloaded;
      this.current.uploaded += entry.sessionUploaded;
      await this.session.forgetResume(entry.hash);
      await rm(entry.torrentFile, { force: true });
      if (deleteLocalData) await this.deleteData(entry, entry.state.download_dir);
      this.removed.push({ id, at: now() });
      if (this.removed.length > 1000) this.removed.splice(0, this.removed.length - 1000);
      this.log(
        'info',
        `removed #${id} ${entry.metainfo.name}${deleteLocalData ? ' and its data' : ''}`,
      );
    }
    const ordered = [...this.entries.values()].sort(
      (a, b) => a.state.queue_position - b.state.queue_position,
    );
    ordered.forEach((entry, index) => (entry.state.queue_position = index));
    await this.save();
  }

  /** Deletes the torrent's files (only those) and the folders they leave empty. */
  private async deleteData(entry: TorrentEntry, directory: string): Promise<void> {
    const folders = new Set<string>();
    for (let index = 0; index < entry.metainfo.files.length; index++) {
      if (entry.metainfo.files[index]!.padding) continue;
      const path = join(directory, ...entry.filePath(index));
      await rm(path, { force: true });
      for (
        let folder = dirname(path);
        folder.startsWith(join(directory, entry.metainfo.name));
        folder = dirname(folder)
      )
        folders.add(folder);
    }
    const deepestFirst = [...folders].sort((a, b) => b.length - a.length);
    for (const folder of deepestFirst) await rmdir(folder).catch(() => undefined);
  }

  async torrentSetLocation(ids: readonly number[], location: string, move: boolean): Promise<void> {
    if (!isAbsolute(location))
      throw new RpcError('invalid-argument', `location is not an absolute path: ${location}`, {
        argument: 'location',
      });
    for (const id of ids) {
      const entry = this.entry(id);
      if (move) await this.moveData(entry, location);
      else
        await this.replace(entry, () => {
          entry.state.download_dir = resolve(location);
          delete entry.state.final_dir;
        });
    }
    this.scheduleSave();
  }

  /** Moves the torrent's files to `location`, then the torrent itself. */
  private async moveData(entry: TorrentEntry, location: string): Promise<void> {
    const target = resolve(location);
    await this.replace(entry, async () => {
      const source = entry.state.download_dir;
      if (source !== target) {
        for (let index = 0; index < entry.metainfo.files.length; index++) {
          if (entry.metainfo.files[index]!.padding) continue;
          const from = join(source, ...entry.filePath(index));
          const to = join(target, ...entry.filePath(index));
          await mkdir(dirname(to), { recursive: true });
          try {
            await rename(from, to);
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') continue;
            if (code !== 'EXDEV') throw error;
            await cp(from, to);
            await rm(from, { force: true });
          }
        }
        await this.deleteData(entry, source);
      }
      entry.state.download_dir = target;
      delete entry.state.final_dir;
    });
  }

  async torrentRenamePath(): Promise<{ path: string; name: string; id: number }> {
    throw unsupported("renaming a torrent's files (torrent-rename-path)");
  }

  private setQueuePosition(entry: TorrentEntry, position: number): void {
    const ordered = [...this.entries.values()]
      .filter((other) => other !== entry)
      .sort((a, b) => a.state.queue_position - b.state.queue_position);
    const at = Math.max(0, Math.min(ordered.length, Math.floor(position)));
    ordered.splice(at, 0, entry);
    ordered.forEach((item, index) => (item.state.queue_position = index));
  }

  queueMove(move: QueueMove, ids: readonly number[]): void {
    const entries = ids.map((id) => this.entry(id));
    const last = this.entries.size - 1;
    const sorted = [...entries].sort((a, b) =>
      move === 'down' || move === 'top'
        ? b.state.queue_position - a.state.queue_position
        : a.state.queue_position - b.state.queue_position,
    );
    for (const entry of sorted) {
      const position = entry.state.queue_position;
      const target =
        move === 'top' ? 0 : move === 'bottom' ? last : move === 'up' ? position - 1 : position + 1;
      this.setQueuePosition(entry, target);
    }
    this.scheduleSave();
  }

  // RpcBackend: session ----------------------------------------------------------------------

  sessionGet(): Record<string, unknown> {
    return {
      ...this.settings,
      alt_speed_enabled: this.altSpeedActive,
      blocklist_size: 0,
      config_dir: this.configDir,
      download_dir_free_space: -1,
      peer_port: this.session.port || this.settings.peer_port,
      rpc_version: 18,
      rpc_version_minimum: 14,
      rpc_version_semver: '5.4.0',
      session_id: this.sessionIdSource(),
      units: {
        speed_units: ['kB/s', 'MB/s', 'GB/s', 'TB/s'],
        speed_bytes: 1000,
        size_units: ['kB', 'MB', 'GB', 'TB'],
        size_bytes: 1000,
        memory_units: ['KiB', 'MiB', 'GiB', 'TiB'],
        memory_bytes: 1024,
      },
      version: this.options.version,
    };
  }

  /** Where `session-get` reads the current session id (the HTTP server's). */
  sessionIdSource: () => string = () => '';

  async sessionSet(changes: Record<string, unknown>): Promise<void> {
    const accepted: Partial<Record<keyof SessionSettings, unknown>> = {};
    for (const [key, value] of Object.entries(changes)) {
      if (!isSessionKey(key)) continue;
      const coerced = coerceSetting(key, value);
      if (coerced === undefined)
        throw new RpcError('invalid-argument', `"${key}" has the wrong type`, { argument: key });
      accepted[key] = coerced;
    }
    if (typeof accepted.download_dir === 'string' && !isAbsolute(accepted.download_dir))
      throw new RpcError('invalid-argument', 'download directory path is not absolute', {
        argument: 'download_dir',
      });
    if (
      typeof accepted.incomplete_dir === 'string' &&
      accepted.incomplete_dir !== '' &&
      !isAbsolute(accepted.incomplete_dir)
    )
      throw new RpcError('invalid-argument', 'incomplete directory path is not absolute', {
        argument: 'incomplete_dir',
      });
    for (const key of START_KEYS)
      if (accepted[key] !== undefined && accepted[key] !== this.settings[key])
        this.log('warn', `${key.replace(/_/g, '-')} changes take effect at the next start`);
    Object.assign(this.settings, accepted);
    this.applyGlobalLimits();
    this.options.onSettingsChanged?.(this.settings);
  }

  sessionStats(): SessionStatsValues {
    let active = 0;
    let paused = 0;
    let download = 0;
    let upload = 0;
    for (const entry of this.entries.values()) {
      const stats = entry.torrent?.stats();
      if (stats && (stats.downloadRate > 0 || stats.uploadRate > 0)) active++;
      if (!this.isRunning(entry)) paused++;
      download += stats?.downloadRate ?? 0;
      upload += stats?.uploadRate ?? 0;
      entry.fold();
    }
    const totals = this.totals();
    const bytes = this.sessionBytes();
    const current: SessionStatsTotals = {
      uploaded_bytes: bytes.uploaded,
      downloaded_bytes: bytes.downloaded,
      files_added: this.current.filesAdded,
      session_count: 1,
      seconds_active: Math.floor((Date.now() - this.startedAt) / 1000),
    };
    return {
      active_torrent_count: active,
      download_speed: Math.round(download),
      paused_torrent_count: paused,
      torrent_count: this.entries.size,
      upload_speed: Math.round(upload),
      cumulative_stats: {
        uploaded_bytes: totals['uploaded-bytes'],
        downloaded_bytes: totals['downloaded-bytes'],
        files_added: totals['files-added'],
        session_count: totals['session-count'],
        seconds_active: totals['seconds-active'],
      },
      current_stats: current,
    };
  }

  sessionClose(): void {
    setImmediate(() => this.options.onClose?.());
  }

  async freeSpace(path: string): Promise<{ size_bytes: number; total_size: number }> {
    try {
      const info = await statfs(path);
      return { size_bytes: info.bavail * info.bsize, total_size: info.blocks * info.bsize };
    } catch (error) {
      throw new RpcError('backend-failed', `${path}: ${describe(error)}`, { cause: error });
    }
  }

  /**
   * Whether our peer port accepts connections on this machine's own (non-loopback) addresses:
   * what can be told without asking a service outside. A firewall or NAT in front of the
   * machine is beyond what this sees.
   */
  async portTest(
    ipProtocol?: 'ipv4' | 'ipv6',
  ): Promise<{ port_is_open: boolean; ip_protocol?: string }> {
    const family = ipProtocol === 'ipv6' ? 'IPv6' : 'IPv4';
    const port = this.session.port;
    const addresses = Object.values(networkInterfaces())
      .flat()
      .filter((item) => item && !item.internal && item.family === family)
      .map((item) => item!.address);
    let open = false;
    if (port > 0) {
      for (const address of addresses.length > 0 ? addresses : []) {
        if (await canConnect(address, port)) {
          open = true;
          break;
        }
      }
    }
    return { port_is_open: open, ip_protocol: family === 'IPv6' ? 'ipv6' : 'ipv4' };
  }

  async blocklistUpdate(): Promise<number> {
    throw unsupported('the peer blocklist (blocklist-update)');
  }

  groupGet(): BandwidthGroup[] {
    return [];
  }

  groupSet(): void {
    throw unsupported('bandwidth groups (group-set)');
  }

  /** Torrents known (for the daemon's log and tests). */
  get torrentCount(): number {
    return this.entries.size;
  }

  /** The session's torrent for an info-hash (tests and the daemon's events). */
  torrentByHash(hash: string): Torrent | undefined {
    return this.byHash.get(hash.toLowerCase())?.torrent;
  }
}

/** What several fields of one `torrent-get` row share, computed once (and stats only if asked). */
class RowContext {
  readonly have: number;
  private readonly entry: TorrentEntry;
  private statsValue: ReturnType<Torrent['stats']> | undefined;

  constructor(entry: TorrentEntry) {
    this.entry = entry;
    this.have = entry.haveValid;
  }

  /** Bytes of the pieces the wanted files cover, and of those verified (the engine's count). */
  get wanted(): { bytes: number; verified: number } {
    const { entry } = this;
    if (!entry.state.files_unwanted) return { bytes: entry.metainfo.length, verified: this.have };
    const stats = entry.torrent && entry.torrent.state !== 'stopped' ? this.stats() : undefined;
    if (!stats) {
      let bytes = 0;
      entry.metainfo.files.forEach((file, index) => {
        if (isWanted(entry.state, index)) bytes += file.length;
      });
      return { bytes, verified: entry.complete ? bytes : 0 };
    }
    return { bytes: stats.wantedBytes, verified: stats.wantedVerifiedBytes };
  }

  stats(): ReturnType<Torrent['stats']> | undefined {
    this.statsValue ??= this.entry.torrent?.stats();
    return this.statsValue;
  }
}

function flags(peer: {
  choked: boolean;
  choking: boolean;
  interested: boolean;
  interesting: boolean;
  incoming: boolean;
  encrypted: boolean;
  isUTP: boolean;
  downloadRate: number;
  uploadRate: number;
}): string {
  let out = '';
  if (peer.downloadRate > 0) out += 'D';
  else if (peer.interesting) out += 'd';
  if (peer.uploadRate > 0) out += 'U';
  else if (peer.interested) out += 'u';
  if (!peer.choking && !peer.interested) out += 'K';
  if (!peer.choked && !peer.interesting) out += '?';
  if (peer.encrypted) out += 'E';
  if (peer.isUTP) out += 'T';
  if (peer.incoming) out += 'I';
  return out;
}

function trackerRows(
  tiers: readonly (readonly string[])[],
): { url: string; id: number; tier: number }[] {
  const rows: { url: string; id: number; tier: number }[] = [];
  tiers.forEach((tier, tierIndex) => {
    for (const url of tier) rows.push({ url, id: rows.length, tier: tierIndex });
  });
  return rows;
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return url;
  }
}

function siteName(url: string): string {
  try {
    const parts = new URL(url).hostname.split('.');
    return parts.length >= 2 ? parts[parts.length - 2]! : parts[0]!;
  } catch {
    return '';
  }
}

function scrapeUrl(url: string): string {
  const slash = url.lastIndexOf('/');
  return url.slice(slash + 1).startsWith('announce')
    ? `${url.slice(0, slash + 1)}scrape${url.slice(slash + 1 + 'announce'.length)}`
    : '';
}

/** The new tiers after `trackerAdd`/`trackerRemove`/`trackerReplace`/`trackerList`, or undefined. */
function editTrackers(
  tiers: readonly (readonly string[])[],
  changes: TorrentSetChanges,
): string[][] | undefined {
  const valid = (url: string): boolean => /^(https?|udp):\/\/[^\s]+$/i.test(url);
  if (changes.tracker_list !== undefined) {
    const out = changes.tracker_list.split(/\n\s*\n/).map((tier) =>
      tier
        .split('\n')
        .map((url) => url.trim())
        .filter((url) => url.length > 0),
    );
    const filtered = out.filter((tier) => tier.length > 0);
    for (const url of filtered.flat())
      if (!valid(url))
        throw new RpcError('invalid-argument', `invalid tracker URL ${url}`, {
          argument: 'tracker_list',
        });
    return filtered;
  }
  if (!changes.tracker_add && !changes.tracker_remove && !changes.tracker_replace) return undefined;
  const rows = trackerRows(tiers);
  const removed = new Set(changes.tracker_remove ?? []);
  const replaced = new Map(changes.tracker_replace ?? []);
  const out: string[][] = tiers.map(() => []);
  for (const row of rows) {
    if (removed.has(row.id)) continue;
    const url = replaced.get(row.id) ?? row.url;
    if (!valid(url))
      throw new RpcError('invalid-argument', `invalid tracker URL ${url}`, {
        argument: 'tracker_replace',
      });
    out[row.tier]!.push(url);
  }
  for (const url of changes.tracker_add ?? []) {
    if (!valid(url))
      throw new RpcError('invalid-argument', `invalid tracker URL ${url}`, {
        argument: 'tracker_add',
      });
    if (!rows.some((row) => row.url === url)) out.push([url]);
  }
  return out.filter((tier) => tier.length > 0);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect({ host, port, timeout: 3000 });
    const done = (open: boolean): void => {
      socket.destroy();
      resolveConnect(open);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/** `work` over `items`, at most `limit` at a time; the results in the items' order. */
async function mapInParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The .torrent files in a folder (for a watch folder). */
export async function listTorrentFiles(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder))
      .filter((name) => name.endsWith('.torrent'))
      .map((name) => join(folder, name));
  } catch {
    return [];
  }
}
