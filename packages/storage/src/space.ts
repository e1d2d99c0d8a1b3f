/**
 * Disk space for a torrent's content, asked before a download starts and again when a write
 * fails for want of space: how many bytes the content still needs in a folder (its files'
 * lengths less what is already allocated there), how many the disk has free for us, and the
 * process's file size limit when one is set.
 */
import { lstat, readFile, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { filePathSegments } from '@bt/metainfo';
import type { TorrentLayout } from './layout.js';

export interface SpaceReport {
  /** Bytes the content still needs: every file's length less what is allocated on disk. */
  needed: number;
  /** Bytes free for an unprivileged writer on the disk holding the folder (or its nearest existing parent). */
  free: number;
  /** The largest file this process may write (`ulimit -f`, Linux), when a limit is set. */
  fileSizeLimit?: number;
  /** The length of the torrent's largest file. */
  largestFile: number;
}

/** Measures what `layout` still needs under `directory` and what the disk there has free. */
export async function measureSpace(
  layout: TorrentLayout,
  directory: string,
  /** File selection: files not wanted are not counted (their shared pieces' bytes are small). */
  wantedFiles?: readonly boolean[],
): Promise<SpaceReport> {
  const root = resolve(directory);
  let needed = 0;
  let largestFile = 0;
  for (let fileIndex = 0; fileIndex < layout.files.length; fileIndex++) {
    const file = layout.files[fileIndex]!;
    if (file.padding === true || file.length === 0 || wantedFiles?.[fileIndex] === false) continue;
    largestFile = Math.max(largestFile, file.length);
    let allocated = 0;
    try {
      const stats = await lstat(join(root, ...filePathSegments(layout, fileIndex)));
      // a sparse file holds only what was written; a symbolic link is never written through
      if (stats.isFile()) allocated = Math.min(file.length, stats.blocks * 512);
    } catch {
      // not there yet: all of it is needed
    }
    needed += file.length - allocated;
  }
  const fileSizeLimit = await readFileSizeLimit();
  return {
    needed,
    free: await freeBytes(root),
    largestFile,
    ...(fileSizeLimit === undefined ? {} : { fileSizeLimit }),
  };
}

async function freeBytes(directory: string): Promise<number> {
  let current = directory;
  for (;;) {
    try {
      const stats = await statfs(current);
      return stats.bavail * stats.bsize;
    } catch (error) {
      const parent = dirname(current);
      if (parent === current) throw error;
      current = parent;
    }
  }
}

/** The soft RLIMIT_FSIZE from /proc/self/limits; undefined when unlimited or unknown. */
async function readFileSizeLimit(): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const match = /^Max file size\s+(\S+)/m.exec(text);
  if (!match || match[1] === 'unlimited') return undefined;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : undefined;
}
