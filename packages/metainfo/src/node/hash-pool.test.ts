import { createHash } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { HashPoolError } from '../errors.js';
import { createHashPool } from './hash-pool.js';

const sha1 = (bytes: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha1').update(bytes).digest());

afterAll(removeTempDirs);

describe('hash pool', () => {
  it('hashes shared, transferred and copied buffers, and views at an offset', async () => {
    const pool = createHashPool({ size: 2 });
    const shared = new Uint8Array(new SharedArrayBuffer(1000)).fill(3);
    expect(await pool.digest(shared.subarray(10, 900))).toEqual(sha1(shared.subarray(10, 900)));
    const plain = new Uint8Array(5000).fill(9);
    const view = plain.subarray(100, 4000);
    expect(await pool.digest(view)).toEqual(sha1(view));
    expect(plain.length).toBe(5000); // copied: still usable
    const given = new Uint8Array(777).fill(1);
    const expected = sha1(given);
    expect(await pool.digest(given, { transfer: true })).toEqual(expected);
    expect(given.length).toBe(0); // transferred: detached
    const many = await Promise.all(
      Array.from({ length: 50 }, (_, index) => pool.digest(new Uint8Array(index).fill(index))),
    );
    many.forEach((digest, index) =>
      expect(digest).toEqual(sha1(new Uint8Array(index).fill(index))),
    );
    await pool.close();
  });

  it('checks pieces from files: ok, mismatch, missing, short, padding', async () => {
    const directory = await makeTempDir();
    const data = new Uint8Array(300).map((_, index) => index & 0xff);
    await writeFile(join(directory, 'f'), data);
    const pool = createHashPool({ size: 1, chunkSize: 64 });
    const path = join(directory, 'f');
    const results = await pool.checkPieces([
      { index: 0, expected: sha1(data.subarray(0, 200)), parts: [[path, 0, 200]] },
      { index: 1, expected: sha1(data.subarray(0, 200)), parts: [[path, 1, 200]] },
      {
        index: 2,
        expected: sha1(data.subarray(0, 10)),
        parts: [[join(directory, 'absent'), 0, 10]],
      },
      { index: 3, expected: sha1(data.subarray(250, 300)), parts: [[path, 250, 60]] },
      {
        index: 4,
        expected: sha1(
          new Uint8Array([...data.subarray(0, 5), ...new Uint8Array(100), ...data.subarray(5, 10)]),
        ),
        parts: [
          [path, 0, 5],
          [null, 0, 100],
          [path, 5, 5],
        ],
      },
    ]);
    expect(results.map((result) => result.status)).toEqual([
      'ok',
      'mismatch',
      'missing',
      'missing',
      'ok',
    ]);
    await pool.close();
  });

  it('hashes and writes in one job: only a matching piece is written; write errors come back typed', async () => {
    const directory = await makeTempDir();
    const pool = createHashPool({ size: 1 });
    const piece = new Uint8Array(new SharedArrayBuffer(100)).map((_, index) => index);
    const a = await open(join(directory, 'a'), 'w+');
    const b = await open(join(directory, 'b'), 'w+');
    const writes: [number, number, number, number][] = [
      [a.fd, 0, 60, 5],
      [b.fd, 60, 40, 0],
    ];
    expect(await pool.hashAndWrite(piece, new Uint8Array(20), writes)).toEqual({ ok: false });
    expect((await a.stat()).size).toBe(0);
    expect(await pool.hashAndWrite(piece, sha1(piece), writes)).toEqual({ ok: true });
    await a.close();
    await b.close();
    expect([...(await readFile(join(directory, 'a'))).subarray(5)]).toEqual([
      ...piece.subarray(0, 60),
    ]);
    expect([...(await readFile(join(directory, 'b')))]).toEqual([...piece.subarray(60)]);
    // A descriptor open for reading only: the write fails and says which one.
    const readOnly = await open(join(directory, 'b'), 'r');
    expect(await pool.hashAndWrite(piece, sha1(piece), [[readOnly.fd, 0, 10, 0]])).toEqual({
      ok: true,
      writeError: 'EBADF',
      writeIndex: 0,
    });
    await readOnly.close();
    await pool.close();
  });

  it('reports an I/O error as status error with the code, and a folder given as a file', async () => {
    const directory = await makeTempDir();
    const pool = createHashPool({ size: 1 });
    const [result] = await pool.checkPieces([
      { index: 0, expected: new Uint8Array(20), parts: [[directory, 0, 10]] },
    ]);
    expect(result).toMatchObject({
      index: 0,
      status: 'error',
      errorCode: 'EISDIR',
      errorPath: directory,
    });
    await pool.close();
  });

  it('hashes runs of pieces read from files, as torrent creation does', async () => {
    const directory = await makeTempDir();
    const a = new Uint8Array(1000).map((_, index) => (index * 7) & 0xff);
    const b = new Uint8Array(530).map((_, index) => (index * 13) & 0xff);
    await writeFile(join(directory, 'a'), a);
    await writeFile(join(directory, 'b'), b);
    const content = new Uint8Array([...a.subarray(100), ...b]);
    const pool = createHashPool({ size: 2, chunkSize: 64 });
    const hashes = await pool.hashRun({
      pieceLength: 256,
      segments: [
        { path: join(directory, 'a'), fileOffset: 100, length: 900 },
        { path: join(directory, 'b'), fileOffset: 0, length: 530 },
      ],
    });
    const expected: Uint8Array[] = [];
    for (let start = 0; start < content.length; start += 256) {
      expected.push(sha1(content.subarray(start, start + 256)));
    }
    expect(hashes).toEqual(new Uint8Array(expected.flatMap((digest) => [...digest])));
    const short = await pool
      .hashRun({
        pieceLength: 256,
        segments: [{ path: join(directory, 'b'), fileOffset: 0, length: 600 }],
      })
      .catch((caught: unknown) => caught);
    expect(short).toMatchObject({ code: 'file-changed', path: join(directory, 'b') });
    const absent = await pool
      .hashRun({
        pieceLength: 256,
        segments: [{ path: join(directory, 'x'), fileOffset: 0, length: 1 }],
      })
      .catch((caught: unknown) => caught);
    expect(HashPoolError.isInstance(absent) && [absent.code, absent.systemCode]).toEqual([
      'read-failed',
      'ENOENT',
    ]);
    await pool.close();
  });

  it('honours abort signals and fails jobs after close with a typed error', async () => {
    const pool = createHashPool({ size: 1 });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(pool.digest(new Uint8Array(10), { signal: controller.signal })).rejects.toThrow(
      'stop',
    );
    const pending = pool.digest(new Uint8Array(50_000_000)).catch((caught: unknown) => caught);
    await pool.close();
    const error = await pending;
    expect(HashPoolError.isInstance(error) && error.code).toBe('closed');
    await expect(pool.digest(new Uint8Array(1))).rejects.toMatchObject({ code: 'closed' });
  });

  it('waits on one abort listener per signal however many jobs share it', async () => {
    const pool = createHashPool({ size: 1 });
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      // a recheck queues hundreds of jobs on one signal: all done, nothing left listening
      const digests = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          pool.digest(new Uint8Array([index]), { signal: controller.signal }),
        ),
      );
      expect(new Set(digests.map((digest) => Buffer.from(digest).toString('hex'))).size).toBe(40);
      // and an abort still reaches every job that waits
      const waiting = Array.from({ length: 40 }, () =>
        pool.digest(new Uint8Array(4_000_000), { signal: controller.signal }).then(
          () => 'done',
          (error: unknown) => (error instanceof Error ? error.message : 'not an Error'),
        ),
      );
      controller.abort(new Error('stop'));
      const outcomes = await Promise.all(waiting);
      expect(outcomes).toEqual(Array.from({ length: 40 }, () => 'stop'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual(
        [],
      );
    } finally {
      process.off('warning', onWarning);
      await pool.close();
    }
  });
});

