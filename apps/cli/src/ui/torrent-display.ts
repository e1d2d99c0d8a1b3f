/**
 * The live display of a running torrent, shared by `bt download`, `bt seed` and `bt demo`: on a
 * TTY a redrawn progress bar with rates, ETA, peers and seeds over the source table, fitted to
 * the terminal's width; off a TTY a plain line every few seconds, the reason when nothing
 * arrives, and the source table whenever it changes; with `--json` newline-delimited JSON
 * events, each with a timestamp (every engine event plus a `stats` snapshot every couple of
 * seconds). It only renders what the engine reports; text from the network is escaped.
 */
import {
  SessionError,
  type Session,
  type SessionEvent,
  type SourceStatus,
  type Torrent,
  type TorrentStats,
} from '@bt/session';
import type { Output } from '../command.js';
import {
  formatBytes,
  formatDuration,
  formatPercent,
  formatRate,
  printable,
  shareRatio,
  terminalColumns,
  truncate,
} from './format.js';

export interface TorrentDisplayOptions {
  /** Where the human display goes (stderr by convention). */
  stream: Output;
  /** Where NDJSON goes under `--json` (stdout). */
  jsonStream: Output;
  json: boolean;
  /** Prefix of each line, e.g. `download` or `seed`. */
  label: string;
  /** Seconds between lines off a TTY. Default 5. */
  lineInterval?: number;
  /** Event types left out of the NDJSON stream (e.g. the per-piece ones). */
  quietEvents?: readonly string[];
  /** The torrent ends when complete (no seeding after): its last line reads `done`. */
  stopsWhenComplete?: boolean;
}

/** A piece of the status line; the higher `drop`, the sooner it goes when the line is too long. */
interface Part {
  text: string;
  drop: number;
}

/** What the display knows beyond the stats: the last peer that could not be reached. */
export interface StatusContext {
  stopsWhenComplete?: boolean;
  lastPeerFailure?: string;
}

const MANUAL_SOURCE = 'manual peers';

/** A torrent, or a magnet's before its metadata (`MagnetTorrent`). */
export type DisplayedTorrent = Pick<Torrent, 'on' | 'stats' | 'infoHashHex'>;

export class TorrentDisplay {
  private readonly options: TorrentDisplayOptions;
  private readonly torrent: DisplayedTorrent;
  private readonly session: Session;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private drawnLines = 0;
  private readonly context: StatusContext;
  private lastLineAt = 0;
  private lastTable = '';
  private lastReason: string | undefined;

  constructor(session: Session, torrent: DisplayedTorrent, options: TorrentDisplayOptions) {
    this.session = session;
    this.torrent = torrent;
    this.options = options;
    this.context = { stopsWhenComplete: options.stopsWhenComplete };
  }

