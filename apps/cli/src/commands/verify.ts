/**
 * `bt verify`: rechecks a torrent's data on disk, piece by piece, and says what is complete.
 * The checking (hashing on worker threads, file mapping, path safety) is @bt/storage's job.
 */
import { resolve } from 'node:path';
import type { Bitfield } from '@bt/primitives';
import { createFileStorage, fileCompletion } from '@bt/storage';
import { booleanOption, type Command, ExitCode, stringOption, UsageError } from '../command.js';
import { readTorrent } from '../torrent-file.js';
import { formatBytes, formatPercent, printable } from '../ui/format.js';
import { Progress } from '../ui/progress.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: "recheck a torrent's data on disk and report the complete pieces and files",
  usage: 'bt verify <file.torrent> --data <folder> [--json]',
  help: `Hashes every piece of the torrent's content found under --data (with one worker thread
per core) and prints which pieces and files are complete. Nothing is written.

Options:
  --data <folder>  the download folder: the one that holds the torrent's content, i.e. the
                   parent of the torrent's name (required)
  --json           one JSON object instead of text: infoHash, name, pieceCount,
                   completePieces (a count), missingPieces (the indices), complete,
                   length, bytesComplete, files [{path, length, bytesComplete}]

Exit codes: 0 every piece verifies; 1 some pieces are missing or corrupt; 3 the check could
not run (unreadable torrent, missing folder, I/O error).

Examples:
  bt verify ubuntu.iso.torrent --data ~/Downloads
  bt verify album.torrent --data /srv/seed --json | jq .missingPieces`,
  options: { data: { type: 'string' }, json: { type: 'boolean' } },
  positionals: [1, 1],
  async run(context) {
    const json = booleanOption(context, 'json');
    const data = stringOption(context, 'data');
    if (data === undefined || data === '') throw new UsageError('--data <folder> is required');
    const metainfo = await readTorrent(context.positionals[0]!, context.cwd);
    const storage = await createFileStorage({
      layout: metainfo,
      directory: resolve(context.cwd, data),
      readOnly: true,
    });
    const progress = new Progress({
      stream: context.stderr,
      label: 'verifying',
      total: metainfo.length,
      quiet: json,
    });
    let complete: Bitfield;
    try {
      complete = await storage.recheck({
        signal: context.signal,
        onProgress: ({ checkedBytes, validPieces, checkedPieces }) =>
          progress.update(checkedBytes, `${validPieces}/${checkedPieces} pieces ok`),
      });
    } finally {
      progress.finish();
      await storage.close();
    }
    const files = fileCompletion(metainfo, complete).map((file, index) => ({
      path: metainfo.files[index]!.path.join('/'),
      length: file.length,
      bytesComplete: file.bytesComplete,
      ...(file.padding ? { padding: true } : {}),
    }));
    const missing = complete.missing();
    const bytesComplete = files.reduce((sum, file) => sum + file.bytesComplete, 0);
    if (json) {
      const report = {
        infoHash: metainfo.infoHashHex,
        name: metainfo.name,
        pieceCount: metainfo.pieceCount,
        completePieces: complete.count,
        missingPieces: missing,
        complete: missing.length === 0,
        length: metainfo.length,
        bytesComplete,
        files,
      };
      context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const lines = [
        `Name:     ${printable(metainfo.name)}`,
        `Pieces:   ${complete.count}/${metainfo.pieceCount} complete (${formatPercent(metainfo.pieceCount === 0 ? 1 : complete.count / metainfo.pieceCount)})`,
        `Data:     ${formatBytes(bytesComplete)} of ${formatBytes(metainfo.length)}`,
      ];
      if (missing.length > 0) lines.push(`Missing:  ${formatRanges(missing)}`);
      lines.push('Files:');
      for (const file of files) {
        if (file.padding === true) continue;
        const state =
          file.bytesComplete === file.length
            ? 'complete'
            : file.bytesComplete === 0
              ? 'missing '
              : 'partial ';
        const share =
          file.length === 0 ? '' : ` ${formatPercent(file.bytesComplete / file.length)}`;
        lines.push(
          `  ${state} ${printable(file.path)} (${formatBytes(file.length)}${file.bytesComplete === file.length ? '' : share})`,
        );
      }
      lines.push(
        missing.length === 0
          ? 'All pieces verify.'
          : `${missing.length} pieces missing or corrupt.`,
      );
      context.stdout.write(`${lines.join('\n')}\n`);
    }
    return missing.length === 0 ? ExitCode.ok : ExitCode.negative;
  },
};

/** `0-3, 7, 9-12`, shortened past 20 ranges. */
function formatRanges(indices: number[]): string {
  const ranges: string[] = [];
  let start = indices[0]!;
  let previous = start;
  for (const index of [...indices.slice(1), Number.NaN]) {
    if (index === previous + 1) {
      previous = index;
      continue;
    }
    ranges.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = index;
    previous = index;
  }
  return ranges.length > 20
    ? `${ranges.slice(0, 20).join(', ')}, ... (${ranges.length} ranges)`
    : ranges.join(', ');
}
