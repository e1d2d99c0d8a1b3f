/**
 * `bt download <magnet>`: the metadata phase (BEP 9). The session fetches the info dictionary
 * from peers; this shows it happening, writes `DIR/<name>.torrent` with `--metadata-only`, or
 * hands the torrent that follows back to `bt download`'s display.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeTorrent, InvalidMagnetError, type Metainfo, parseMagnet } from '@bt/metainfo';
import {
  type AddMagnetOptions,
  selectionFromRanges,
  type Session,
  type Torrent,
} from '@bt/session';
import { type CommandContext, CommandError, ExitCode, UsageError } from '../command.js';
import { checkOutputFolder } from '../folder-checks.js';
import {
  describeSelection,
  type FileSelectionSpec,
  resolveFileSelection,
  wantedFilesOf,
} from '../file-selection.js';
import { formatBytes, formatDuration, printable } from '../ui/format.js';
import { TorrentDisplay } from '../ui/torrent-display.js';

export function isMagnet(target: string): boolean {
  return /^magnet:\?/i.test(target.trim());
}

/**
 * Fetches a magnet's metadata. Returns the exit code when that was all (`--metadata-only`, or
 * stopped), else the torrent the session goes on with.
 */
export async function fetchMagnet(
  context: CommandContext,
  session: Session,
  link: string,
  options: AddMagnetOptions & { json: boolean; fileSelection?: FileSelectionSpec },
): Promise<number | { torrent: Torrent; metainfo: Metainfo; started: number }> {
  let magnet;
  try {
    magnet = parseMagnet(link);
  } catch (error) {
    if (error instanceof InvalidMagnetError)
      throw new UsageError(`bad magnet link: ${error.message}`);
    throw error;
  }
  const started = performance.now();
  const { json, metadataOnly, fileSelection, ...add } = options;
  const pending = session.addMagnet(magnet, { ...add, metadataOnly: true });
  const display = new TorrentDisplay(session, pending, {
    stream: context.stderr,
    jsonStream: context.stdout,
    json,
    label: 'magnet',
  });
  display.start();
  let metainfo: Metainfo;
  try {
    metainfo = await pending.whenMetadata(context.signal);
  } catch (error) {
    display.stop(context.signal.aborted ? 'stopped before the metadata arrived' : undefined);
    if (context.signal.aborted) return ExitCode.interrupted;
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  display.stop(
    `metadata: ${printable(metainfo.name)}, ${formatBytes(metainfo.length)} in ${metainfo.files.length} file${metainfo.files.length === 1 ? '' : 's'} (info ${formatBytes(metainfo.infoBytes.length)} in ${formatDuration(seconds)})`,
  );
  if (metadataOnly) {
    const file = join(options.directory, `${metainfo.name}.torrent`);
    try {
      await mkdir(options.directory, { recursive: true });
      await writeFile(file, encodeTorrent(metainfo));
    } catch (error) {
      throw new CommandError(
        'unwritable-folder',
        `cannot write ${printable(file)}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (json)
      context.stdout.write(
        `${JSON.stringify({ type: 'metadata-saved', time: new Date().toISOString(), file, infoHash: metainfo.infoHashHex })}\n`,
      );
    else context.stderr.write(`saved ${printable(file)}\n`);
    return ExitCode.ok;
  }
  // the command line's selection, else the link's so= (BEP 53, files from 0)
  const selection =
    fileSelection !== undefined
      ? resolveFileSelection(fileSelection, metainfo.files)
      : magnet.selectOnly === undefined
        ? undefined
        : selectionFromRanges(magnet.selectOnly, metainfo.files.length);
  // the same checks as for a .torrent file, now that the files are known
  await checkOutputFolder(
    metainfo,
    options.directory,
    '-o',
    wantedFilesOf(selection, metainfo.files),
  );
  const torrent = await session.addTorrent(metainfo, { ...add, selection });
  if (selection !== undefined && !json)
    context.stderr.write(
      `selected${fileSelection === undefined ? ' (so=, BEP 53)' : ''}: ${describeSelection(selection, metainfo.files, formatBytes)}\n`,
    );
  for (const { address, source } of pending.knownPeers()) torrent.addPeers([address], source);
  return { torrent, metainfo, started };
}
