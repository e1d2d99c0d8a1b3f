/**
 * The default storage: the torrent's files in a download folder (the parent of the torrent's
 * name, BEP 3). Folders are created on demand, zero-length files at start, BEP 47 padding files
 * never; every path is checked to stay inside the folder, and a symbolic link pointing outside
 * it is never followed for writing (folders are walked one level at a time, files are opened
 * with O_NOFOLLOW). Open descriptors are bounded by an LRU cache; recheck reads and hashes in
 * the worker pool.
 *
 * Durability policy: a verified piece is written with `pwrite` before it is reported complete,
 * so it survives the process being killed; every `flush()` (automatic checkpoint every
 * `checkpointInterval` ms, and `close()`) fsyncs the files written since, so it also survives
 * a power cut from then on. A file deleted while open is noticed at the next checkpoint (link
 * count 0): its pieces stop counting as complete and a `file-missing` error is raised.
 */
import { constants } from 'node:fs';
import { mkdir, open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  filePathSegments,
  filesInPiece,
  type PieceFileRange,
  type PieceHashFunction,
  pieceSize,
  piecesOfFile,
} from '@bt/metainfo';
import { rethrowPoolError, StorageError, toStorageError } from './errors.js';
import { type CachedFile, FileHandles, type OpenMode } from './file-handles.js';
import {
  createHashPool,
  type HashPool,
  type HashPoolOptions,
  type PieceCheck,
  type PieceCheckResult,
} from '@bt/metainfo/node';
import { type TorrentLayout, validateLayout, verificationOf } from './layout.js';
import { type PartFileLayout, partFileLayout, partFileOffset } from './part-file.js';
import { ensureFolders, isInside } from './path-safety.js';
import { DIRECT_ALIGNMENT } from './piece-arena.js';
import { PieceStorage } from './piece-storage.js';
import type { StorageBackend } from './storage.js';

export interface FileStorageOptions {
  layout: TorrentLayout;
  /** The download folder: the torrent's name is created inside it. */
  directory: string;
  /** A shared hash pool; by default the storage starts (and closes) its own. */
  hashPool?: HashPool;
  /** Options of the pool the storage starts when `hashPool` is not given. */
  hashPoolOptions?: HashPoolOptions;
  /** Never create or write anything (for `bt verify`). Default false. */
  readOnly?: boolean;
  /**
   * File selection: per file, whether it is wanted (all when absent). A file not wanted that
   * does not exist is not created; its bytes in pieces shared with wanted files go to the part
   * file (`part-file.ts`). A wanted file missing on disk gets its bytes back from the part file.
   * With `readOnly`, every missing file is read from the part file.
   */
  wantedFiles?: readonly boolean[];
  /** Most files open at once. Default 128. */
  maxOpenFiles?: number;
  /** Bytes of memory for partial pieces. Default 64 MiB. */
  cacheSize?: number;
  /**
   * Bytes of verified pieces kept in memory for uploads, read in windows of up to 1 MiB so a
   * peer's requests for the blocks of a piece cost one read. Default 32 MiB; 0 disables.
   */
  readCacheSize?: number;
  /** Milliseconds between automatic checkpoints. Default 10 000; 0 disables them. */
  checkpointInterval?: number;
  /** Bytes of verified data after which a background checkpoint starts. Default 64 MiB; 0 disables. */
  checkpointBytes?: number;
  /** Bytes of piece data per recheck job sent to a worker. Default 4 MiB. */
  recheckBatchSize?: number;
  /**
   * Write verified pieces past the OS page cache (`O_DIRECT`) where the file system allows it
   * and the piece lies on 4 KiB boundaries; the rest of a piece (a file's unaligned start or
   * end) goes through the cache. It saves the copy into the cache (and, on virtual machines,
   * the cost of fresh cache pages), keeps torrent data from pushing other programs' files out of
   * memory, and a written piece is on the device, not only in memory. Seeding then reads from
   * the disk. Default true; false writes everything through the cache.
   */
  directWrites?: boolean;
}

