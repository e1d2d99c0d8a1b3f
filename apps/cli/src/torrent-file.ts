/**
 * Reading the .torrent file a command is given, with the same two errors everywhere:
 * `cannot read x.torrent: no such file` and `x.torrent is not a .torrent file: <the parser's
 * detail>`. Parsing is @bt/metainfo's job.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidTorrentError, type Metainfo, parseTorrent } from '@bt/metainfo';
import { CommandError } from './command.js';
import { systemErrorWords } from './ui/errors.js';

/** The bytes of `input` (a path as the user typed it, relative to `cwd`). */
export async function readTorrentBytes(input: string, cwd: string): Promise<Uint8Array> {
  try {
    return await readFile(resolve(cwd, input));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder, not a .torrent file'
          : systemErrorWords(code || String(error));
    throw new CommandError('unreadable-input', `cannot read ${input}: ${reason}`, {
      cause: error,
    });
  }
}

/** Reads and parses a .torrent file. */
export async function readTorrent(input: string, cwd: string): Promise<Metainfo> {
  const bytes = await readTorrentBytes(input, cwd);
  try {
    return parseTorrent(bytes, { copy: false });
  } catch (error) {
    if (!InvalidTorrentError.isInstance(error)) throw error;
    const notTorrent = error.code === 'not-bencode' || error.code === 'not-a-dictionary';
    throw new CommandError(
      'invalid-input',
      notTorrent
        ? `${input} is not a .torrent file: ${error.message}`
        : `${input} is not a valid .torrent file: ${error.message}`,
      { cause: error },
    );
  }
}
