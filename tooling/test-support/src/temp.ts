/**
 * Temporary folders under the OS temp dir (`/tmp/bt-*`), removed by `removeTempDirs` (call it
 * in afterAll) and, whatever happens to the test process, on its way out (see `cleanup.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseFolder, trackFolder } from './cleanup.js';

const created: string[] = [];

export async function makeTempDir(prefix = 'bt-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  trackFolder(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  const dirs = created.splice(0);
  await Promise.all(
    dirs.map(async (dir) => {
      await rm(dir, { recursive: true, force: true });
      releaseFolder(dir);
    }),
  );
}