class FileBackend implements StorageBackend {
  private readonly layout: TorrentLayout;
  private readonly root: string;
  private readonly pool: HashPool;
  private readonly handles: FileHandles;
  private readonly readOnly: boolean;
  private readonly batchSize: number;
  /** Cleared when the file system refuses writes past the cache. */
  private directWrites: boolean;
  /** Where each file opened for writing was found to be (its folders resolved). */
  private readonly targets = new Map<number, string>();
  private readonly folders = new Map<string, Promise<string>>();
  /** Folders that gained entries since the last checkpoint. */
  private readonly dirtyFolders = new Set<string>();
  /** Where the bytes of unwanted files in shared pieces go. */
  private readonly parts: PartFileLayout;
  /** The part file's index in the open-file cache (one past the last file). */
  private readonly partIndex: number;
  /** Files kept in the part file (unwanted, never created). */
  private readonly parted = new Set<number>();
  /**
   * Files written or found on disk: never parted again. A write marks its files before its first
   * `await`, so a file is never parted while a write to it is on its way.
   */
  private readonly inPlace = new Set<number>();
  /** Serializes what moves files in and out of the part file, and writes that touch parted files. */
  private partQueue: Promise<void> = Promise.resolve();

  constructor(layout: TorrentLayout, root: string, pool: HashPool, options: FileStorageOptions) {
    this.layout = layout;
    this.root = root;
    this.pool = pool;
    this.readOnly = options.readOnly ?? false;
    this.batchSize = options.recheckBatchSize ?? 4 * 1024 * 1024;
    this.directWrites = (options.directWrites ?? true) && !this.readOnly;
    this.handles = new FileHandles(options.maxOpenFiles ?? 128, (fileIndex, mode) =>
      this.openFile(fileIndex, mode),
    );
    this.parts = partFileLayout(layout);
    this.partIndex = layout.files.length;
  }

  /** Path segments of a file (or of the part file) relative to the download folder. */
  private segments(fileIndex: number): string[] {
    if (fileIndex === this.partIndex) return this.parts.path ?? [this.layout.name];
    return filePathSegments(this.layout, fileIndex);
  }

  /** Path of a file relative to the download folder, for messages. */
  shownPath(fileIndex: number): string {
    return this.segments(fileIndex).join('/');
  }

  absolutePath(fileIndex: number): string {
    return join(this.root, ...this.segments(fileIndex));
  }

