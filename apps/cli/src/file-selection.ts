/**
 * `--select 1,3-5`, `--exclude 2` and `--priority high:1,4`: which files `bt download` fetches,
 * numbered from 1 in torrent order as `bt info` lists them (and as aria2c's `--select-file`
 * counts). The syntax is checked when the command starts; the numbers against the torrent's
 * files once they are known (for a magnet, after its metadata). Mistakes are `FileSelectionError`s:
 * usage errors, exit code 2, each saying what to write instead.
 */
import type { FilePriority, FileSelectionOptions } from '@bt/session';
import { type CommandContext, stringListOption, UsageError } from './command.js';

export type FileSelectionErrorCode =
  /** A list that is not numbers and ranges (`1,3-5`). */
  | 'malformed-file-list'
  /** File 0: files count from 1. */
  | 'file-number-zero'
  /** A number past the torrent's last file. */
  | 'file-number-out-of-range'
  /** `--priority` without `high:`, `normal:` or `low:`. */
  | 'unknown-priority'
  /** The options leave no file to download. */
  | 'nothing-selected';

/** A wrong `--select`, `--exclude` or `--priority`: a usage error (exit code 2). */
export class FileSelectionError extends UsageError {
  override name = 'FileSelectionError';
  readonly code: FileSelectionErrorCode;

  constructor(code: FileSelectionErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Inclusive range of file numbers (from 1). */
export interface FileNumberRange {
  first: number;
  last: number;
}

/** The parsed options, before the torrent's files are known. */
export interface FileSelectionSpec {
  select?: FileNumberRange[];
  exclude: FileNumberRange[];
  priorities: { priority: FilePriority; ranges: FileNumberRange[] }[];
}

const HINT = '`bt info <torrent>` lists the files with their numbers';
/** More than any torrent has, so a typo like 1-99999999999 is refused rather than looped over. */
const MAX_FILE_NUMBER = 10_000_000;

/** Parses `1,3-5` (numbers from 1, ranges inclusive, in any order). */
export function parseFileList(text: string, option: string): FileNumberRange[] {
  const ranges: FileNumberRange[] = [];
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!match) {
      throw new FileSelectionError(
        'malformed-file-list',
        `${option} ${JSON.stringify(text)}: ${item === '' ? 'an empty item' : JSON.stringify(item)} is not a file number or range; write numbers and ranges separated by commas, e.g. ${option} 1,3-5 (${HINT})`,
      );
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first === 0 || last === 0)
      throw new FileSelectionError(
        'file-number-zero',
        `${option} ${text}: files are numbered from 1, not 0 (${HINT})`,
      );
    if (last < first)
      throw new FileSelectionError(
        'malformed-file-list',
        `${option} ${text}: the range ${item} runs backwards; write ${last}-${first}`,
      );
    if (last > MAX_FILE_NUMBER)
      throw new FileSelectionError(
        'file-number-out-of-range',
        `${option} ${text}: ${last} is past any torrent's last file (${HINT})`,
      );
    ranges.push({ first, last });
  }
  return ranges;
}

const PRIORITY_NAMES: readonly FilePriority[] = ['high', 'normal', 'low'];

/** Parses `high:1,3-5` (one `--priority`). */
export function parsePriority(text: string): { priority: FilePriority; ranges: FileNumberRange[] } {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  if (colon < 0 || !PRIORITY_NAMES.includes(name as FilePriority))
    throw new FileSelectionError(
      'unknown-priority',
      `--priority ${JSON.stringify(text)}: write high:, normal: or low: and file numbers, e.g. --priority high:1 --priority low:3-5`,
    );
  return {
    priority: name as FilePriority,
    ranges: parseFileList(text.slice(colon + 1), '--priority'),
  };
}

/** Reads `--select`, `--exclude` and `--priority` (each repeatable: the lists join). */
export function fileSelectionSpec(context: CommandContext): FileSelectionSpec | undefined {
  const select = stringListOption(context, 'select');
  const exclude = stringListOption(context, 'exclude');
  const priority = stringListOption(context, 'priority');
  if (select.length === 0 && exclude.length === 0 && priority.length === 0) return undefined;
  return {
    select:
      select.length === 0 ? undefined : select.flatMap((text) => parseFileList(text, '--select')),
    exclude: exclude.flatMap((text) => parseFileList(text, '--exclude')),
    priorities: priority.map(parsePriority),
  };
}

