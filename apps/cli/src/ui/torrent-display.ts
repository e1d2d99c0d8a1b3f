/**
 * The live display of a running torrent, shared by `bt download`, `bt seed` and `bt demo`: on a
 * TTY a redrawn progress bar with rates, ETA, peers and seeds over the source table; off a TTY a
 * plain line every few seconds; with `--json` newline-delimited JSON events (every engine event
 * plus a `stats` snapshot every couple of seconds). It only renders what the engine reports.
 */
import type { Session, SessionEvent, Torrent, TorrentStats } from '@bt/session';
import { formatBytes, formatDuration, formatPercent, formatRate } from './format.js';

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface TorrentDisplayOptions {
  /** Where the human display goes (stderr by convention). */
  stream: Stream;
  /** Where NDJSON goes under `--json` (stdout). */
  jsonStream: Stream;
  json: boolean;
  /** Prefix of each line, e.g. `download` or `seed`. */
  label: string;
  /** Seconds between lines off a TTY. Default 5. */
  lineInterval?: number;
  /** Event types left out of the NDJSON stream (e.g. the per-piece ones). */
  quietEvents?: readonly string[];
}

export class TorrentDisplay {
  private readonly options: TorrentDisplayOptions;
  private readonly torrent: Torrent;
  private readonly session: Session;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  private drawnLines = 0;

  constructor(session: Session, torrent: Torrent, options: TorrentDisplayOptions) {
    this.session = session;
    this.torrent = torrent;
    this.options = options;
  }

  start(): void {
    const { json, stream } = this.options;
    if (json) {
      const quiet = new Set(this.options.quietEvents ?? []);
      this.unsubscribe = this.session.onEvent((event) => {
        if (event.infoHash === this.torrent.infoHashHex && !quiet.has(event.type))
          this.writeJson(toJson(event));
      });
      this.timer = setInterval(
        () => this.writeJson({ type: 'stats', ...statsJson(this.torrent.stats()) }),
        2000,
      );
    } else if (stream.isTTY === true) {
      this.timer = setInterval(() => this.draw(), 250);
    } else {
      this.timer = setInterval(
        () => stream.write(`${this.line(this.torrent.stats())}\n`),
        (this.options.lineInterval ?? 5) * 1000,
      );
    }
    this.timer.unref?.();
  }

  /** Stops redrawing; prints the final state and an optional message. */
  stop(message?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    const stats = this.torrent.stats();
    if (this.options.json) {
      this.writeJson({ type: 'stats', ...statsJson(stats) });
      if (message) this.writeJson({ type: 'message', message });
      return;
    }
    this.clear();
    this.options.stream.write(`${this.line(stats)}\n`);
    if (message) this.options.stream.write(`${message}\n`);
  }

  private writeJson(value: unknown): void {
    this.options.jsonStream.write(`${JSON.stringify(value)}\n`);
  }

  private clear(): void {
    if (this.drawnLines === 0) return;
    this.options.stream.write(
      `\r\x1b[${this.drawnLines - 1 > 0 ? `${this.drawnLines - 1}A` : '0G'}\x1b[J`,
    );
    this.drawnLines = 0;
  }

  private draw(): void {
    const stats = this.torrent.stats();
    const columns = this.options.stream.columns ?? 100;
    const lines = [
      this.bar(stats, columns),
      ...sourceTable(stats).map((row) => row.slice(0, columns)),
    ];
    this.clear();
    this.options.stream.write(lines.join('\n'));
    this.drawnLines = lines.length;
  }

  private bar(stats: TorrentStats, columns: number): string {
    const text = this.line(stats);
    const width = Math.max(10, Math.min(30, columns - text.length - 3));
    const filled = Math.round(stats.progress * width);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`.slice(0, columns);
  }

  private line(stats: TorrentStats): string {
    return describe(this.options.label, stats);
  }
}

/** One human line for a torrent's state. */
export function describe(label: string, stats: TorrentStats): string {
  if (stats.state === 'checking') {
    const checked = stats.checking
      ? stats.checking.checkedPieces / Math.max(1, stats.checking.totalPieces)
      : 0;
    return `${label} ${stats.name}: checking ${formatPercent(checked)}`;
  }
  const parts = [
    `${label} ${stats.name}:`,
    stats.state,
    formatPercent(stats.progress),
    `${formatBytes(stats.verifiedBytes)}/${formatBytes(stats.totalBytes)}`,
    `down ${formatRate(stats.downloadRate)}`,
    `up ${formatRate(stats.uploadRate)}`,
  ];
  if (stats.state === 'downloading') parts.push(`ETA ${formatDuration(stats.eta)}`);
  parts.push(`peers ${stats.peers} (seeds ${stats.seeds})`);
  if (stats.state === 'seeding') parts.push(`ratio ${stats.ratio.toFixed(2)}`);
  if (stats.hashFailures > 0) parts.push(`hash failures ${stats.hashFailures}`);
  if (stats.error) parts.push(`error: ${stats.error}`);
  return parts.join(' ');
}

/** The source table users know from mainstream clients. */
export function sourceTable(stats: TorrentStats): string[] {
  if (stats.sources.length === 0) return [];
  const rows = stats.sources.map((source) => [
    source.source,
    source.state === 'error' || (source.state === 'disabled' && source.message)
      ? `${source.state}: ${source.message ?? ''}`
      : source.state,
    source.nextUpdateIn === undefined ? '' : formatDuration(source.nextUpdateIn),
    source.seeds === undefined ? '' : String(source.seeds),
    source.peers === undefined ? '' : String(source.peers),
  ]);
  const header = ['source', 'status', 'next update', 'seeds', 'peers'];
  const widths = header.map((title, column) =>
    Math.min(
      column === 0 ? 48 : 40,
      Math.max(title.length, ...rows.map((row) => row[column]!.length)),
    ),
  );
  const format = (row: string[]): string =>
    `  ${row.map((cell, column) => cell.slice(0, widths[column]).padEnd(widths[column]!)).join('  ')}`.trimEnd();
  return [format(header), ...rows.map(format)];
}

function toJson(event: SessionEvent): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event))
    result[key] = value instanceof Error ? value.message : value;
  return result;
}

function statsJson(stats: TorrentStats): Record<string, unknown> {
  return { ...stats, eta: Number.isFinite(stats.eta) ? stats.eta : null };
}
