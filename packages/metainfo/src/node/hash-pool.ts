/**
 * The one pool of worker threads that compute SHA-1 (BEP 3 piece hashes), one per core by
 * default, for everything that hashes pieces: creating a torrent (`hashRun`: runs of pieces
 * read from files), the storage's verification of downloaded pieces (`digest`, `hashAndWrite`)
 * and rechecks (`checkPieces`). Shared memory is hashed in place (zero copy); a plain buffer is
 * transferred when the caller gives it up, copied otherwise. Files are read inside the workers
 * into one reused buffer each, so reading and hashing run on every core and memory stays small.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HashPoolError } from '../errors.js';
import type { PieceHashFunction } from '../piece-verification.js';
import { HASH_WORKER_SOURCE } from './hash-worker-source.js';

export interface HashPoolOptions {
  /** Number of worker threads. Default: one per core (`os.availableParallelism()`). */
  size?: number;
  /** Bytes read and hashed at a time from files. Default 256 KiB (stays in the CPU cache). */
  chunkSize?: number;
}

/** A piece to read from disk and check: its expected digest and where its bytes are. */
export interface PieceCheck {
  index: number;
  expected: Uint8Array;
  /** Ranges in order: absolute file path (`null` for BEP 47 padding: zeros), position, length. */
  parts: [path: string | null, position: number, length: number][];
  /** How the piece is hashed (`pieceVerification`); SHA-1 when absent. */
  hash?: PieceHashFunction;
}

/** Outcome of a `PieceCheck`. */
export interface PieceCheckResult {
  index: number;
  /** `ok`: the digest matches; `mismatch`: it does not; `missing`: a file is absent or short; `error`: I/O failed. */
  status: 'ok' | 'mismatch' | 'missing' | 'error';
  /** For `error`: the system error code and the file. */
  errorCode?: string;
  errorPath?: string;
}

/** One file's part of a run of pieces. */
export interface HashSegment {
  /** The file; `null` (in `hashRun`) for BEP 47 padding, hashed as zeros. */
  path: string | null;
  fileOffset: number;
  length: number;
}

/** Whole pieces in content order, as runs of files' bytes: what `hashRun` reads and hashes. */
export interface HashRun {
  pieceLength: number;
  /** The bytes of the pieces, in order; every piece but the run's last is `pieceLength` long. */
  segments: readonly HashSegment[];
}

interface Job {
  message: Record<string, unknown>;
  transfer: ArrayBuffer[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
}

interface Slot {
  worker: Worker;
  running: Map<number, Job>;
}

/** The reason of an aborted signal, as an Error. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted', { cause: reason });
}

const STATUS = ['ok', 'mismatch', 'missing', 'error'] as const;
const JOBS_PER_WORKER = 2;

export class HashPool {
  /** Number of worker threads. */
  readonly size: number;
  private readonly chunkSize: number;
  private slots: Slot[] = [];
  private readonly queue: Job[] = [];
  /** The abort listener of each signal that jobs wait on, and those jobs. */
  private readonly watched = new Map<
    AbortSignal,
    { jobs: Set<() => void>; listener: () => void }
  >();
  private nextId = 1;
  private closed = false;

