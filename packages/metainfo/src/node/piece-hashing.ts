/**
 * Hashing the pieces of a torrent being created: the content split into jobs of whole pieces
 * (about 4 MiB each), run on the one SHA-1 worker pool (`hash-pool.ts`), so reading and hashing
 * use every core and memory stays at one small read buffer per worker.
 */
import { CreateTorrentError, HashPoolError } from '../errors.js';
import { createHashPool, type HashPool, type HashSegment } from './hash-pool.js';

/** A run of whole pieces: its files' segments, in content order. */
export interface HashJob {
  firstPiece: number;
  pieceCount: number;
  byteLength: number;
  segments: HashSegment[];
}

export interface HashFilesOptions {
  pieceLength: number;
  /** The pool to hash on (left open). Default: a pool of its own, closed at the end. */
  pool?: HashPool;
  /** Threads of its own pool. Default: the number of cores. */
  workers?: number;
  /** Called after each job with the bytes hashed so far. */
  onProgress?: (hashedBytes: number) => void;
  signal?: AbortSignal;
}

/**
 * Runs `jobs` on the pool (the caller's, or one of its own closed at the end): each job's
 * `run` result goes to `place`, and progress counts each job's `bytes`. The first failure
 * stops every queued job and is the one reported (a `CreateTorrentError`), or the caller's
 * signal's reason when aborted.
 */
async function runJobs<Job, Result>(
  jobs: readonly Job[],
  options: Omit<HashFilesOptions, 'pieceLength'>,
  job: {
    run: (pool: HashPool, job: Job, signal: AbortSignal) => Promise<Result>;
    place: (job: Job, result: Result) => void;
    bytes: (job: Job) => number;
  },
): Promise<void> {
  if (jobs.length === 0) return;
  options.signal?.throwIfAborted();
  const pool =
    options.pool ??
    createHashPool(
      options.workers === undefined ? {} : { size: Math.min(options.workers, jobs.length) },
    );
  // One controller ends every queued job at the first failure (or the caller's abort).
  const stop = new AbortController();
  const signal =
    options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  let hashedBytes = 0;
  try {
    await Promise.all(
      jobs.map(async (each) => {
        let result: Result;
        try {
          result = await job.run(pool, each, signal);
        } catch (error) {
          stop.abort();
          throw createError(error);
        }
        job.place(each, result);
        hashedBytes += job.bytes(each);
        try {
          options.onProgress?.(hashedBytes);
        } catch (error) {
          stop.abort();
          throw error;
        }
      }),
    );
  } catch (error) {
    // The first failure is the one to report, not the aborts it caused.
    options.signal?.throwIfAborted();
    throw error;
  } finally {
    if (options.pool === undefined) await pool.close();
  }
}

/**
 * Hashes `jobs` into one `pieces` buffer (20 bytes per piece).
 * @throws CreateTorrentError (`read-failed`, `file-changed`, `worker-failed`), or the signal's
 * reason when aborted.
 */
export async function hashPieces(
  jobs: readonly HashJob[],
  totalPieces: number,
  options: HashFilesOptions,
): Promise<Uint8Array> {
  const pieces = new Uint8Array(totalPieces * 20);
  await runJobs(jobs, options, {
    run: (pool, job, signal) =>
      pool.hashRun({ pieceLength: options.pieceLength, segments: job.segments }, { signal }),
    place: (job, hashes) => pieces.set(hashes, job.firstPiece * 20),
    bytes: (job) => job.byteLength,
  });
  return pieces;
}

/** A pool failure in `createTorrent`'s words. */
function createError(error: unknown): unknown {
  if (!HashPoolError.isInstance(error)) return error;
  const code =
    error.code === 'file-changed'
      ? 'file-changed'
      : error.code === 'read-failed'
        ? 'read-failed'
        : 'worker-failed';
  return new CreateTorrentError(code, error.message, { cause: error, path: error.path });
}

/**
 * Splits content into jobs of whole pieces, about `jobBytes` each (at least one piece). A file
 * whose `source` is `null` is BEP 47 padding (hashed as zeros).
 */
export function planJobs(
  files: readonly { source: string | null; length: number }[],
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

/**
 * BEP 52: the leaf hashes (SHA-256 of each 16 KiB block) of every non-empty file, hashed on the
 * pool in jobs of about `jobBytes` (whole blocks), in file order; one buffer per file.
 * @throws as `hashPieces`.
 */
export async function hashFileLeaves(
  files: readonly { source: string; length: number }[],
  options: Omit<HashFilesOptions, 'pieceLength'> & { jobBytes?: number },
): Promise<Uint8Array[]> {
  const jobBytes = Math.max(16384, (options.jobBytes ?? 4 * 1024 * 1024) & ~16383);
  const leaves = files.map((file) => new Uint8Array(Math.ceil(file.length / 16384) * 32));
  const jobs: { file: number; fileOffset: number; length: number }[] = [];
  files.forEach((file, index) => {
    for (let offset = 0; offset < file.length; offset += jobBytes) {
      jobs.push({
        file: index,
        fileOffset: offset,
        length: Math.min(jobBytes, file.length - offset),
      });
    }
  });
  await runJobs(jobs, options, {
    run: (pool, job, signal) =>
      pool.hashLeaves(
        { path: files[job.file]!.source, fileOffset: job.fileOffset, length: job.length },
        { signal },
      ),
    place: (job, hashes) => leaves[job.file]!.set(hashes, (job.fileOffset / 16384) * 32),
    bytes: (job) => job.length,
  });
  return leaves;
}
