/**
 * The code each hashing worker runs, as a string evaluated by `new Worker(source, { eval: true })`
 * so it works the same from `src` (tests) and from the bundled `dist` (no worker file to locate).
 * Plain CommonJS JavaScript on purpose: it is not compiled.
 *
 * Each piece is hashed by the function its job names (its `hash` field): SHA-1 by default (BEP 3), or a
 * BEP 52 merkle root (SHA-256 per 16 KiB block, then a zero-padded tree) over a prefix of it.
 *
 * Five jobs:
 * - `digest`: SHA-1 of a region of a (Shared)ArrayBuffer. Shared memory is hashed in place.
 * - `run`: read a run of whole pieces from files (creating a torrent) and hash each piece as its
 *   bytes arrive, in chunks that stay in the CPU cache; the digests go back in one buffer.
 * - `leaves`: BEP 52 leaf hashes (SHA-256 of each 16 KiB block) of a range of one file.
 * - `hash-write`: the same, then, when it matches the expected digest, `pwrite` the bytes to
 *   descriptors the main thread opened and keeps open until the reply (asynchronously: the
 *   next piece is hashed while the disk takes this one).
 * - `check`: read pieces from files in chunks that stay in the CPU cache, hash them, compare with
 *   the expected digest. Reading in the worker keeps the main thread free and costs one copy
 *   (page cache to a reused scratch buffer).
 */
export const HASH_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');

const chunkSize = (workerData && workerData.chunkSize) || 262144;
let scratch = Buffer.allocUnsafeSlow(Math.max(chunkSize, 16384));
const zeros = Buffer.alloc(chunkSize);

const V2_BLOCK = 16384;
const ZERO_LEAF = Buffer.alloc(32);
const crypto = require('node:crypto');
const PAIR = Buffer.alloc(64);
// One-shot SHA-256 (Node 20.12+) is cheaper than createHash for a block or a pair of hashes.
const sha256 = typeof crypto.hash === 'function'
  ? (data) => crypto.hash('sha256', data, 'buffer')
  : (data) => createHash('sha256').update(data).digest();
function sha256Pair(left, right) {
  PAIR.set(left, 0);
  PAIR.set(right, 32);
  return sha256(PAIR);
}

// BEP 52: leaves are SHA-256 of 16 KiB blocks; only the first dataLength bytes are the file's.
class MerkleHasher {
  constructor(width, dataLength) {
    this.width = width;
    this.remaining = dataLength;
    this.leaves = [];
    this.block = createHash('sha256');
    this.inBlock = 0;
  }
  update(view) {
    const length = Math.min(view.length, this.remaining);
    this.remaining -= length;
    let offset = 0;
    while (offset < length) {
      const take = Math.min(V2_BLOCK - this.inBlock, length - offset);
      // A whole block in this view (or the file's last, short one): one shot.
      if (this.inBlock === 0 && (take === V2_BLOCK || (this.remaining === 0 && offset + take === length))) {
        this.leaves.push(sha256(view.subarray(offset, offset + take)));
        offset += take;
        continue;
      }
      this.block.update(offset === 0 && take === view.length ? view : view.subarray(offset, offset + take));
      offset += take;
      this.inBlock += take;
      if (this.inBlock === V2_BLOCK) {
        this.leaves.push(this.block.digest());
        this.block = createHash('sha256');
        this.inBlock = 0;
      }
    }
    return this;
  }
  digest() {
    if (this.inBlock > 0) this.leaves.push(this.block.digest());
    let layer = this.leaves;
    let pad = ZERO_LEAF;
    for (let size = this.width; size > 1; size /= 2) {
      const next = [];
      for (let i = 0; i < layer.length; i += 2) {
        next.push(sha256Pair(layer[i], i + 1 < layer.length ? layer[i + 1] : pad));
      }
      pad = sha256Pair(pad, pad);
      layer = next;
    }
    return layer.length > 0 ? layer[0] : pad;
  }
}

// A hybrid's piece (BEP 52): SHA-1 of the whole piece, then the merkle root of its file's part.
class BothHasher {
  constructor(width, dataLength) {
    this.sha1 = createHash('sha1');
    this.merkle = new MerkleHasher(width, dataLength);
  }
  update(view) {
    this.sha1.update(view);
    this.merkle.update(view);
    return this;
  }
  digest() {
    return Buffer.concat([this.sha1.digest(), this.merkle.digest()]);
  }
}

