/**
 * Reading a file of a torrent while it downloads (`Torrent.createReadStream`): a Node
 * `Readable` over the file's bytes from `start` to `end`. A read waits for its piece (the
 * torrent's `piece-verified` event, never a timer); the piece at the reader's position and the
 * ones just ahead get deadlines (`piece-deadlines.ts`), so they are picked first, from the
 * fastest peers. Backpressure is the stream's own: nothing is read from the storage before the
 * consumer asks, and a paused reader keeps its deadlines. A reader that ends or is destroyed
 * releases them. `fileEndsFirst` gives the first and last pieces of a file deadlines (media
 * containers read their ends before anything else).
 */
import { Readable } from 'node:stream';
import type { Clock } from './clock.js';
import { SessionError } from './errors.js';
import type { TorrentEventMap, TorrentState } from './events.js';
import type { TorrentDescription, TorrentStorage } from './interfaces.js';
import type { DeadlineOwner, PieceDeadlines, UrgentPiece } from './piece-deadlines.js';

/** What a stream needs of a torrent (`Torrent` is one). */
export interface StreamableTorrent {
  readonly description: TorrentDescription;
  readonly storage: TorrentStorage;
  readonly deadlines: PieceDeadlines;
  readonly clock: Clock;
  readonly state: TorrentState;
  hasPiece(piece: number): boolean;
  /** The deadlines changed: ask the fastest peers now. */
  deadlinesChanged(): void;
  on<K extends keyof TorrentEventMap>(
    type: K,
    listener: (event: TorrentEventMap[K]) => void,
  ): () => void;
}

export interface FileReadStreamOptions {
  /** First byte of the file to read. Default 0. */
  start?: number;
  /** Last byte of the file to read, inclusive (as `fs.createReadStream`). Default the last. */
  end?: number;
  /** Bytes ahead of the reader's position that get deadlines. Default 4 MiB (at least 2 pieces). */
  readahead?: number;
  /** Milliseconds between the deadlines of successive pieces ahead. Default 200. */
  deadlineStepMs?: number;
  /** Bytes per chunk pushed. Default 256 KiB. */
  chunkSize?: number;
  signal?: AbortSignal;
}

const DEFAULT_READAHEAD = 4 * 1024 * 1024;
const MAX_READAHEAD_PIECES = 64;
const DEFAULT_CHUNK = 256 * 1024;
/** Reads from the storage in pieces of at most this (its read cache lends views this size). */
const READ_SIZE = 64 * 1024;

/** The file's byte range in the torrent's content, checked. */
export function fileRange(
  description: TorrentDescription,
  fileIndex: number,
): { offset: number; length: number } {
  const file = Number.isInteger(fileIndex) ? description.files[fileIndex] : undefined;
  if (!file || file.padding)
    throw new SessionError(
      'invalid-option',
      `no file ${fileIndex} in ${description.name} (it has ${description.files.length}, numbered from 0)`,
    );
  return { offset: file.offset, length: file.length };
}

/** Gives the first and last pieces of a file deadlines; the returned function releases them. */
export function fileEndsFirst(torrent: StreamableTorrent, fileIndex: number): () => void {
  const { offset, length } = fileRange(torrent.description, fileIndex);
  const owner = torrent.deadlines.owner();
  if (length > 0) {
    const { pieceLength } = torrent.description;
    const now = torrent.clock.now();
    const first = Math.floor(offset / pieceLength);
    const last = Math.floor((offset + length - 1) / pieceLength);
    // the head first, then the tail (a container's index), then the piece after the head
    const pieces: UrgentPiece[] = [
      { piece: first, deadline: now },
      { piece: last, deadline: now + 1 },
    ];
    if (first + 1 < last) pieces.push({ piece: first + 1, deadline: now + 2 });
    torrent.deadlines.replace(owner, pieces);
    torrent.deadlinesChanged();
  }
  return () => torrent.deadlines.release(owner);
}

/** A readable stream of bytes `start..end` of file `fileIndex` (numbered from 0). */
export function createFileReadStream(
  torrent: StreamableTorrent,
  fileIndex: number,
  options: FileReadStreamOptions = {},
): Readable {
  const { offset, length } = fileRange(torrent.description, fileIndex);
  const start = options.start ?? 0;
  const end = options.end ?? length - 1;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end >= length)
    throw new SessionError(
      'invalid-option',
      `range ${start}-${end} is outside file ${fileIndex} (${length} bytes)`,
    );
  return new FileReadStream(torrent, offset + start, offset + end + 1, options);
}

