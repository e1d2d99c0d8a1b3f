/**
 * Fast resume: a storage decorator that remembers which pieces were verified, and each file's
 * size and modification time when that was true, so the next start trusts them instead of
 * hashing the data again. The record is written only after the data it describes is flushed
 * (snapshot the verified set, flush, then stat the files), atomically (a temporary file renamed
 * over the old one), every `saveIntervalMs` while pieces arrive and on flush and close. On start,
 * if every file still has its recorded size and mtime, the recorded pieces are the answer; if any
 * file changed or went missing, the whole torrent is hashed as before. A piece written after the
 * last record changes its file's mtime, so a `kill -9` never leaves a piece marked complete that
 * is not on disk: at worst it is hashed (or fetched) again.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { filePathSegments } from '@bt/metainfo';
import { Bitfield } from '@bt/primitives';
import { partFileLayout } from '@bt/storage';
import type { StorageFactory, TorrentDescription, TorrentStorage } from './interfaces.js';

/** One torrent's resume record. */
export interface ResumeRecord {
  version: 1;
  pieceCount: number;
  /** The verified pieces, a BEP 3 bitfield in base64. */
  pieces: string;
  /** Per file (torrent order): its size and mtime (ms) when the record was written; null for padding. */
  files: ({ size: number; mtimeMs: number } | null)[];
  /** The part file's (file selection, `@bt/storage`), when the torrent has pieces shared by files. */
  parts?: { size: number; mtimeMs: number };
}

/** Where resume records are kept. */
export interface ResumeStore {
  load(infoHashHex: string): Promise<ResumeRecord | undefined>;
  save(infoHashHex: string, record: ResumeRecord): Promise<void>;
  forget(infoHashHex: string): Promise<void>;
}