  private async exists(fileIndex: number): Promise<boolean> {
    try {
      await stat(this.absolutePath(fileIndex));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Sorts the files into those in place and those in the part file, creates the wanted
   * zero-length files and moves wanted files' bytes out of the part file.
   */
  async open(wantedFiles: readonly boolean[] | undefined): Promise<void> {
    if (this.readOnly) this.parted.clear();
    const partExists = this.parts.path !== undefined && (await this.exists(this.partIndex));
    for (let fileIndex = 0; fileIndex < this.layout.files.length; fileIndex++) {
      const file = this.layout.files[fileIndex];
      if (file === undefined || file.padding === true) continue;
      const wanted = wantedFiles?.[fileIndex] ?? true;
      if (await this.exists(fileIndex)) {
        this.inPlace.add(fileIndex);
        continue;
      }
      if (this.readOnly || !wanted) {
        if (file.length > 0) this.parted.add(fileIndex);
        continue;
      }
      if (file.length === 0) {
        const handle = await this.openFile(fileIndex, 'write');
        await handle.close();
        this.inPlace.add(fileIndex);
      } else if (partExists) {
        this.parted.add(fileIndex);
        await this.unpart(fileIndex);
      }
    }
  }

  /** Runs `task` alone among the part file's movers. */
  private withParts<T>(task: () => Promise<T>): Promise<T> {
    const run = this.partQueue.then(task);
    this.partQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** A file is wanted again (bytes moved into place) or no longer (parted if never written). */
  setFileWanted(fileIndex: number, wanted: boolean): Promise<void> {
    const file = this.layout.files[fileIndex];
    if (file === undefined || file.padding === true || this.readOnly) return Promise.resolve();
    return this.withParts(async () => {
      if (!wanted) {
        if (!this.inPlace.has(fileIndex) && file.length > 0) this.parted.add(fileIndex);
        return;
      }
      if (this.parted.has(fileIndex)) await this.unpart(fileIndex);
      else if (file.length === 0 && !this.inPlace.has(fileIndex)) {
        const handle = await this.openFile(fileIndex, 'write');
        await handle.close();
        this.inPlace.add(fileIndex);
      }
    });
  }

  /** Copies a parted file's bytes out of the part file's slots into the file (created). Call with the part queue held. */
  private async unpart(fileIndex: number): Promise<void> {
    const range = piecesOfFile(this.layout, fileIndex);
    const entry = await this.acquire(fileIndex, 'write', range?.first ?? 0);
    try {
      for (const piece of range === undefined ? [] : new Set([range.first, range.last])) {
        const offset = partFileOffset(this.parts, piece, 0);
        if (offset === undefined) continue;
        for (const span of filesInPiece(this.layout, piece)) {
          if (span.fileIndex !== fileIndex) continue;
          const bytes = new Uint8Array(span.length);
          const { bytesRead } = await this.readPart(offset + span.pieceOffset, bytes, piece);
          if (bytesRead === 0) continue;
          await this.writeAll(
            entry,
            bytes.subarray(0, bytesRead),
            span.fileOffset,
            fileIndex,
            piece,
          );
        }
      }
      entry.dirty = true;
    } finally {
      await this.handles.release(entry);
    }
    this.parted.delete(fileIndex);
    this.inPlace.add(fileIndex);
  }

  /** Reads from the part file; nothing when it does not exist (no shared piece was stored yet). */
  private async readPart(
    position: number,
    into: Uint8Array,
    pieceIndex: number,
  ): Promise<{ bytesRead: number }> {
    if (!(await this.exists(this.partIndex))) return { bytesRead: 0 };
    const entry = await this.acquire(this.partIndex, 'read', pieceIndex);
    try {
      let done = 0;
      while (done < into.length) {
        const { bytesRead } = await entry.handle.read(
          into,
          done,
          into.length - done,
          position + done,
        );
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return { bytesRead: done };
    } finally {
      await this.handles.release(entry);
    }
  }

  private async writeAll(
    entry: CachedFile,
    bytes: Uint8Array,
    position: number,
    fileIndex: number,
    pieceIndex: number,
  ): Promise<void> {
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await entry.handle.write(
          bytes,
          done,
          bytes.length - done,
          position + done,
        );
        if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
        done += bytesWritten;
      }
    } catch (error) {
      throw toStorageError(error, { path: this.shownPath(fileIndex), pieceIndex, action: 'write' });
    }
  }

  /**
   * Where each span of a piece goes: its file, or the part file's slot for a parted file;
   * `undefined` for a parted file's span outside any slot (the piece cannot be stored there).
   */
  private place(
    pieceIndex: number,
    spans: readonly PieceFileRange[],
  ): (PieceFileRange | undefined)[] {
    return spans.map((span) => {
      if (!this.parted.has(span.fileIndex)) return span;
      const offset = partFileOffset(this.parts, pieceIndex, span.pieceOffset);
      return offset === undefined
        ? undefined
        : { ...span, fileIndex: this.partIndex, fileOffset: offset };
    });
  }

  /**
   * Runs a write of a piece's spans: at once when none is parted (the files are marked in place
   * first), else in the part queue, after a parted file with no slot for the piece is put in
   * place (its piece was asked for while it was wanted).
   */
  private placedWrite<T>(
    pieceIndex: number,
    spans: readonly PieceFileRange[],
    run: (placed: PieceFileRange[]) => Promise<T>,
  ): Promise<T> {
    if (!spans.some((span) => this.parted.has(span.fileIndex))) {
      for (const span of spans) this.inPlace.add(span.fileIndex);
      return run([...spans]);
    }
    return this.withParts(async () => {
      for (const span of spans)
        if (
          this.parted.has(span.fileIndex) &&
          partFileOffset(this.parts, pieceIndex, 0) === undefined
        )
          await this.unpart(span.fileIndex);
      const placed = this.place(pieceIndex, spans).filter((span) => span !== undefined);
      for (const span of placed)
        if (span.fileIndex !== this.partIndex) this.inPlace.add(span.fileIndex);
      return run(placed);
    });
  }

  private async openFile(fileIndex: number, mode: OpenMode): Promise<FileHandle> {
    const shown = this.shownPath(fileIndex);
    if (mode === 'read') {
      try {
        return await open(this.absolutePath(fileIndex), constants.O_RDONLY);
      } catch (error) {
        throw toStorageError(error, { path: shown, action: 'open' });
      }
    }
    if (this.readOnly)
      throw new StorageError('permission-denied', `read-only storage: cannot write ${shown}`, {
        path: shown,
      });
    const segments = this.segments(fileIndex);
    const folderKey = segments.slice(0, -1).join('/');
    let folder = this.folders.get(folderKey);
    if (folder === undefined) {
      folder = ensureFolders(this.root, segments.slice(0, -1), (created) =>
        this.dirtyFolders.add(created),
      );
      this.folders.set(folderKey, folder);
      folder.catch(() => this.folders.delete(folderKey));
    }
    const parent = await folder;
    const target = join(parent, segments[segments.length - 1] as string);
    if (!isInside(this.root, target)) {
      throw new StorageError('unsafe-path', `${shown} leads outside the download folder`, {
        path: shown,
      });
    }
    this.targets.set(fileIndex, target);
    try {
      const flags = constants.O_RDWR | constants.O_NOFOLLOW;
      try {
        const created = await open(target, flags | constants.O_CREAT | constants.O_EXCL, 0o666);
        // A new directory entry: the folder is fsynced at the next checkpoint.
        this.dirtyFolders.add(parent);
        return created;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
        return await open(target, flags);
      }
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ELOOP') {
        throw new StorageError(
          'unsafe-path',
          `${shown} is a symbolic link: not followed for writing`,
          {
            path: shown,
            cause: error,
          },
        );
      }
      throw toStorageError(error, { path: shown, action: 'open' });
    }
  }

  async write(pieceIndex: number, pieceOffset: number, bytes: Uint8Array): Promise<void> {
    const all = filesInPiece(this.layout, pieceIndex, pieceOffset, bytes.length).filter(
      (span) => this.layout.files[span.fileIndex]?.padding !== true,
    );
    await this.placedWrite(pieceIndex, all, (spans) =>
      this.writeSpans(pieceIndex, pieceOffset, bytes, spans),
    );
  }

  private async writeSpans(
    pieceIndex: number,
    pieceOffset: number,
    bytes: Uint8Array,
    spans: readonly PieceFileRange[],
  ): Promise<void> {
    await Promise.all(
      spans.map(async (span) => {
        const entry = await this.acquire(span.fileIndex, 'write', pieceIndex);
        try {
          const start = span.pieceOffset - pieceOffset;
          await this.writeAll(
            entry,
            bytes.subarray(start, start + span.length),
            span.fileOffset,
            span.fileIndex,
            pieceIndex,
          );
          entry.dirty = true;
        } finally {
          await this.handles.release(entry);
        }
      }),
    );
  }

  /** Hash and write in one worker job, with descriptors pinned in the open-file cache meanwhile. */
  /**
   * The entry's descriptor for writing past the OS cache, opened on first use; -1 when direct
   * writes are off or the file system refuses them (then they stay off for this storage).
   */
  private async directDescriptor(entry: CachedFile): Promise<number> {
    if (!this.directWrites || entry.direct === null) return -1;
    if (entry.direct !== undefined) return entry.direct.fd;
    const target = this.targets.get(entry.fileIndex);
    if (target === undefined) return -1;
    try {
      const handle = await open(
        target,
        constants.O_WRONLY | constants.O_NOFOLLOW | (constants.O_DIRECT ?? 0),
      );
      if (entry.closed || constants.O_DIRECT === undefined) {
        await handle.close();
        if (constants.O_DIRECT === undefined) this.directWrites = false;
        return -1;
      }
      // another piece of the same file may have opened one meanwhile: keep the first
      const current = entry.direct as FileHandle | null | undefined;
      if (current !== undefined) {
        await handle.close();
        return current === null ? -1 : current.fd;
      }
      this.handles.attachDirect(entry, handle);
      return handle.fd;
    } catch {
      // EINVAL from a file system without O_DIRECT (tmpfs on older kernels, some FUSE mounts)
      entry.direct = null;
      this.directWrites = false;
      return -1;
    }
  }

  async writeVerified(
    pieceIndex: number,
    bytes: Uint8Array,
    expected: Uint8Array,
    options: { signal?: AbortSignal; alignedMemory?: boolean; hash?: PieceHashFunction } = {},
  ): Promise<boolean> {
    const all = filesInPiece(this.layout, pieceIndex, 0, bytes.length).filter(
      (span) => this.layout.files[span.fileIndex]?.padding !== true,
    );
    return this.placedWrite(pieceIndex, all, (spans) =>
      this.writeVerifiedSpans(pieceIndex, bytes, expected, spans, options),
    );
  }

  private async writeVerifiedSpans(
    pieceIndex: number,
    bytes: Uint8Array,
    expected: Uint8Array,
    spans: readonly PieceFileRange[],
    options: { signal?: AbortSignal; alignedMemory?: boolean; hash?: PieceHashFunction },
  ): Promise<boolean> {
    const entries: CachedFile[] = [];
    try {
      for (const span of spans)
        entries.push(await this.acquire(span.fileIndex, 'write', pieceIndex));
      const direct: number[] = [];
      for (let index = 0; index < spans.length; index++) {
        const span = spans[index] as (typeof spans)[number];
        // only a range with at least one aligned 4 KiB block in the middle is worth a descriptor
        const skip = (DIRECT_ALIGNMENT - (span.fileOffset % DIRECT_ALIGNMENT)) % DIRECT_ALIGNMENT;
        const linesUp =
          options.alignedMemory === true &&
          skip + DIRECT_ALIGNMENT <= span.length &&
          (bytes.byteOffset + span.pieceOffset + skip) % DIRECT_ALIGNMENT === 0;
        direct.push(linesUp ? await this.directDescriptor(entries[index] as CachedFile) : -1);
      }
      const result = await this.pool
        .hashAndWrite(
          bytes,
          expected,
          spans.map((span, index) => [
            (entries[index] as CachedFile).handle.fd,
            span.pieceOffset,
            span.length,
            span.fileOffset,
            direct[index] as number,
          ]),
          options,
        )
        .catch(rethrowPoolError);
      if (result.directRefused === true) this.directWrites = false;
      if (result.writeError !== undefined) {
        const span = spans[result.writeIndex ?? 0];
        throw toStorageError(
          Object.assign(new Error(result.writeError), { code: result.writeError }),
          {
            path: span === undefined ? undefined : this.shownPath(span.fileIndex),
            pieceIndex,
            action: 'write',
          },
        );
      }
      if (result.ok) for (const entry of entries) entry.dirty = true;
      return result.ok;
    } finally {
      for (const entry of entries) await this.handles.release(entry);
    }
  }

  async read(
    pieceIndex: number,
    pieceOffset: number,
    length: number,
    into?: Uint8Array,
  ): Promise<Uint8Array> {
    const result = into?.subarray(0, length) ?? new Uint8Array(length);
    const spans = filesInPiece(this.layout, pieceIndex, pieceOffset, length);
    const placed = this.place(pieceIndex, spans);
    await Promise.all(
      spans.map(async (original, index) => {
        const span = placed[index];
        if (span === undefined) {
          const shown = this.shownPath(original.fileIndex);
          throw new StorageError('file-missing', `${shown} is not downloaded (not selected)`, {
            path: shown,
            pieceIndex,
          });
        }
        if (this.layout.files[original.fileIndex]?.padding === true) {
          // BEP 47: padding reads as zeros (the memory may be reused)
          const start = span.pieceOffset - pieceOffset;
          result.fill(0, start, start + span.length);
          return;
        }
        const entry = await this.acquire(span.fileIndex, 'read', pieceIndex);
        const shown = this.shownPath(span.fileIndex);
        try {
          let done = 0;
          const start = span.pieceOffset - pieceOffset;
          while (done < span.length) {
            const { bytesRead } = await entry.handle.read(
              result,
              start + done,
              span.length - done,
              span.fileOffset + done,
            );
            if (bytesRead === 0) {
              throw new StorageError('file-missing', `${shown} is shorter than the torrent says`, {
                path: shown,
                pieceIndex,
              });
            }
            done += bytesRead;
          }
        } catch (error) {
          throw toStorageError(error, { path: shown, pieceIndex, action: 'read' });
        } finally {
          await this.handles.release(entry);
        }
      }),
    );
    return result;
  }

  private async acquire(
    fileIndex: number,
    mode: OpenMode,
    pieceIndex: number,
  ): Promise<CachedFile> {
    try {
      return await this.handles.acquire(fileIndex, mode);
    } catch (error) {
      throw toStorageError(error, { path: this.shownPath(fileIndex), pieceIndex, action: 'open' });
    }
  }

  async check(
    indices: number[],
    options: { signal?: AbortSignal; onResults?: (results: PieceCheckResult[]) => void },
  ): Promise<PieceCheckResult[]> {
    const batches: PieceCheck[][] = [];
    let batch: PieceCheck[] = [];
    let batchBytes = 0;
    // read-only (bt verify): a file missing now is looked for in the part file
    if (this.readOnly) await this.open(undefined);
    // a piece with bytes of a parted file outside the part file's slots is not stored
    const absent: PieceCheckResult[] = [];
    for (const index of indices) {
      const spans = filesInPiece(this.layout, index);
      const placed = this.place(index, spans);
      if (placed.some((span) => span === undefined)) {
        absent.push({ index, status: 'missing' });
        continue;
      }
      const parts: PieceCheck['parts'] = placed.map((span, at) => [
        this.layout.files[(spans[at] as (typeof spans)[number]).fileIndex]?.padding === true
          ? null
          : this.absolutePath((span as NonNullable<typeof span>).fileIndex),
        (span as NonNullable<typeof span>).fileOffset,
        (span as NonNullable<typeof span>).length,
      ]);
      const { expected, hash } = verificationOf(this.layout, index);
      batch.push({ index, expected, parts, hash });
      batchBytes += pieceSize(this.layout, index);
      if (batchBytes >= this.batchSize) {
        batches.push(batch);
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) batches.push(batch);
    const controller = new AbortController();
    const signal =
      options.signal === undefined
        ? controller.signal
        : AbortSignal.any([options.signal, controller.signal]);
    try {
      const all = await Promise.all(
        batches.map(async (pieces) => {
          const results = await this.pool.checkPieces(pieces, { signal }).catch(rethrowPoolError);
          if (results.some((result) => result.status === 'error')) {
            const failed = results.find((result) => result.status === 'error') as PieceCheckResult;
            throw new StorageError(
              failed.errorCode === 'EACCES' || failed.errorCode === 'EPERM'
                ? 'permission-denied'
                : 'io-failed',
              `cannot read piece ${failed.index} from ${failed.errorPath ?? 'a file'}: ${failed.errorCode ?? 'error'}`,
              { pieceIndex: failed.index, systemCode: failed.errorCode, path: failed.errorPath },
            );
          }
          options.onResults?.(results);
          return results;
        }),
      );
      if (absent.length > 0) options.onResults?.(absent);
      return [...all.flat(), ...absent];
    } catch (error) {
      controller.abort(error);
      throw error;
    }
  }

  async flush(): Promise<number[]> {
    const lost: number[] = [];
    // Pin every handle first so none is evicted (closed) while we go through them.
    const entries = this.handles.writable();
    for (const entry of entries) entry.users++;
    const deleted = new Set<CachedFile>();
    try {
      for (const entry of entries) {
        try {
          const stats = await entry.handle.stat();
          if (stats.nlink === 0) {
            deleted.add(entry);
            entry.dirty = false;
            if (entry.fileIndex === this.partIndex) {
              lost.push(...this.parts.slots.keys());
            } else {
              const range = piecesOfFile(this.layout, entry.fileIndex);
              if (range !== undefined)
                for (let index = range.first; index <= range.last; index++) lost.push(index);
            }
          } else if (entry.dirty) {
            entry.dirty = false;
            await entry.handle.sync();
          }
        } catch (error) {
          entry.dirty = true;
          throw toStorageError(error, { path: this.shownPath(entry.fileIndex), action: 'flush' });
        }
      }
    } finally {
      for (const entry of entries) {
        if (deleted.has(entry)) {
          entry.users--;
          await this.handles.drop(entry);
        } else {
          await this.handles.release(entry);
        }
      }
    }
    for (const folder of [...this.dirtyFolders]) {
      this.dirtyFolders.delete(folder);
      try {
        const handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY);
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        // A folder removed since is not ours to report here; anything else is.
        if ((error as { code?: unknown }).code !== 'ENOENT') {
          this.dirtyFolders.add(folder);
          throw toStorageError(error, { path: folder, action: 'flush folder' });
        }
      }
    }
    return lost;
  }

  async close(): Promise<void> {
    await this.handles.closeAll();
  }
}

/** Opens (creating it unless `readOnly`) the download folder and returns a file-system `Storage`. */
export async function createFileStorage(options: FileStorageOptions): Promise<PieceStorage> {
  const layout = options.layout;
  validateLayout(layout);
  const directory = resolve(options.directory);
  if (options.readOnly !== true) {
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      throw toStorageError(error, { path: directory, action: 'create folder' });
    }
  }
  let root: string;
  try {
    root = await realpath(directory);
  } catch (error) {
    throw toStorageError(error, { path: directory, action: 'open folder' });
  }
  const ownsPool = options.hashPool === undefined;
  const pool = options.hashPool ?? createHashPool(options.hashPoolOptions);
  const backend = new FileBackend(layout, root, pool, options);
  try {
    await backend.open(options.wantedFiles);
  } catch (error) {
    await backend.close();
    if (ownsPool) await pool.close();
    throw error;
  }
  return new PieceStorage({
    layout,
    backend,
    pool,
    ownsPool,
    cacheSize: options.cacheSize,
    readCacheSize: options.readCacheSize,
    checkpointInterval: options.checkpointInterval,
    checkpointBytes: options.checkpointBytes,
  });
}