function indices(ranges: readonly FileNumberRange[], fileCount: number, option: string): number[] {
  const result: number[] = [];
  for (const range of ranges) {
    if (range.last > fileCount)
      throw new FileSelectionError(
        'file-number-out-of-range',
        `${option}: the torrent has ${fileCount} file${fileCount === 1 ? '' : 's'}, numbered 1 to ${fileCount}; there is no file ${range.last} (${HINT})`,
      );
    for (let number = range.first; number <= range.last; number++) result.push(number - 1);
  }
  return result;
}

/**
 * The session's selection (files from 0) for a torrent's files; padding files (BEP 47) count in
 * the numbering but are never downloaded.
 */
export function resolveFileSelection(
  spec: FileSelectionSpec,
  files: readonly { padding?: boolean }[],
): FileSelectionOptions {
  const count = files.length;
  const wanted = spec.select === undefined ? undefined : indices(spec.select, count, '--select');
  const unwanted = indices(spec.exclude, count, '--exclude');
  const priorities: Record<number, FilePriority> = {};
  for (const { priority, ranges } of spec.priorities)
    for (const index of indices(ranges, count, '--priority')) priorities[index] = priority;
  const only = wanted === undefined ? undefined : new Set(wanted);
  const excluded = new Set(unwanted);
  const any = files.some(
    (file, index) =>
      file.padding !== true && (only === undefined || only.has(index)) && !excluded.has(index),
  );
  if (!any)
    throw new FileSelectionError(
      'nothing-selected',
      `--select/--exclude leave no file to download (${HINT})`,
    );
  return { wanted, unwanted, priorities };
}

/** Numbers as ranges for messages: `1,3-5`. */
export function formatFileNumbers(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let at = 0; at < sorted.length;) {
    let end = at;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end++;
    parts.push(at === end ? `${sorted[at]! + 1}` : `${sorted[at]! + 1}-${sorted[end]! + 1}`);
    at = end + 1;
  }
  return parts.join(',');
}

/** Per file, whether the selection downloads it (padding never). */
export function wantedFilesOf(
  selection: FileSelectionOptions | undefined,
  files: readonly { padding?: boolean }[],
): boolean[] {
  const only = selection?.wanted === undefined ? undefined : new Set(selection.wanted);
  const excluded = new Set(selection?.unwanted ?? []);
  return files.map(
    (file, index) =>
      file.padding !== true && (only === undefined || only.has(index)) && !excluded.has(index),
  );
}

/** `files 1,3-5 of 9 (12 MiB of 40 MiB)`: what a selection downloads. */
export function describeSelection(
  selection: FileSelectionOptions,
  files: readonly { padding?: boolean; length: number }[],
  formatBytes: (bytes: number) => string,
): string {
  const wanted = wantedFilesOf(selection, files);
  const chosen = wanted.flatMap((yes, index) => (yes ? [index] : []));
  const real = files.filter((file) => file.padding !== true);
  const bytes = chosen.reduce((sum, index) => sum + files[index]!.length, 0);
  const total = real.reduce((sum, file) => sum + file.length, 0);
  const ranked = Object.entries(selection.priorities ?? {})
    .filter(([, priority]) => priority !== 'normal')
    .map(([index, priority]) => `${Number(index) + 1} ${priority}`);
  return `files ${formatFileNumbers(chosen)} of ${files.length} (${formatBytes(bytes)} of ${formatBytes(total)})${ranked.length > 0 ? `; priority ${ranked.join(', ')}` : ''}`;
}

/** The options' lines of `bt download --help`. */
export const SELECTION_HELP = `      --select LIST    download only these files: numbers from 1 in torrent order, as
                       'bt info' shows them, with ranges: --select 1,3-5
      --exclude LIST   do not download these files (with or without --select): --exclude 2
      --priority P:LIST  fetch these files' pieces first (high) or last (low); P is high,
                       normal or low; repeatable: --priority high:1 --priority low:3-4`;