/** Records as `<folder>/<info-hash>.resume` (JSON), written atomically. */
export function folderResumeStore(folder: string): ResumeStore {
  const path = (infoHashHex: string): string => join(folder, `${infoHashHex}.resume`);
  return {
    async load(infoHashHex) {
      try {
        const value: unknown = JSON.parse(await readFile(path(infoHashHex), 'utf8'));
        return isResumeRecord(value) ? value : undefined;
      } catch {
        return undefined;
      }
    },
    async save(infoHashHex, record) {
      await mkdir(folder, { recursive: true });
      const temporary = `${path(infoHashHex)}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(record));
      await rename(temporary, path(infoHashHex));
    },
    async forget(infoHashHex) {
      await rm(path(infoHashHex), { force: true });
    },
  };
}

function isResumeRecord(value: unknown): value is ResumeRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Partial<ResumeRecord>;
  return (
    record.version === 1 &&
    typeof record.pieceCount === 'number' &&
    typeof record.pieces === 'string' &&
    Array.isArray(record.files)
  );
}

export interface ResumableStorageOptions {
  /** The storage that holds the data (the session's default file storage when omitted). */
  storage: StorageFactory;
  store: ResumeStore;
  /** Milliseconds between records while pieces arrive. Default 5 000. */
  saveIntervalMs?: number;
  /** Told whether each start trusted its record (`resumed`) or hashed the data. */
  onRecheck?: (infoHashHex: string, how: 'resumed' | 'hashed') => void;
}

/** Wraps a storage factory with fast resume (see the module comment). */
export function resumableStorageFactory(options: ResumableStorageOptions): StorageFactory {
  return async (torrent, directory, open) =>
    new ResumableStorage(
      await options.storage(torrent, directory, open),
      torrent,
      directory,
      options,
    );
}

async function stateOf(path: string): Promise<{ size: number; mtimeMs: number }> {
  try {
    const info = await stat(path);
    return { size: info.size, mtimeMs: info.mtimeMs };
  } catch {
    return { size: -1, mtimeMs: 0 };
  }
}

/** The part file's state, for a torrent that may have one. */
async function partsState(
  torrent: TorrentDescription,
  directory: string,
): Promise<{ size: number; mtimeMs: number } | undefined> {
  const path = partFileLayout(torrent).path;
  return path === undefined ? undefined : stateOf(join(directory, ...path));
}

async function fileStates(
  torrent: TorrentDescription,
  directory: string,
): Promise<ResumeRecord['files']> {
  return Promise.all(
    torrent.files.map(async (file, index) =>
      file.padding ? null : stateOf(join(directory, ...filePathSegments(torrent, index))),
    ),
  );
}

class ResumableStorage implements TorrentStorage {
  private readonly inner: TorrentStorage;
  private readonly torrent: TorrentDescription;
  private readonly directory: string;
  private readonly options: ResumableStorageOptions;
  private readonly verified: Bitfield;
  private dirty = false;
  private saving: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    inner: TorrentStorage,
    torrent: TorrentDescription,
    directory: string,
    options: ResumableStorageOptions,
  ) {
    this.inner = inner;
    this.torrent = torrent;
    this.directory = directory;
    this.options = options;
    this.verified = new Bitfield(torrent.pieceCount);
    this.timer = setInterval(() => {
      if (this.dirty) void this.save().catch(() => undefined);
    }, options.saveIntervalMs ?? 5000);
    this.timer.unref?.();
  }

  writeBlock(
    pieceIndex: number,
    offset: number,
    bytes: Uint8Array,
    options?: { signal?: AbortSignal },
  ): ReturnType<TorrentStorage['writeBlock']> {
    return this.inner.writeBlock(pieceIndex, offset, bytes, options);
  }

  async verifyPiece(
    pieceIndex: number,
    options?: { signal?: AbortSignal },
  ): ReturnType<TorrentStorage['verifyPiece']> {
    const verdict = await this.inner.verifyPiece(pieceIndex, options);
    if (verdict.ok && this.verified.set(verdict.index)) this.dirty = true;
    return verdict;
  }

  readBlock(
    pieceIndex: number,
    offset: number,
    length: number,
    options?: { signal?: AbortSignal },
  ): Promise<Uint8Array> {
    return this.inner.readBlock(pieceIndex, offset, length, options);
  }

  releaseBlock(block: Uint8Array): void {
    this.inner.releaseBlock?.(block);
  }

  peekBlock(pieceIndex: number, offset: number, length: number): Uint8Array | undefined {
    return this.inner.peekBlock?.(pieceIndex, offset, length);
  }

  async setFileWanted(fileIndex: number, wanted: boolean): Promise<void> {
    await this.inner.setFileWanted?.(fileIndex, wanted);
  }

  async recheck(
    options?: Parameters<TorrentStorage['recheck']>[0],
  ): Promise<{ has(index: number): boolean }> {
    const trusted = await this.trustedRecord();
    const { infoHashHex } = this.torrent;
    if (trusted) {
      for (const index of trusted.indices()) this.verified.set(index);
      this.options.onRecheck?.(infoHashHex, 'resumed');
      return this.verified;
    }
    const result = await this.inner.recheck(options);
    for (let index = 0; index < this.torrent.pieceCount; index++)
      if (result.has(index)) this.verified.set(index);
    this.options.onRecheck?.(infoHashHex, 'hashed');
    this.dirty = true;
    await this.save().catch(() => undefined);
    return result;
  }

  /** The recorded pieces when every file still matches its record, else `undefined`. */
  private async trustedRecord(): Promise<Bitfield | undefined> {
    const record = await this.options.store.load(this.torrent.infoHashHex);
    if (!record || record.pieceCount !== this.torrent.pieceCount) return undefined;
    if (record.files.length !== this.torrent.files.length) return undefined;
    const now = await fileStates(this.torrent, this.directory);
    for (let index = 0; index < now.length; index++) {
      const then = record.files[index];
      const current = now[index];
      if (then === null || current === null || then === undefined || current === undefined) {
        if (then !== current) return undefined;
        continue;
      }
      if (then.size !== current.size || then.mtimeMs !== current.mtimeMs) return undefined;
    }
    // shared pieces of unselected files are read from the part file: it must be unchanged too
    const parts = await partsState(this.torrent, this.directory);
    if (parts !== undefined) {
      const then = record.parts ?? { size: -1, mtimeMs: 0 };
      if (then.size !== parts.size || then.mtimeMs !== parts.mtimeMs) return undefined;
    }
    try {
      return new Bitfield(this.torrent.pieceCount, Buffer.from(record.pieces, 'base64'));
    } catch {
      return undefined;
    }
  }

  /** Snapshot, flush, stat, write: the record never claims data that is not on disk. */
  private save(): Promise<void> {
    this.saving ??= (async () => {
      try {
        this.dirty = false;
        const pieces = Buffer.from(this.verified.toBytes()).toString('base64');
        await this.inner.flush();
        const files = await fileStates(this.torrent, this.directory);
        const parts = await partsState(this.torrent, this.directory);
        await this.options.store.save(this.torrent.infoHashHex, {
          version: 1,
          pieceCount: this.torrent.pieceCount,
          pieces,
          files,
          ...(parts === undefined ? {} : { parts }),
        });
      } finally {
        this.saving = undefined;
      }
    })();
    return this.saving;
  }

  async flush(): Promise<unknown> {
    await this.saving?.catch(() => undefined);
    if (this.dirty) await this.save();
    return this.inner.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.saving?.catch(() => undefined);
    if (this.dirty) await this.save().catch(() => undefined);
    await this.inner.close();
  }
}