  start(): void {
    const { json, stream } = this.options;
    this.unsubscribe.push(
      this.torrent.on('peer-failed', ({ address, error }) => {
        this.context.lastPeerFailure = `${address}: ${error.message}`;
      }),
      this.torrent.on('peer-connected', () => {
        this.context.lastPeerFailure = undefined;
      }),
    );
    if (json) {
      const quiet = new Set(this.options.quietEvents ?? []);
      this.unsubscribe.push(
        this.session.onEvent((event) => {
          if (event.infoHash === this.torrent.infoHashHex && !quiet.has(event.type))
            this.writeJson(toJson(event));
        }),
      );
      this.timer = setInterval(() => this.writeJson(this.statsEvent()), 2000);
    } else if (stream.isTTY === true) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 250);
    } else {
      this.timer = setInterval(() => this.plainTick(), 1000);
    }
    this.timer.unref?.();
  }

  /** Prints a line of its own above the display (which a terminal then redraws below it). */
  message(text: string): void {
    if (this.options.json) return;
    const tty = this.options.stream.isTTY === true && this.timer !== undefined;
    if (tty) this.clear();
    this.options.stream.write(`${text}\n`);
    if (tty) this.draw();
  }

  /** Stops redrawing; prints the final state and an optional message. */
  stop(message?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const off of this.unsubscribe.splice(0)) off();
    const stats = this.torrent.stats();
    if (this.options.json) {
      this.writeJson(this.statsEvent());
      if (message) this.writeJson({ type: 'message', time: now(), message });
      return;
    }
    this.clear();
    const { stream } = this.options;
    const line = describe(this.options.label, stats, this.context);
    stream.write(`${stream.isTTY === true ? truncate(line, terminalColumns(stream) - 1) : line}\n`);
    if (message) stream.write(`${message}\n`);
  }

  private statsEvent(): Record<string, unknown> {
    const stats = this.torrent.stats();
    const stalled = stallReason(stats, this.context);
    return {
      type: 'stats',
      time: now(),
      ...statsJson(stats),
      ...(stalled === undefined ? {} : { stalled }),
    };
  }

  private writeJson(value: unknown): void {
    this.options.jsonStream.write(`${JSON.stringify(value)}\n`);
  }

  /** Off a TTY: a line every `lineInterval` seconds, and at once when the table or the reason changes. */
  private plainTick(): void {
    const { stream } = this.options;
    const stats = this.torrent.stats();
    const reason = stallReason(stats, this.context);
    const table = sourceTable(stats, { countdown: false });
    const tableText = table.join('\n');
    const interval = (this.options.lineInterval ?? 5) * 1000;
    const due = performance.now() - this.lastLineAt >= interval;
    if (due || reason !== this.lastReason || tableText !== this.lastTable) {
      this.lastLineAt = performance.now();
      stream.write(`${describe(this.options.label, stats, this.context)}\n`);
    }
    if (tableText !== this.lastTable && table.length > 0) stream.write(`${tableText}\n`);
    this.lastTable = tableText;
    this.lastReason = reason;
  }

  private clear(): void {
    if (this.drawnLines === 0) return;
    this.options.stream.write(
      `\r${this.drawnLines > 1 ? `\x1b[${this.drawnLines - 1}A` : ''}\x1b[J`,
    );
    this.drawnLines = 0;
  }

  private draw(): void {
    const stats = this.torrent.stats();
    // one column stays free: writing the last one makes some terminals wrap
    const width = terminalColumns(this.options.stream) - 1;
    const reason = stallReason(stats, this.context);
    const lines = [
      bar(this.options.label, stats, this.context, width),
      ...(reason === undefined ? [] : [truncate(`  stalled: ${reason}`, width)]),
      ...sourceTable(stats, { width }),
    ];
    this.clear();
    this.options.stream.write(lines.join('\n'));
    this.drawnLines = lines.length;
  }
}

function now(): string {
  return new Date().toISOString();
}

