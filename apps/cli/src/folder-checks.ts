/**
 * What `bt download` and `bt seed` check about their folder before they wait on any peer: that
 * it can be created and written, that the disk has the room the torrent still needs (measured
 * by @bt/storage), that `bt seed` has data to seed; and the words for a disk that fails later.
 */
import { lstat, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Metainfo } from '@bt/metainfo';
import { SessionError } from '@bt/session';
import { measureSpace, StorageError } from '@bt/storage';
import { CommandError } from './command.js';
import { systemErrorWords } from './ui/errors.js';
import { formatBytes, printable } from './ui/format.js';

function words(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined ? String(error) : systemErrorWords(code);
}

/**
 * The folder `directory` (created when missing) must take a new file, and its disk the bytes
 * the torrent still needs; `option` names the flag that chooses another (`-o`, `--data`).
 */
export async function checkOutputFolder(
  metainfo: Metainfo,
  directory: string,
  option: string,
  /** File selection: only these files' space is needed. */
  wantedFiles?: readonly boolean[],
): Promise<void> {
  try {
    await makeFolders(directory);
  } catch (error) {
    throw new CommandError(
      'unwritable-folder',
      `cannot create the folder ${directory}: ${words(error)}; choose another with ${option}`,
      { cause: error },
    );
  }
  const probe = join(directory, `.bt-write-test-${process.pid}`);
  try {
    await writeFile(probe, '');
  } catch (error) {
    throw new CommandError(
      'unwritable-folder',
      `cannot write in ${directory}: ${words(error)}; choose a folder you may write to with ${option}`,
      { cause: error },
    );
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
  const space = await measureSpace(metainfo, directory, wantedFiles);
  if (space.needed > space.free) {
    throw new CommandError(
      'no-space',
      `not enough space in ${directory}: ${formatBytes(space.free)} free, ${formatBytes(space.needed)} needed; free some space or choose another folder with ${option}`,
    );
  }
  if (space.fileSizeLimit !== undefined && space.largestFile > space.fileSizeLimit) {
    throw new CommandError(
      'no-space',
      `the file size limit (ulimit -f) is ${formatBytes(space.fileSizeLimit)}, and this torrent has a file of ${formatBytes(space.largestFile)}; raise the limit (ulimit -f unlimited) and run again`,
    );
  }
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir spins forever on some paths that
 * cannot be made (`/proc/x`).
 */
async function makeFolders(directory: string): Promise<void> {
  const missing: string[] = [];
  let current = directory;
  for (;;) {
    try {
      const stats = await stat(current);
      if (!stats.isDirectory()) {
        throw Object.assign(new Error(`${current} is not a folder`), { code: 'ENOTDIR' });
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const parent = dirname(current);
      if (parent === current) throw error;
      missing.unshift(current);
      current = parent;
    }
  }
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * `bt seed` is for data that is there: the folder must exist and hold at least one of the
 * torrent's files (a partial copy is completed from peers).
 */
export async function checkSeedData(metainfo: Metainfo, directory: string): Promise<void> {
  const expected = metainfo.multiFile
    ? `the folder '${printable(metainfo.name)}' with the torrent's ${metainfo.files.filter((file) => !file.padding).length} files`
    : `the file '${printable(metainfo.name)}' (${formatBytes(metainfo.length)})`;
  const advice = `to download it, use --allow-download or 'bt download --seed'`;
  try {
    const stats = await lstat(directory);
    if (!stats.isDirectory()) throw new Error('not a folder');
  } catch {
    throw new CommandError(
      'nothing-to-seed',
      `nothing to seed: the folder ${directory} does not exist (it should hold ${expected}); ${advice}`,
    );
  }
  const present = await Promise.all(
    metainfo.files
      .filter((file) => !file.padding)
      .map((file) =>
        lstat(join(directory, metainfo.name, ...(metainfo.multiFile ? file.path : []))).then(
          () => true,
          () => false,
        ),
      ),
  );
  if (!present.some(Boolean)) {
    throw new CommandError(
      'nothing-to-seed',
      `nothing to seed: ${directory} does not hold ${expected}; ${advice}`,
    );
  }
}

/** The storage error behind a torrent's failure, if any. */
function storageCause(error: unknown): StorageError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    if (StorageError.isInstance(current)) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/**
 * A torrent failed on its disk: the words for it, with figures when the disk is full. Verified
 * pieces are on disk and the next run finds them, so the message says how to go on.
 */
export async function describeDiskFailure(
  error: unknown,
  metainfo: Metainfo,
  directory: string,
  verifiedBytes: number,
): Promise<CommandError | undefined> {
  const cause = storageCause(error);
  if (cause === undefined && !(SessionError.isInstance(error) && error.code === 'storage-failed'))
    return undefined;
  const kept = `${formatBytes(verifiedBytes)} verified is kept: run the same command again to resume`;
  const file = cause?.path === undefined ? '' : ` (${printable(cause.path)})`;
  if (cause?.code === 'no-space') {
    if (cause.systemCode === 'EFBIG') {
      const space = await measureSpace(metainfo, directory).catch(() => undefined);
      const limit =
        space?.fileSizeLimit === undefined ? '' : ` of ${formatBytes(space.fileSizeLimit)}`;
      return new CommandError(
        'no-space',
        `file too large: the file size limit (ulimit -f)${limit} stopped the writing${file}; ${kept} after raising it`,
        { cause: error },
      );
    }
    if (cause.systemCode === 'EDQUOT') {
      return new CommandError(
        'no-space',
        `disk quota exceeded in ${directory}${file}; ${kept} once there is room`,
        { cause: error },
      );
    }
    const space = await measureSpace(metainfo, directory).catch(() => undefined);
    const figures =
      space === undefined
        ? ''
        : `: ${formatBytes(space.free)} free, ${formatBytes(space.needed)} needed`;
    return new CommandError(
      'no-space',
      `disk full${figures} in ${directory}${file}; free some space, and ${kept}`,
      { cause: error },
    );
  }
  if (cause?.code === 'permission-denied' || cause?.code === 'file-missing') {
    const what =
      cause.code === 'permission-denied'
        ? `cannot write in ${directory}${file}: ${cause.systemCode === 'EROFS' ? 'read-only file system' : 'permission denied'}`
        : `a file of the torrent vanished from ${directory}${file}`;
    return new CommandError('storage-failed', `${what}; ${kept}`, { cause: error });
  }
  const detail =
    cause === undefined
      ? printable(String((error as Error).message ?? error))
      : printable(cause.message);
  return new CommandError('storage-failed', `disk error in ${directory}: ${detail}; ${kept}`, {
    cause: error,
  });
}
