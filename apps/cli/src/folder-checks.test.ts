import { SessionError } from '@bt/session';
import { StorageError } from '@bt/storage';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import type { Metainfo } from '@bt/metainfo';
import { describeDiskFailure } from './folder-checks.js';

afterAll(removeTempDirs);

const metainfo = {
  name: 'big.bin',
  multiFile: false,
  pieceLength: 16384,
  length: 3 * 1024 * 1024,
  pieces: new Uint8Array(20 * 192),
  files: [{ path: ['big.bin'], length: 3 * 1024 * 1024, offset: 0 }],
} as unknown as Metainfo;

function failure(code: 'no-space' | 'permission-denied', systemCode: string): SessionError {
  return new SessionError('storage-failed', 'writing piece 7 failed', {
    cause: new StorageError(code, `cannot write big.bin: ${systemCode}`, {
      path: 'big.bin',
      pieceIndex: 7,
      systemCode,
    }),
  });
}

describe('a disk that fails under a running torrent, in words', () => {
  it('a full disk: the figures, the file, and that the verified data is kept', async () => {
    const directory = await makeTempDir();
    const error = await describeDiskFailure(
      failure('no-space', 'ENOSPC'),
      metainfo,
      directory,
      1024 * 1024,
    );
    expect(error?.code).toBe('no-space');
    expect(error?.message).toMatch(
      new RegExp(
        `^disk full: \\d.* free, 3\\.00 MiB needed in ${directory} \\(big\\.bin\\); free some space, and 1\\.00 MiB verified is kept: run the same command again to resume$`,
      ),
    );
  });

  it('a quota, a file size limit, a read-only disk', async () => {
    const directory = await makeTempDir();
    const quota = await describeDiskFailure(failure('no-space', 'EDQUOT'), metainfo, directory, 0);
    expect(quota?.message).toMatch(/^disk quota exceeded in /);
    const limit = await describeDiskFailure(failure('no-space', 'EFBIG'), metainfo, directory, 0);
    expect(limit?.message).toMatch(/^file too large: the file size limit \(ulimit -f\)/);
    const readOnly = await describeDiskFailure(
      failure('permission-denied', 'EROFS'),
      metainfo,
      directory,
      0,
    );
    expect(readOnly?.message).toMatch(/^cannot write in .* \(big\.bin\): read-only file system; /);
  });

  it('leaves other failures alone', async () => {
    expect(
      await describeDiskFailure(new SessionError('peer-protocol', 'x'), metainfo, '/tmp', 0),
    ).toBeUndefined();
  });
});
