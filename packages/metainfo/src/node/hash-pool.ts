/**
 * Piece hashing on worker threads (Node only): each worker reads its own byte ranges of the
 * files with positional reads into one reusable 256 KiB buffer and feeds the SHA-1 of each
 * piece as it goes, so reading and hashing run on every core and memory stays at one small
 * buffer per worker, whatever the input size or piece length. The worker is an inline script, so it works from `src` and `dist`.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CreateTorrentError } from '../errors.js';

/** One file's part of a job's byte range. */
export interface HashSegment {
  path: string;
  fileOffset: number;
  length: number;
}

/** A run of whole pieces: its files' segments, in content order. */
export interface HashJob {
  firstPiece: number;
  pieceCount: number;
  byteLength: number;
  segments: HashSegment[];
}

export interface HashFilesOptions {
  pieceLength: number;
  /** Threads to hash on. Default: the number of cores. */
  workers?: number;
  /** Called after each job with the bytes hashed so far. */
  onProgress?: (hashedBytes: number) => void;
  signal?: AbortSignal;
}

// Reads in chunks small enough to stay in the core's cache between the copy and the hash, and
// feeds the piece hashes incrementally: one chunk buffer per worker, whatever the piece length.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const CHUNK = 256 * 1024;
const buffer = Buffer.allocUnsafe(CHUNK);
let openPath;
let openFd;
function fdFor(path) {
  if (path === openPath) return openFd;
  if (openFd !== undefined) closeSync(openFd);
  openFd = undefined;
  openFd = openSync(path, 'r');
  openPath = path;
  return openFd;
}
parentPort.on('message', (job) => {
  if (job === null) {
    if (openFd !== undefined) closeSync(openFd);
    parentPort.close();
    return;
  }
  let current;
  try {
    const hashes = new Uint8Array(job.pieceCount * 20);
    let piece = 0;
    let hash = createHash('sha1');
    let inPiece = 0;
    for (const segment of job.segments) {
      current = segment.path;
      const fd = fdFor(segment.path);
      let done = 0;
      while (done < segment.length) {
        const want = Math.min(CHUNK, segment.length - done, job.pieceLength - inPiece);
        const read = readSync(fd, buffer, 0, want, segment.fileOffset + done);
        if (read === 0) {
          const error = new Error('the file got shorter while it was being hashed');
          error.code = 'BT_FILE_CHANGED';
          throw error;
        }
        hash.update(read === CHUNK ? buffer : buffer.subarray(0, read));
        done += read;
        inPiece += read;
        if (inPiece === job.pieceLength) {
          hashes.set(hash.digest(), piece * 20);
          piece++;
          hash = createHash('sha1');
          inPiece = 0;
        }
      }
    }
    if (inPiece > 0) hashes.set(hash.digest(), piece * 20);
    parentPort.postMessage({ id: job.id, hashes }, [hashes.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: { message: String(error && error.message), code: error && error.code, path: current } });
  }
});
`;

interface WorkerReply {
  id: number;
  hashes?: Uint8Array;
  error?: { message: string; code?: string; path?: string };
}

/**
 * Hashes `jobs` into one `pieces` buffer (20 bytes per piece), on worker threads.
 * @throws CreateTorrentError (`read-failed`, `file-changed`, `worker-failed`), or the signal's
 * reason when aborted.
 */
export async function hashPieces(
  jobs: readonly HashJob[],
  totalPieces: number,
  options: HashFilesOptions,
): Promise<Uint8Array> {
  const pieces = new Uint8Array(totalPieces * 20);
  if (jobs.length === 0) return pieces;
  options.signal?.throwIfAborted();
  const count = Math.max(1, Math.min(options.workers ?? availableParallelism(), jobs.length));
  const workers: Worker[] = [];
  let hashedBytes = 0;
  let next = 0;
  let finished = 0;

  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (error: unknown): void => {
        if (failed) return;
        failed = true;
        reject(error instanceof Error ? error : new Error(String(error), { cause: error }));
      };
      const onAbort = (): void => fail(options.signal!.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        options.signal?.removeEventListener('abort', onAbort);
      };
      const released = new Set<Worker>();
      const send = (worker: Worker): void => {
        if (failed) return;
        if (next >= jobs.length) {
          released.add(worker);
          worker.postMessage(null);
          return;
        }
        const id = next++;
        const job = jobs[id]!;
        worker.postMessage({ ...job, id, pieceLength: options.pieceLength });
      };
      for (let i = 0; i < count; i++) {
        const worker = new Worker(WORKER_SOURCE, { eval: true });
        workers.push(worker);
        worker.on('message', (reply: WorkerReply) => {
          if (failed) return;
          const job = jobs[reply.id]!;
          if (reply.error) {
            const code = reply.error.code === 'BT_FILE_CHANGED' ? 'file-changed' : 'read-failed';
            done();
            fail(
              new CreateTorrentError(
                code,
                `${reply.error.path ?? 'a file'}: ${reply.error.message}`,
                {
                  path: reply.error.path,
                },
              ),
            );
            return;
          }
          pieces.set(reply.hashes!, job.firstPiece * 20);
          hashedBytes += job.byteLength;
          finished++;
          try {
            options.onProgress?.(hashedBytes);
          } catch (error) {
            done();
            fail(error);
            return;
          }
          if (finished === jobs.length) {
            done();
            resolve();
          }
          send(worker);
        });
        worker.on('error', (error) => {
          done();
          fail(
            new CreateTorrentError('worker-failed', 'a hashing thread failed', { cause: error }),
          );
        });
        send(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return pieces;
}

/** Splits content into jobs of whole pieces, about `jobBytes` each (at least one piece). */
export function planJobs(
  files: readonly { source: string; length: number }[],
  pieceLength: number,
  jobBytes = 4 * 1024 * 1024,
): { jobs: HashJob[]; totalPieces: number } {
  const total = files.reduce((sum, file) => sum + file.length, 0);
  const totalPieces = Math.ceil(total / pieceLength);
  const piecesPerJob = Math.max(1, Math.floor(jobBytes / pieceLength));
  const jobs: HashJob[] = [];
  let fileIndex = 0;
  let fileOffset = 0;
  for (let firstPiece = 0; firstPiece < totalPieces; firstPiece += piecesPerJob) {
    const pieceCount = Math.min(piecesPerJob, totalPieces - firstPiece);
    const start = firstPiece * pieceLength;
    const byteLength = Math.min(pieceCount * pieceLength, total - start);
    const segments: HashSegment[] = [];
    let remaining = byteLength;
    while (remaining > 0) {
      const file = files[fileIndex]!;
      const take = Math.min(remaining, file.length - fileOffset);
      if (take > 0) segments.push({ path: file.source, fileOffset, length: take });
      remaining -= take;
      fileOffset += take;
      if (fileOffset >= file.length) {
        fileIndex++;
        fileOffset = 0;
      }
    }
    jobs.push({ firstPiece, pieceCount, byteLength, segments });
  }
  return { jobs, totalPieces };
}