/** A progress bar and the status line, `width` characters at most. */
export function bar(
  label: string,
  stats: TorrentStats,
  context: StatusContext,
  width: number,
): string {
  const barWidth = width >= 150 ? 30 : width >= 100 ? 20 : 10;
  const filled = Math.round(Math.max(0, Math.min(1, stats.progress)) * barWidth);
  // below 100 columns the bar says enough: the label goes first
  const text = fitLine(
    width >= 100 ? `${label} ` : '',
    stats,
    statusParts(stats, context),
    width - barWidth - 3,
  );
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${text}`;
}

/** One human line for a torrent's state. */
export function describe(label: string, stats: TorrentStats, context: StatusContext = {}): string {
  const parts = statusParts(stats, context).map((part) => part.text);
  const reason = stallReason(stats, context);
  if (reason !== undefined) parts.push(`(${reason})`);
  return `${label} ${printable(stats.name)}: ${parts.join(' ')}`;
}

function statusParts(stats: TorrentStats, context: StatusContext): Part[] {
  if (stats.state === 'metadata') {
    const { receivedBytes = 0, totalBytes } = stats.metadata ?? {};
    return [
      {
        text:
          totalBytes === undefined
            ? 'fetching metadata'
            : `fetching metadata ${formatBytes(receivedBytes)}/${formatBytes(totalBytes)}`,
        drop: 0,
      },
      { text: `peers ${stats.peers}`, drop: 0 },
    ];
  }
  if (stats.state === 'checking') {
    const checked = stats.checking
      ? stats.checking.checkedPieces / Math.max(1, stats.checking.totalPieces)
      : 0;
    return [{ text: `checking ${formatPercent(checked)}`, drop: 0 }];
  }
  const size = formatBytes(stats.totalBytes);
  const peers = [
    { text: `peers ${stats.peers}`, drop: 0 },
    { text: `(seeds ${stats.seeds})`, drop: 2 },
  ];
  const tail: Part[] = [];
  if (stats.hashFailures > 0) tail.push({ text: `hash failures ${stats.hashFailures}`, drop: 4 });
  if (stats.error) tail.push({ text: `error: ${printable(stats.error.message)}`, drop: 0 });
  if (stats.state === 'seeding' && context.stopsWhenComplete === true) {
    return [
      { text: 'done', drop: 0 },
      { text: formatPercent(stats.progress), drop: 0 },
      { text: size, drop: 2 },
      ...tail,
    ];
  }
  if (stats.state === 'seeding') {
    const ratio = shareRatio(stats.uploaded, stats.downloaded, stats.totalBytes);
    return [
      { text: 'seeding', drop: 0 },
      { text: size, drop: 3 },
      { text: `up ${formatRate(stats.uploadRate)}`, drop: 0 },
      { text: `uploaded ${formatBytes(stats.uploaded)}`, drop: 0 },
      { text: `ratio ${ratio.toFixed(2)}`, drop: 1 },
      ...peers,
      ...tail,
    ];
  }
  const stalled = stallReason(stats, context) !== undefined;
  const parts: Part[] = [
    { text: stalled ? 'stalled' : stats.state, drop: 0 },
    { text: formatPercent(stats.progress), drop: 0 },
    { text: `${formatBytes(stats.verifiedBytes)}/${size}`, drop: 3 },
  ];
  if (stats.state === 'downloading') {
    parts.push(
      { text: `down ${formatRate(stats.downloadRate)}`, drop: 0 },
      { text: `up ${formatRate(stats.uploadRate)}`, drop: 4 },
    );
    if (!stalled) parts.push({ text: `ETA ${formatDuration(stats.eta)}`, drop: 0 });
  }
  parts.push(...peers, ...tail);
  return parts;
}

/** `prefix name: parts`, within `width`: the name shortens first, then the least useful parts go. */
function fitLine(prefix: string, stats: TorrentStats, parts: Part[], width: number): string {
  const name = printable(stats.name);
  const join = (kept: Part[], shown: string): string =>
    `${prefix}${shown}: ${kept.map((part) => part.text).join(' ')}`;
  let kept = parts;
  for (;;) {
    const full = join(kept, name);
    if (full.length <= width) return full;
    const rest = full.length - name.length;
    const room = width - rest;
    if (room >= Math.min(name.length, 16)) return join(kept, truncate(name, room));
    const droppable = Math.max(...kept.map((part) => part.drop));
    if (droppable === 0) return truncate(join(kept, truncate(name, 16)), width);
    let index = kept.length - 1;
    while (kept[index]!.drop !== droppable) index--;
    kept = kept.filter((_, position) => position !== index);
  }
}

/**
 * Why nothing arrives, in words, while a download gets no data; undefined while data comes (or
 * the torrent is not downloading).
 */
export function stallReason(stats: TorrentStats, context: StatusContext = {}): string | undefined {
  // a magnet fetching its metadata from connected peers is not stalled (it has no rate to show)
  const fetching = stats.state === 'metadata';
  if (fetching ? stats.peers > 0 : stats.state !== 'downloading' || stats.downloadRate > 0)
    return undefined;
  if (stats.peers > 0) {
    return `connected to ${stats.peers} peer${stats.peers === 1 ? '' : 's'}, none sending: they have no piece we need, or are choking us`;
  }
  // `[DHT]`, `[Peer Exchange]`...: discovery rows; a row with a rate is a web seed (BEP 19):
  // neither is a tracker
  const webSeeds = stats.sources.filter((source) => source.downloadRate !== undefined);
  const trackers = stats.sources.filter(
    (source) =>
      source.source !== MANUAL_SOURCE &&
      !source.source.startsWith('[') &&
      source.downloadRate === undefined,
  );
  const manual = stats.sources.some((source) => source.source === MANUAL_SOURCE);
  const failure =
    context.lastPeerFailure === undefined ? '' : `; last: ${printable(context.lastPeerFailure)}`;
  const failedSeeds = webSeeds.filter((source) => source.state === 'error');
  if (
    failedSeeds.length > 0 &&
    failedSeeds.length === webSeeds.length &&
    trackers.every((source) => source.state !== 'working')
  ) {
    const first = failedSeeds[0]!;
    const more = failedSeeds.length > 1 ? ` (and ${failedSeeds.length - 1} more)` : '';
    return `no data: every web seed failed: ${printable(first.source)}: ${printable(first.message ?? 'error')}${more}`;
  }
  if (
    trackers.length === 0 &&
    webSeeds.length === 0 &&
    !manual &&
    stats.sources.every((source) => source.state !== 'working')
  )
    return fetching
      ? 'no peers: the magnet names no tracker and no peer (x.pe), and no other source found one'
      : 'no peers: the torrent lists no tracker and no --peer was given';
  if (trackers.some((source) => source.state === 'announcing'))
    return `looking for peers: asking ${trackers.length === 1 ? 'the tracker' : `${trackers.length} trackers`}`;
  const working = trackers.filter((source) => source.state === 'working');
  const failed = trackers.filter((source) => source.state === 'error');
  if (working.length === 0 && failed.length > 0) {
    const first = failed[0]!;
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more)` : '';
    const tried = manual ? ', and the --peer addresses did not connect' : '';
    return `no peers: every tracker failed: ${printable(first.source)}: ${printable(first.message ?? 'error')}${more}${tried}${failure}`;
  }
  const known = working.reduce((sum, source) => sum + (source.seeds ?? 0) + (source.peers ?? 0), 0);
  if (working.length > 0 && known === 0 && !manual)
    return `no peers: the tracker${working.length === 1 ? '' : 's'} know${working.length === 1 ? 's' : ''} no other peer of this torrent`;
  if (context.lastPeerFailure !== undefined)
    return `no peers connected: the peers found could not be reached${failure}`;
  return 'looking for peers';
}