describe('hash pool: BEP 52 merkle pieces', () => {
  it('digests, hash-and-writes and checks v2 pieces as the pure merkle code computes them', async () => {
    const { blockHashes, pieceRootFromLeaves, nextPowerOfTwo } = await import('../merkle.js');
    const pool = createHashPool({ size: 1, chunkSize: 16384 * 3 });
    try {
      const pieceLength = 65536;
      for (const fileLength of [1, 16384, 16385, 40_000, 65536, 65536 * 2 + 5]) {
        const data = new Uint8Array(fileLength).map((_, i) => (i * 7 + fileLength) & 0xff);
        const leaves = blockHashes(data);
        const pieces = Math.ceil(fileLength / pieceLength);
        for (let piece = 0; piece < pieces; piece++) {
          const start = piece * pieceLength;
          const dataLength = Math.min(pieceLength, fileLength - start);
          const width =
            fileLength <= pieceLength ? nextPowerOfTwo(Math.ceil(fileLength / 16384)) : 4;
          const expected = pieceRootFromLeaves(
            leaves.subarray(piece * 4 * 32, (piece + 1) * 4 * 32),
            pieceLength,
            fileLength,
          );
          // The piece buffer as the engine holds it: the file's bytes, then padding zeros.
          const buffer = new Uint8Array(pieceLength);
          buffer.set(data.subarray(start, start + dataLength));
          const hash = { algorithm: 'sha256-merkle', dataLength, width } as const;
          expect(Buffer.from(await pool.digest(buffer, { hash })).toString('hex')).toBe(
            Buffer.from(expected).toString('hex'),
          );
          const dir = await makeTempDir('bt-hash-pool-v2-');
          const path = join(dir, 'piece');
          await writeFile(path, buffer);
          const [ok] = await pool.checkPieces([
            {
              index: piece,
              expected,
              parts: [
                [path, 0, dataLength],
                [null, 0, pieceLength - dataLength],
              ],
              hash,
            },
          ]);
          expect(ok!.status).toBe('ok');
          const wrong = new Uint8Array(expected);
          wrong[0]! ^= 1;
          const [bad] = await pool.checkPieces([
            { index: piece, expected: wrong, parts: [[path, 0, dataLength]], hash },
          ]);
          expect(bad!.status).toBe('mismatch');
          const out = await open(join(dir, 'written'), 'w+');
          try {
            const result = await pool.hashAndWrite(buffer, expected, [[out.fd, 0, dataLength, 0]], {
              hash,
            });
            expect(result.ok).toBe(true);
          } finally {
            await out.close();
          }
          expect(new Uint8Array(await readFile(join(dir, 'written')))).toEqual(
            data.subarray(start, start + dataLength),
          );
        }
      }
    } finally {
      await pool.close();
    }
  });
});