function makeHasher(spec) {
  if (spec && spec.algorithm === 'sha256-merkle') return new MerkleHasher(spec.width, spec.dataLength);
  if (spec && spec.algorithm === 'sha1+sha256-merkle') return new BothHasher(spec.width, spec.dataLength);
  return createHash('sha1');
}

function sameDigest(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// status: 0 ok, 1 hash mismatch, 2 data missing or short, 3 I/O error
function checkPieces(pieces) {
  const descriptors = new Map();
  const open = (path) => {
    let fd = descriptors.get(path);
    if (fd === undefined) {
      fd = fs.openSync(path, 'r');
      descriptors.set(path, fd);
    }
    return fd;
  };
  const results = [];
  try {
    for (const piece of pieces) {
      const hash = makeHasher(piece.hash);
      let status = 0;
      let errorCode;
      let errorPath;
      outer: for (const part of piece.parts) {
        const path = part[0];
        let position = part[1];
        let remaining = part[2];
        if (path === null) {
          while (remaining > 0) {
            const take = Math.min(remaining, chunkSize);
            hash.update(zeros.subarray(0, take));
            remaining -= take;
          }
          continue;
        }
        let fd;
        try {
          fd = open(path);
        } catch (error) {
          status = error && error.code === 'ENOENT' ? 2 : 3;
          errorCode = error && error.code;
          errorPath = path;
          break;
        }
        while (remaining > 0) {
          const take = Math.min(remaining, chunkSize);
          let read;
          try {
            read = fs.readSync(fd, scratch, 0, take, position);
          } catch (error) {
            status = 3;
            errorCode = error && error.code;
            errorPath = path;
            break outer;
          }
          if (read === 0) {
            status = 2;
            break outer;
          }
          hash.update(read === scratch.length ? scratch : scratch.subarray(0, read));
          position += read;
          remaining -= read;
        }
      }
      if (status === 0 && !sameDigest(hash.digest(), piece.expected)) status = 1;
      results.push(status === 3 ? { index: piece.index, status, errorCode, errorPath } : { index: piece.index, status });
    }
  } finally {
    for (const fd of descriptors.values()) {
      try {
        fs.closeSync(fd);
      } catch {}
    }
  }
  return results;
}

// A run of whole pieces from files: each piece hashed as its bytes arrive, one scratch buffer.
function hashRun(job) {
  let total = 0;
  for (const segment of job.segments) total += segment.length;
  const pieceLength = job.pieceLength;
  const hashes = new Uint8Array(Math.ceil(total / pieceLength) * 20);
  const descriptors = new Map();
  let piece = 0;
  let hash = createHash('sha1');
  let inPiece = 0;
  let current;
  try {
    for (const segment of job.segments) {
      current = segment.path;
      // A segment without a path is BEP 47 padding: zeros.
      let fd = current === null ? -1 : descriptors.get(current);
      if (fd === undefined) {
        fd = fs.openSync(current, 'r');
        descriptors.set(current, fd);
      }
      let done = 0;
      while (done < segment.length) {
        const want = Math.min(chunkSize, segment.length - done, pieceLength - inPiece);
        const read = fd === -1 ? want : fs.readSync(fd, scratch, 0, want, segment.fileOffset + done);
        if (fd === -1) scratch.fill(0, 0, want);
        if (read === 0) {
          const error = new Error('the file got shorter while it was being hashed');
          error.code = 'BT_FILE_CHANGED';
          throw error;
        }
        hash.update(read === scratch.length ? scratch : scratch.subarray(0, read));
        done += read;
        inPiece += read;
        if (inPiece === pieceLength) {
          hashes.set(hash.digest(), piece * 20);
          piece++;
          hash = createHash('sha1');
          inPiece = 0;
        }
      }
    }
    if (inPiece > 0) hashes.set(hash.digest(), piece * 20);
  } catch (error) {
    if (error && typeof error === 'object') error.path = current;
    throw error;
  } finally {
    for (const fd of descriptors.values()) {
      try {
        fs.closeSync(fd);
      } catch {}
    }
  }
  return hashes;
}

// BEP 52: the SHA-256 of each 16 KiB block of a range of one file (the range starts on a block
// boundary of the file), 32 bytes per block, read in chunks that are whole blocks.
function hashLeaves(job) {
  const count = Math.ceil(job.length / V2_BLOCK);
  const leaves = new Uint8Array(count * 32);
  const chunk = Math.max(V2_BLOCK, chunkSize - (chunkSize % V2_BLOCK));
  const fd = fs.openSync(job.path, 'r');
  try {
    let done = 0;
    let leaf = 0;
    while (done < job.length) {
      const want = Math.min(chunk, job.length - done);
      let got = 0;
      while (got < want) {
        const read = fs.readSync(fd, scratch, got, want - got, job.fileOffset + done + got);
        if (read === 0) {
          const error = new Error('the file got shorter while it was being hashed');
          error.code = 'BT_FILE_CHANGED';
          throw error;
        }
        got += read;
      }
      for (let at = 0; at < want; at += V2_BLOCK) {
        const digest = sha256(scratch.subarray(at, Math.min(at + V2_BLOCK, want)));
        leaves.set(digest, leaf * 32);
        leaf++;
      }
      done += want;
    }
  } catch (error) {
    if (error && typeof error === 'object') error.path = job.path;
    throw error;
  } finally {
    fs.closeSync(fd);
  }
  return leaves;
}

// Hash a piece and, when it matches, write it with descriptors the main thread opened (and keeps
// open until we answer). The writes are asynchronous (libuv's threads), so while the disk takes
// one piece this worker hashes the next: a direct write waits for the device, and the hashing
// must not wait with it. A range with a direct descriptor (O_DIRECT) has its 4 KiB-aligned
// middle written with it when memory and file line up; its unaligned ends, and anything the file
// system refuses, go through the ordinary descriptor.
const ALIGN = 4096;

function writeAll(fd, view, start, length, position, done) {
  if (length === 0) return done(undefined);
  fs.write(fd, view, start, length, position, (error, written) => {
    if (error) return done(error);
    if (written === 0) {
      const short = new Error('short write');
      short.code = 'EIO';
      return done(short);
    }
    writeAll(fd, view, start + written, length - written, position + written, done);
  });
}

function hashAndWrite(job, reply) {
  const view = new Uint8Array(job.buffer, job.offset, job.length);
  const digest = makeHasher(job.hash).update(view).digest();
  if (!sameDigest(digest, job.expected)) return reply({ id: job.id, ok: false });
  let directRefused = false;
  let index = 0;
  const next = () => {
    if (index === job.writes.length) return reply({ id: job.id, ok: true, directRefused });
    const [fd, start, length, position, directFd] = job.writes[index];
    let head = length;
    let middle = 0;
    if (directFd !== undefined && directFd >= 0 && !directRefused) {
      const skip = (ALIGN - (position % ALIGN)) % ALIGN;
      if (skip < length && (job.offset + start + skip) % ALIGN === 0) {
        head = skip;
        middle = Math.floor((length - skip) / ALIGN) * ALIGN;
      }
    }
    const tail = length - head - middle;
    const failed = (error) =>
      reply({ id: job.id, ok: true, writeError: (error && error.code) || 'EIO', writeIndex: index, directRefused });
    const writeTail = (error) => {
      if (error) return failed(error);
      writeAll(fd, view, start + head + middle, tail, position + head + middle, (error) => {
        if (error) return failed(error);
        index++;
        next();
      });
    };
    writeAll(fd, view, start, head, position, (error) => {
      if (error) return failed(error);
      if (middle === 0) return writeTail(undefined);
      writeAll(directFd, view, start + head, middle, position + head, (error) => {
        if (!error || error.code !== 'EINVAL') return writeTail(error);
        directRefused = true;
        writeAll(fd, view, start + head, middle, position + head, writeTail);
      });
    });
  };
  next();
}

parentPort.on('message', (job) => {
  try {
    if (job.type === 'digest') {
      const digest = makeHasher(job.hash).update(new Uint8Array(job.buffer, job.offset, job.length)).digest();
      const out = new Uint8Array(digest);
      parentPort.postMessage({ id: job.id, digest: out }, [out.buffer]);
    } else if (job.type === 'run') {
      const hashes = hashRun(job);
      parentPort.postMessage({ id: job.id, hashes }, [hashes.buffer]);
    } else if (job.type === 'leaves') {
      const leaves = hashLeaves(job);
      parentPort.postMessage({ id: job.id, leaves }, [leaves.buffer]);
    } else if (job.type === 'hash-write') {
      hashAndWrite(job, (answer) => parentPort.postMessage(answer));
    } else if (job.type === 'check') {
      parentPort.postMessage({ id: job.id, results: checkPieces(job.pieces) });
    } else {
      parentPort.postMessage({ id: job.id, error: 'unknown job ' + job.type });
    }
  } catch (error) {
    parentPort.postMessage({
      id: job.id,
      error: String((error && error.message) || error),
      errorCode: error && typeof error.code === 'string' ? error.code : undefined,
      errorPath: error && typeof error.path === 'string' ? error.path : undefined,
    });
  }
});
`;
