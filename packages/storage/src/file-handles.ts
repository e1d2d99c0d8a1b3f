/**
 * An open-file cache with a limit, so a torrent of 20,000 files does not run out of
 * descriptors. Least recently used handles nobody is using are closed first; a handle that was
 * written is fsynced before it is closed, so a checkpoint never misses data it was handed.
 */
import type { FileHandle } from 'node:fs/promises';

export type OpenMode = 'read' | 'write';

export interface CachedFile {
  readonly fileIndex: number;
  readonly handle: FileHandle;
  readonly writable: boolean;
  /** Written since the last fsync. */
  dirty: boolean;
  users: number;
  /** Set once the handle is being closed: it must not be handed out again. */
  closed: boolean;
  /**
   * A second descriptor of the file that writes past the OS cache (`O_DIRECT`), opened by the
   * storage on first use and given with `attachDirect`; `null` when the file system refused it.
   * Closed with the entry.
   */
  direct?: FileHandle | null;
}

export type FileOpener = (fileIndex: number, mode: OpenMode) => Promise<FileHandle>;

export class FileHandles {
  private readonly limit: number;
  private readonly opener: FileOpener;
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<number, CachedFile>();
  private readonly opening = new Map<string, Promise<CachedFile>>();
  private readonly retired = new Set<CachedFile>();
  /** Direct descriptors open (each counts against the limit too). */
  private directs = 0;

  constructor(limit: number, opener: FileOpener) {
    this.limit = Math.max(1, limit);
    this.opener = opener;
  }

  /** Number of open descriptors (an entry with a direct descriptor counts twice). */
  get size(): number {
    return this.entries.size + this.retired.size + this.directs;
  }

  /** Gives an entry its direct descriptor (once); it is closed with the entry. */
  attachDirect(entry: CachedFile, handle: FileHandle): void {
    entry.direct = handle;
    this.directs++;
  }

  /** A handle for the file, opened for writing when `mode` is `write`. Call `release` after use. */
  async acquire(fileIndex: number, mode: OpenMode): Promise<CachedFile> {
    for (;;) {
      const cached = this.entries.get(fileIndex);
      if (cached !== undefined && !cached.closed && (cached.writable || mode === 'read')) {
        this.entries.delete(fileIndex);
        this.entries.set(fileIndex, cached);
        cached.users++;
        return cached;
      }
      const entry = await this.open(fileIndex, mode);
      // Evicted between its opening and our turn (another caller made room): open again.
      if (entry.closed) continue;
      entry.users++;
      await this.evict();
      return entry;
    }
  }

  private open(fileIndex: number, mode: OpenMode): Promise<CachedFile> {
    const key = `${fileIndex}:${mode}`;
    let pending = this.opening.get(key);
    if (pending === undefined) {
      pending = (async () => {
        try {
          const handle = await this.opener(fileIndex, mode);
          const entry: CachedFile = {
            fileIndex,
            handle,
            writable: mode === 'write',
            dirty: false,
            users: 0,
            closed: false,
          };
          const previous = this.entries.get(fileIndex);
          if (previous !== undefined) {
            this.entries.delete(fileIndex);
            this.retired.add(previous);
            void this.closeIdle(previous).catch(() => undefined);
          }
          this.entries.set(fileIndex, entry);
          return entry;
        } finally {
          this.opening.delete(key);
        }
      })();
      this.opening.set(key, pending);
    }
    return pending;
  }

  async release(entry: CachedFile): Promise<void> {
    entry.users--;
    if (this.retired.has(entry)) await this.closeIdle(entry);
    else await this.evict();
  }

  /** All handles currently open for writing. */
  writable(): CachedFile[] {
    return [...this.entries.values()].filter((entry) => entry.writable);
  }

  /** Forgets a handle (e.g. its file was deleted) and closes it once unused. */
  async drop(entry: CachedFile): Promise<void> {
    if (this.entries.get(entry.fileIndex) === entry) this.entries.delete(entry.fileIndex);
    this.retired.add(entry);
    await this.closeIdle(entry);
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values(), ...this.retired];
    this.entries.clear();
    this.retired.clear();
    await Promise.allSettled(all.map((entry) => this.closeEntry(entry)));
  }

  private async evict(): Promise<void> {
    if (this.size <= this.limit) return;
    for (const entry of [...this.entries.values()]) {
      if (this.size <= this.limit) return;
      // Skip busy handles, and ones another eviction already took (the key may hold a newer one).
      if (entry.users > 0 || entry.closed || this.entries.get(entry.fileIndex) !== entry) continue;
      this.entries.delete(entry.fileIndex);
      await this.closeEntry(entry);
    }
  }

  private async closeIdle(entry: CachedFile): Promise<void> {
    if (entry.users > 0) return;
    this.retired.delete(entry);
    await this.closeEntry(entry);
  }

  private async closeEntry(entry: CachedFile): Promise<void> {
    if (entry.closed) return;
    entry.closed = true;
    try {
      if (entry.dirty) {
        entry.dirty = false;
        await entry.handle.sync();
      }
    } finally {
      const direct = entry.direct;
      entry.direct = null;
      if (direct) this.directs--;
      await Promise.allSettled([entry.handle.close(), direct?.close()]);
    }
  }
}
