/**
 * `bt verify`: rechecks a torrent's data on disk, piece by piece, and says what is complete.
 * The checking (hashing on worker threads, file mapping, path safety) is @bt/storage's job.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { filePathSegments, filesInPiece } from '@bt/metainfo';
import type { Bitfield } from '@bt/primitives';
import { createFileStorage, fileCompletion } from '@bt/storage';
import { booleanOption, type Command, ExitCode, stringOption, UsageError } from '../command.js';
import { fileSelectionSpec, resolveFileSelection, wantedFilesOf } from '../file-selection.js';
import { readTorrent } from '../torrent-file.js';
import { formatBytes, formatPercent, printable } from '../ui/format.js';
import { Progress } from '../ui/progress.js';

export const verifyCommand: Command = {
  name: 'verify',
  summary: "recheck a torrent's data on disk and report the complete pieces and files",
  usage: 'bt verify <file.torrent> --data <folder> [--select LIST] [--exclude LIST] [--json]',
  help: `Hashes every piece of the torrent's content found under --data (with one worker thread
per core) and prints which pieces and files are complete. Nothing is written. A file that was
not selected for download is absent; its bytes in pieces shared with chosen files are read
from the part file (<name>/.bt.parts), so those pieces verify.

Options:
  --data <folder>  the download folder: the one that holds the torrent's content, i.e. the
                   parent of the torrent's name (required)
  --json           one JSON object instead of text: infoHash, name, pieceCount,
                   completePieces (a count), missingPieces (the indices), complete,
                   length, bytesComplete, files [{index, path, length, bytesComplete,
                   exists}] (an absent file has bytesComplete 0)
  --select LIST, --exclude LIST  the files that count (numbers from 1, as bt info shows
                   them, ranges: 1,3-5): the exit code is 0 when every piece of these is
                   complete, whatever the others

Exit codes: 0 every piece (of the selected files) verifies; 1 some pieces are missing or corrupt; 3 the check could
not run (unreadable torrent, missing folder, I/O error).

Examples:
  bt verify ubuntu.iso.torrent --data ~/Downloads
  bt verify album.torrent --data /srv/seed --json | jq .missingPieces`,
  options: {
    data: { type: 'string' },
    json: { type: 'boolean' },
    select: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
  },
  positionals: [1, 1],
  async run(context) {
    const json = booleanOption(context, 'json');
    const data = stringOption(context, 'data');
    if (data === undefined || data === '') throw new UsageError('--data <folder> is required');
    const spec = fileSelectionSpec(context);
    const metainfo = await readTorrent(context.positionals[0]!, context.cwd);
    const wanted = wantedFilesOf(
      spec === undefined ? undefined : resolveFileSelection(spec, metainfo.files),
      metainfo.files,
    );
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
    const folder = resolve(context.cwd, data);
    const files = await Promise.all(
      fileCompletion(metainfo, complete).map(async (file, index) => {
        // a file never created (not selected): its shared pieces verify from the part file
        const exists =
          file.padding ||
          (await stat(join(folder, ...filePathSegments(metainfo, index))).then(
            () => true,
            () => false,
          ));
        return {
          index: index + 1,
          path: metainfo.files[index]!.path.join('/'),
          length: file.length,
          bytesComplete: exists ? file.bytesComplete : 0,
          exists,
          ...(file.padding ? { padding: true } : {}),
        };
      }),
    );
    // the pieces that count: those covering a selected file
    const missing = complete
      .missing()
      .filter((piece) =>
        filesInPiece(metainfo, piece).some((span) => wanted[span.fileIndex] === true),
      );
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
          file.exists && file.bytesComplete === file.length
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