class FileReadStream extends Readable {
  private readonly torrent: StreamableTorrent;
  private position: number;
  private readonly stop: number;
  private readonly owner: DeadlineOwner;
  private readonly readaheadPieces: number;
  private readonly stepMs: number;
  private readonly chunkSize: number;
  private readonly lifetime = new AbortController();
  private pumping = false;
  private deadlinePiece = -1;

  constructor(
    torrent: StreamableTorrent,
    start: number,
    stop: number,
    options: FileReadStreamOptions,
  ) {
    super({ highWaterMark: options.chunkSize ?? DEFAULT_CHUNK, signal: options.signal });
    this.torrent = torrent;
    this.position = start;
    this.stop = stop;
    this.owner = torrent.deadlines.owner();
    const { pieceLength } = torrent.description;
    this.readaheadPieces = Math.min(
      MAX_READAHEAD_PIECES,
      Math.max(2, Math.ceil((options.readahead ?? DEFAULT_READAHEAD) / pieceLength)),
    );
    this.stepMs = options.deadlineStepMs ?? 200;
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  }

  override _read(): void {
    if (this.pumping) return;
    this.pumping = true;
    this.pump().then(
      (more) => {
        this.pumping = false;
        if (!more) this.release();
      },
      (error: unknown) => {
        this.pumping = false;
        this.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  /** Pushes chunks until the consumer has enough; false once the range is done. */
  private async pump(): Promise<boolean> {
    const { pieceLength } = this.torrent.description;
    while (this.position < this.stop) {
      const piece = Math.floor(this.position / pieceLength);
      this.setDeadlines(piece);
      if (!this.torrent.hasPiece(piece)) await this.waitFor(piece);
      if (this.destroyed) return false;
      const pieceEnd = (piece + 1) * pieceLength;
      const chunkEnd = Math.min(this.stop, pieceEnd, this.position + this.chunkSize);
      const chunk = await this.readRange(piece, this.position - piece * pieceLength, chunkEnd);
      if (this.destroyed) return false;
      this.position = chunkEnd;
      if (!this.push(chunk)) return this.position < this.stop;
    }
    this.push(null);
    return false;
  }

  /** Bytes of `piece` from `begin` up to the torrent offset `until`, copied out of the storage. */
  private async readRange(piece: number, begin: number, until: number): Promise<Buffer> {
    const { storage, description } = this.torrent;
    const total = until - (piece * description.pieceLength + begin);
    const chunk = Buffer.allocUnsafe(total);
    for (let done = 0; done < total;) {
      const length = Math.min(READ_SIZE, total - done);
      const view = await storage.readBlock(piece, begin + done, length, {
        signal: this.lifetime.signal,
      });
      chunk.set(view, done);
      storage.releaseBlock?.(view);
      done += length;
    }
    return chunk;
  }

  /** The reader's piece and the ones ahead of it, each due a step later than the one before. */
  private setDeadlines(piece: number): void {
    if (piece === this.deadlinePiece) return;
    this.deadlinePiece = piece;
    const { pieceLength } = this.torrent.description;
    const last = Math.floor((this.stop - 1) / pieceLength);
    const now = this.torrent.clock.now();
    const pieces: UrgentPiece[] = [];
    for (let ahead = 0; ahead < this.readaheadPieces && piece + ahead <= last; ahead++) {
      if (this.torrent.hasPiece(piece + ahead)) continue;
      pieces.push({ piece: piece + ahead, deadline: now + ahead * this.stepMs });
    }
    this.torrent.deadlines.replace(this.owner, pieces);
    if (pieces.length > 0) this.torrent.deadlinesChanged();
  }

  /** Resolves when `piece` is verified; rejects when the torrent fails or stops, or on destroy. */
  private waitFor(piece: number): Promise<void> {
    const { torrent } = this;
    return new Promise<void>((resolve, reject) => {
      const offs: (() => void)[] = [];
      const settle = (error?: Error): void => {
        for (const off of offs) off();
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        if (torrent.hasPiece(piece)) settle();
        else if (torrent.state === 'error')
          settle(new SessionError('storage-failed', 'the torrent failed while a stream read it'));
        else if (torrent.state === 'stopped')
          settle(new SessionError('session-closed', 'the torrent stopped while a stream read it'));
      };
      offs.push(torrent.on('piece-verified', (event) => event.piece === piece && settle()));
      offs.push(torrent.on('check-finished', check));
      offs.push(torrent.on('state-changed', check));
      const signal = this.lifetime.signal;
      const onAbort = (): void => settle();
      signal.addEventListener('abort', onAbort, { once: true });
      offs.push(() => signal.removeEventListener('abort', onAbort));
      check();
    });
  }

  private release(): void {
    this.torrent.deadlines.release(this.owner);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.lifetime.abort();
    this.release();
    callback(error);
  }
}
