/**
 * A progress display that suits where output goes: a redrawn bar on a TTY, a plain line every
 * few seconds elsewhere (logs, CI), nothing when quiet. Commands feed it; it decides the look.
 */
import type { Output } from '../command.js';
import {
  formatBytes,
  formatDuration,
  formatPercent,
  formatRate,
  terminalColumns,
} from './format.js';

export interface ProgressOptions {
  stream: Output;
  label: string;
  /** Total units of work; bytes unless `unit` says otherwise. */
  total: number;
  unit?: 'bytes' | 'items';
  /** Seconds between lines when not on a TTY. Default 5. */
  lineInterval?: number;
  /** Print nothing (e.g. under `--json`). */
  quiet?: boolean;
  /** For tests: the clock. */
  now?: () => number;
}

export class Progress {
  private readonly options: ProgressOptions;
  private readonly started: number;
  private lastDraw = 0;
  private drawn = false;
  private done = 0;

  constructor(options: ProgressOptions) {
    this.options = options;
    this.started = this.now();
  }

  private now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  /** Reports `done` units finished, with an optional suffix (peers, rates...). */
  update(done: number, suffix = ''): void {
    this.done = done;
    if (this.options.quiet) return;
    const now = this.now();
    const tty = this.options.stream.isTTY === true;
    const interval = tty ? 100 : (this.options.lineInterval ?? 5) * 1000;
    if (now - this.lastDraw < interval && done < this.options.total) return;
    this.lastDraw = now;
    this.draw(now, suffix);
  }

  /** Ends the display with a final line. */
  finish(message?: string): void {
    if (this.options.quiet) return;
    const tty = this.options.stream.isTTY === true;
    if (tty && this.drawn) this.options.stream.write('\r\x1b[2K');
    if (message !== undefined) this.options.stream.write(`${message}\n`);
  }

  private draw(now: number, suffix: string): void {
    const { total, label, stream } = this.options;
    const fraction = total > 0 ? this.done / total : 1;
    const seconds = Math.max((now - this.started) / 1000, 1e-3);
    const rate = this.done / seconds;
    const eta = rate > 0 ? (total - this.done) / rate : Number.POSITIVE_INFINITY;
    const bytes = (this.options.unit ?? 'bytes') === 'bytes';
    const amount = bytes
      ? `${formatBytes(this.done)}/${formatBytes(total)} ${formatRate(rate)}`
      : `${this.done}/${total}`;
    const text = `${label} ${formatPercent(fraction)} ${amount} ETA ${formatDuration(eta)}${suffix ? ` ${suffix}` : ''}`;
    if (stream.isTTY === true) {
      const columns = terminalColumns(stream);
      const barWidth = Math.max(10, Math.min(30, columns - text.length - 4));
      const filled = Math.round(fraction * barWidth);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
      stream.write(`\r\x1b[2K${`${bar} ${text}`.slice(0, columns - 1)}`);
      this.drawn = true;
    } else {
      stream.write(`${text}\n`);
    }
  }
}