  constructor(options: HashPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? availableParallelism()));
    this.chunkSize = options.chunkSize ?? 256 * 1024;
  }

  /**
   * SHA-1 of `bytes` (or the digest `options.hash` names). A view of a SharedArrayBuffer is hashed in place; with `transfer: true`
   * the caller hands over the ArrayBuffer (it becomes unusable); otherwise the bytes are copied.
   */
  async digest(
    bytes: Uint8Array,
    options: { transfer?: boolean; signal?: AbortSignal; hash?: PieceHashFunction } = {},
  ): Promise<Uint8Array> {
    let buffer: ArrayBufferLike = bytes.buffer;
    let offset = bytes.byteOffset;
    const transfer: ArrayBuffer[] = [];
    if (!(buffer instanceof SharedArrayBuffer)) {
      if (options.transfer === true && buffer instanceof ArrayBuffer) {
        transfer.push(buffer);
      } else {
        const copy = bytes.slice().buffer;
        buffer = copy;
        offset = 0;
        transfer.push(copy);
      }
    }
    const reply = (await this.submit(
      { type: 'digest', buffer, offset, length: bytes.length, hash: options.hash },
      transfer,
      options.signal,
    )) as { digest: Uint8Array };
    return reply.digest;
  }

  /**
   * Hashes `bytes` and, when the digest equals `expected`, writes ranges of them to open file
   * descriptors, all inside one worker. `writes` are `[fd, start in bytes, length, file
   * position, direct fd]`; the descriptors must stay open until the promise settles. A direct fd
   * (opened with `O_DIRECT`; -1 for none) takes the 4 KiB-aligned middle of a range whose memory
   * and file position line up, when `bytes` lives in memory aligned to 4096 at a `byteOffset`
   * of 0 (mod 4096) of its buffer; the rest goes through `fd`. Resolves with `ok` (the digest
   * matched), when a write failed its system error code and index, and `directRefused` when a
   * direct write was refused (it was redone through `fd`).
   */
  async hashAndWrite(
    bytes: Uint8Array,
    expected: Uint8Array,
    writes: [fd: number, start: number, length: number, position: number, directFd?: number][],
    options: { signal?: AbortSignal; hash?: PieceHashFunction } = {},
  ): Promise<{ ok: boolean; writeError?: string; writeIndex?: number; directRefused?: boolean }> {
    let buffer: ArrayBufferLike = bytes.buffer;
    let offset = bytes.byteOffset;
    const transfer: ArrayBuffer[] = [];
    if (!(buffer instanceof SharedArrayBuffer)) {
      const copy = bytes.slice().buffer;
      buffer = copy;
      offset = 0;
      transfer.push(copy);
    }
    const reply = (await this.submit(
      {
        type: 'hash-write',
        buffer,
        offset,
        length: bytes.length,
        expected,
        writes,
        hash: options.hash,
      },
      transfer,
      options.signal,
    )) as { ok: boolean; writeError?: string; writeIndex?: number; directRefused?: boolean };
    return {
      ok: reply.ok,
      ...(reply.writeError === undefined
        ? {}
        : { writeError: reply.writeError, writeIndex: reply.writeIndex }),
      ...(reply.directRefused === true ? { directRefused: true } : {}),
    };
  }

  /**
   * Reads a run of whole pieces from files inside a worker and returns their SHA-1 digests, 20
   * bytes per piece, in order (how a torrent is created).
   * @throws HashPoolError `read-failed` (with `systemCode` and `path`), `file-changed` when a
   *   file is shorter than its segment, `closed`, `hash-failed`.
   */
  async hashRun(run: HashRun, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const reply = (await this.submit(
      { type: 'run', pieceLength: run.pieceLength, segments: run.segments },
      [],
      options.signal,
    )) as { hashes: Uint8Array };
    return reply.hashes;
  }

  /**
   * BEP 52 leaf hashes of a range of one file, read inside a worker: the SHA-256 of each 16 KiB
   * block (the last may be short), 32 bytes per block. `fileOffset` is a multiple of 16 KiB.
   * @throws HashPoolError `read-failed`, `file-changed`, `closed`, `hash-failed`.
   */
  async hashLeaves(
    segment: HashSegment & { path: string },
    options: { signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    const reply = (await this.submit(
      {
        type: 'leaves',
        path: segment.path,
        fileOffset: segment.fileOffset,
        length: segment.length,
      },
      [],
      options.signal,
    )) as { leaves: Uint8Array };
    return reply.leaves;
  }

  /** Reads and hashes pieces from files inside a worker; one result per piece, in order. */
  async checkPieces(
    pieces: PieceCheck[],
    options: { signal?: AbortSignal } = {},
  ): Promise<PieceCheckResult[]> {
    const reply = (await this.submit({ type: 'check', pieces }, [], options.signal)) as {
      results: { index: number; status: number; errorCode?: string; errorPath?: string }[];
    };
    return reply.results.map((result) => ({
      index: result.index,
      status: STATUS[result.status] ?? 'error',
      ...(result.errorCode === undefined ? {} : { errorCode: result.errorCode }),
      ...(result.errorPath === undefined ? {} : { errorPath: result.errorPath }),
    }));
  }

  /** Stops the workers; pending and queued jobs fail with a `closed` error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new HashPoolError('closed', 'the hash pool is closed');
    for (const job of this.queue.splice(0)) job.reject(error);
    const slots = this.slots;
    this.slots = [];
    await Promise.all(
      slots.map(async (slot) => {
        for (const job of slot.running.values()) job.reject(error);
        slot.running.clear();
        await slot.worker.terminate();
      }),
    );
  }

  /**
   * Calls `onAbort` when `signal` aborts; returns the call that stops watching. One listener per
   * signal however many jobs share it (a recheck queues hundreds on one), so the caller's signal
   * never collects a listener per job.
   */
  private watch(signal: AbortSignal, onAbort: () => void): () => void {
    let watched = this.watched.get(signal);
    if (watched === undefined) {
      const jobs = new Set<() => void>();
      const listener = (): void => {
        this.watched.delete(signal);
        for (const job of [...jobs]) job();
      };
      signal.addEventListener('abort', listener, { once: true });
      watched = { jobs, listener };
      this.watched.set(signal, watched);
    }
    const entry = watched;
    entry.jobs.add(onAbort);
    return () => {
      entry.jobs.delete(onAbort);
      if (entry.jobs.size === 0 && this.watched.get(signal) === entry) {
        signal.removeEventListener('abort', entry.listener);
        this.watched.delete(signal);
      }
    };
  }

  private submit(
    message: Record<string, unknown>,
    transfer: ArrayBuffer[],
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(new HashPoolError('closed', 'the hash pool is closed'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    // An abort settles the promise at once, also for a job a worker is running (its answer is
    // then dropped); except a hash-and-write, whose descriptors must stay open until it ends.
    const settleOnAbort = signal !== undefined && message['type'] !== 'hash-write';
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(abortError(signal!));
      const done = settleOnAbort ? this.watch(signal, onAbort) : (): void => undefined;
      this.queue.push({
        message,
        transfer,
        resolve: (value) => {
          done();
          resolve(value);
        },
        reject: (error) => {
          done();
          reject(error instanceof Error ? error : new Error(String(error), { cause: error }));
        },
        signal,
      });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.freeSlot();
      if (slot === undefined) return;
      const job = this.queue.shift() as Job;
      if (job.signal?.aborted) {
        job.reject(abortError(job.signal));
        continue;
      }
      const id = this.nextId++;
      slot.running.set(id, job);
      slot.worker.ref();
      slot.worker.postMessage({ ...job.message, id }, job.transfer);
    }
  }

  private freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (
        slot.running.size < JOBS_PER_WORKER &&
        (best === undefined || slot.running.size < best.running.size)
      )
        best = slot;
    }
    if (best !== undefined && best.running.size === 0) return best;
    if (this.slots.length < this.size) return this.spawn();
    return best;
  }

  private spawn(): Slot {
    const worker = new Worker(HASH_WORKER_SOURCE, {
      eval: true,
      workerData: { chunkSize: this.chunkSize },
      name: 'bt-hash',
    });
    const slot: Slot = { worker, running: new Map() };
    worker.on(
      'message',
      (reply: { id: number; error?: string; errorCode?: string; errorPath?: string }) => {
        const job = slot.running.get(reply.id);
        if (job === undefined) return;
        slot.running.delete(reply.id);
        if (slot.running.size === 0) worker.unref();
        if (reply.error !== undefined) {
          job.reject(replyError(reply));
        } else {
          job.resolve(reply);
        }
        this.dispatch();
      },
    );
    const fail = (cause: unknown): void => {
      this.slots = this.slots.filter((other) => other !== slot);
      const error = new HashPoolError('hash-failed', 'a hashing worker stopped', { cause });
      for (const job of slot.running.values()) job.reject(error);
      slot.running.clear();
      if (!this.closed) this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) fail(new Error(`worker exited with code ${code}`));
    });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }
}

/** The typed error for a job a worker answered with an error. */
function replyError(reply: { error?: string; errorCode?: string; errorPath?: string }): Error {
  const where = reply.errorPath === undefined ? '' : `${reply.errorPath}: `;
  if (reply.errorCode === 'BT_FILE_CHANGED') {
    return new HashPoolError('file-changed', `${where}${reply.error}`, { path: reply.errorPath });
  }
  if (reply.errorPath !== undefined) {
    return new HashPoolError('read-failed', `${where}${reply.error}`, {
      systemCode: reply.errorCode,
      path: reply.errorPath,
    });
  }
  return new HashPoolError('hash-failed', `hashing failed: ${reply.error}`, {
    systemCode: reply.errorCode,
  });
}

/** Creates a hash pool; share one between torrents, close it when done. */
export function createHashPool(options: HashPoolOptions = {}): HashPool {
  return new HashPool(options);
}
