/** Human-readable numbers and safe text for terminal output. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${value} B`
    : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** `0.25s`, `3.4s`, `42s`, `5m07s`, `2h05m`, `3d04h`; `∞` for never. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '∞';
  if (seconds === 0) return '0s';
  if (seconds < 1) return `${Math.max(0.01, Number(seconds.toFixed(2)))}s`;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

export function formatPercent(fraction: number): string {
  return `${(Math.max(0, Math.min(1, fraction)) * 100).toFixed(1)}%`;
}

/** Upload over download, or over the torrent's size for a seed that downloaded nothing. */
export function shareRatio(uploaded: number, downloaded: number, size: number): number {
  const base = downloaded > 0 ? downloaded : size;
  return base > 0 ? uploaded / base : 0;
}

/** A terminal's width: what it reports, or 80 when it reports none (a bare pseudo-terminal). */
export function terminalColumns(stream: { columns?: number }): number {
  const columns = stream.columns;
  return columns !== undefined && Number.isFinite(columns) && columns > 0 ? columns : 80;
}

/**
 * Text that came from the network or a file (a tracker's failure reason, a peer's client name,
 * a torrent's comment and file names) as it may be printed: control characters (C0, DEL, C1)
 * and the bidirectional overrides are shown escaped (`\x1b`, `\u202e`), so they can neither
 * clear the screen, recolour the terminal, nor disguise a file name.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Cuts `text` to `width` characters, ending with `…` when it was longer. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
