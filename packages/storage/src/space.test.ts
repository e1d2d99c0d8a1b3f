import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTorrent } from '../test/make-layout.js';
import { measureSpace } from './index.js';

afterAll(() => removeTempDirs());

describe('measureSpace', () => {
  it('counts every byte as needed in an empty folder, and the disk free space there', async () => {
    const directory = await makeTempDir();
    const torrent = makeTorrent({
      name: 't',
      pieceLength: 16384,
      files: [
        { path: ['a'], length: 100_000 },
        { path: ['pad'], length: 30_000, padding: true },
        { path: ['d', 'b'], length: 50_000 },
      ],
    });
    const report = await measureSpace(torrent.layout, join(directory, 'not', 'made', 'yet'));
    expect(report.needed).toBe(150_000);
    expect(report.largestFile).toBe(100_000);
    const stats = statfsSync(directory);
    // the same disk, give or take what other processes wrote meanwhile
    expect(report.free).toBeGreaterThan(0);
    expect(Math.abs(report.free - stats.bavail * stats.bsize)).toBeLessThan(1024 ** 3);
  });

  it('subtracts what is already written, but not a sparse file that holds nothing', async () => {
    const directory = await makeTempDir();
    const torrent = makeTorrent({
      name: 't',
      pieceLength: 16384,
      files: [
        { path: ['a'], length: 100_000 },
        { path: ['b'], length: 50_000 },
      ],
    });
    await mkdir(join(directory, 't'));
    await writeFile(join(directory, 't', 'a'), torrent.data.subarray(0, 100_000));
    await writeFile(join(directory, 't', 'b'), '');
    await truncate(join(directory, 't', 'b'), 50_000);
    const report = await measureSpace(torrent.layout, directory);
    expect(report.needed).toBe(50_000);
  });
});