/** The source table users know from mainstream clients, fitted to `width` columns. */
export function sourceTable(
  stats: TorrentStats,
  options: { width?: number; countdown?: boolean } = {},
): string[] {
  if (stats.sources.length === 0) return [];
  const countdown = options.countdown ?? true;
  const rows = stats.sources.map((source) => sourceRow(source, countdown));
  const header = ['source', 'status', ...(countdown ? ['next update'] : []), 'seeds', 'peers'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  if (options.width !== undefined) {
    // what the terminal leaves for the source and status columns, beyond the small ones
    const fixed = 2 + widths.slice(2).reduce((sum, each) => sum + each + 2, 0) + 2;
    let room = options.width - fixed;
    const source = Math.min(widths[0]!, Math.max(16, Math.floor(room * 0.45)));
    widths[0] = source;
    room -= source;
    widths[1] = Math.max(6, Math.min(widths[1]!, room));
  }
  const format = (row: string[]): string => {
    const line =
      `  ${row.map((cell, column) => truncate(cell, widths[column]!).padEnd(widths[column]!)).join('  ')}`.trimEnd();
    return options.width === undefined ? line : truncate(line, options.width);
  };
  return [format(header), ...rows.map(format)];
}

function sourceRow(source: SourceStatus, countdown: boolean): string[] {
  return [
    printable(source.source),
    source.state === 'error' || (source.state === 'disabled' && source.message)
      ? `${source.state}: ${printable(source.message ?? '')}`
      : source.state,
    ...(countdown
      ? [source.nextUpdateIn === undefined ? '' : formatDuration(source.nextUpdateIn)]
      : []),
    source.seeds === undefined ? '' : String(source.seeds),
    source.peers === undefined ? '' : String(source.peers),
  ];
}

function toJson(event: SessionEvent): Record<string, unknown> {
  const result: Record<string, unknown> = { type: event.type, time: now() };
  for (const [key, value] of Object.entries(event))
    result[key] = value instanceof Error ? errorJson(value) : value;
  return result;
}

/** A session error as `{ code, party, message }` (who failed: a peer, a tracker, our I/O). */
function errorJson(error: Error): Record<string, unknown> {
  if (!SessionError.isInstance(error)) return { message: error.message };
  return { code: error.code, party: error.party, message: error.message };
}

function statsJson(stats: TorrentStats): Record<string, unknown> {
  return {
    ...stats,
    eta: Number.isFinite(stats.eta) ? stats.eta : null,
    error: stats.error ? errorJson(stats.error) : undefined,
  };
}
