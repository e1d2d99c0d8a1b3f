import { readdir, writeFile } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { FileHandles } from './file-handles.js';

afterAll(removeTempDirs);

const openDescriptors = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

describe('open-file cache', () => {
  it('never leaks or hands out a closed handle under concurrent use with a tiny limit', async () => {
    const directory = await makeTempDir();
    const files = 40;
    for (let index = 0; index < files; index++)
      await writeFile(join(directory, `${index}`), new Uint8Array(64));
    const baseline = await openDescriptors();
    let opened = 0;
    const handles = new FileHandles(2, async (fileIndex, mode) => {
      opened++;
      return open(join(directory, `${fileIndex}`), mode === 'write' ? 'r+' : 'r');
    });
    let state = 7;
    const next = (limit: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return Math.floor((state / 2147483648) * limit);
    };
    const work = Array.from({ length: 3000 }, async (_, task) => {
      // Staggered starts keep openings, evictions and closes interleaving.
      for (let wait = task % 7; wait > 0; wait--)
        await new Promise((resolve) => setImmediate(resolve));
      const fileIndex = next(files);
      const entry = await handles.acquire(fileIndex, next(2) === 0 ? 'read' : 'write');
      try {
        expect(entry.closed).toBe(false);
        const { bytesRead } = await entry.handle.read(new Uint8Array(8), 0, 8, 0);
        expect(bytesRead).toBe(8);
      } finally {
        await handles.release(entry);
      }
    });
    await Promise.all(work);
    expect(opened).toBeGreaterThan(files);
    expect(handles.size).toBeLessThanOrEqual(2);
    await handles.closeAll();
    expect(handles.size).toBe(0);
    expect(await openDescriptors()).toBe(baseline);
  });
});
