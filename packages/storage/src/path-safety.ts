/**
 * Keeping every file inside the download folder. The segment rule of @bt/metainfo is checked
 * again here (a layout may come from elsewhere), and folders are created one level at a time so
 * a symbolic link inside the folder that points outside it is never followed for writing.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { StorageError, toStorageError } from './errors.js';

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * True when `segment` is a plain file or folder name: not empty, not `.` or `..`, no separator
 * (`/` or `\`), no NUL or other control character, not a Windows drive (`C:`) or device name.
 */
export function isSafeSegment(segment: string): boolean {
  if (typeof segment !== 'string' || segment.length === 0 || segment === '.' || segment === '..')
    return false;
  if (segment.length > 255) return false;
  for (let index = 0; index < segment.length; index++) {
    const code = segment.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return false;
  }
  if (segment.includes('/') || segment.includes('\\')) return false;
  if (/^[a-z]:/i.test(segment)) return false;
  if (WINDOWS_RESERVED.test(segment)) return false;
  return true;
}

/** True when `child` is `parent` or lies below it (both absolute, resolved). */
export function isInside(parent: string, child: string): boolean {
  const path = relative(parent, child);
  return path === '' || (!path.startsWith(`..${sep}`) && path !== '..' && !isAbsolute(path));
}

/**
 * Creates (or checks) the folders `segments` below `root`, one level at a time, and returns the
 * real path of the last one. An existing symbolic link is accepted only when it resolves inside
 * the real root and to a folder.
 */
export async function ensureFolders(
  realRoot: string,
  segments: readonly string[],
  onCreated?: (parent: string) => void,
): Promise<string> {
  let current = realRoot;
  for (const segment of segments) {
    if (!isSafeSegment(segment)) {
      throw new StorageError('unsafe-path', `unsafe path segment ${JSON.stringify(segment)}`);
    }
    current = join(current, segment);
    const shown = relative(realRoot, current);
    let stats;
    try {
      stats = await lstat(current);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT')
        throw toStorageError(error, { path: shown, action: 'inspect' });
      try {
        await mkdir(current);
        onCreated?.(dirname(current));
      } catch (mkdirError) {
        if ((mkdirError as { code?: unknown }).code !== 'EEXIST') {
          throw toStorageError(mkdirError, { path: shown, action: 'create folder' });
        }
      }
      stats = await lstat(current);
    }
    if (stats.isSymbolicLink()) {
      const target = await realpath(current).catch((error: unknown) => {
        throw toStorageError(error, { path: shown, action: 'resolve' });
      });
      if (!isInside(realRoot, target)) {
        throw new StorageError(
          'unsafe-path',
          `${shown} is a symbolic link leading outside the download folder`,
          {
            path: shown,
          },
        );
      }
      stats = await lstat(target);
      current = target;
    }
    if (!stats.isDirectory()) {
      throw new StorageError('unsafe-path', `${shown} is not a folder`, { path: shown });
    }
  }
  return current;
}
