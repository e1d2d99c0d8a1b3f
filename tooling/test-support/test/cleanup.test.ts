/**
 * Nothing is left behind: a child vitest runs a test that holds a program (a process group with
 * a grandchild) and a temp folder, and the run is ended the ways a run really ends early: Ctrl-C
 * to the terminal's process group, SIGTERM to the runner (a cancelled CI job), and SIGKILL to the
 * test's worker (nothing runs in it). Each time, the group, the mount and the folder must be gone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupAlive } from '../src/cleanup.js';
import {
  makeTempDir,
  removeTempDirs,
  startProcess,
  stopAllProcesses,
  waitFor,
} from '../src/index.js';

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

const fixtures = join(import.meta.dirname, 'fixtures');
const vitest = join(
  createRequire(import.meta.url).resolve('vitest/package.json'),
  '..',
  'vitest.mjs',
);

interface Report {
  worker: number;
  group: number;
  folder: string;
  /** A tmpfs mounted inside `folder`, where the test may mount. */
  mount?: string;
}

const mounted = (path: string): boolean =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === path);

/** A child vitest running the hanging fixture, once it holds its program and folder. */
async function hangingRun() {
  const report = join(await makeTempDir('bt-orphan-report-'), 'report.json');
  const run = startProcess(
    process.execPath,
    [vitest, 'run', '--root', fixtures, '--config', join(fixtures, 'vitest.config.ts')],
    { env: { BT_ORPHAN_REPORT: report, CI: 'true' }, label: 'child vitest' },
  );
  await waitFor(() => existsSync(report) && readFileSync(report, 'utf8').endsWith('}'), {
    what: `the child run to start its program (output: ${run.output()})`,
  });
  const held = JSON.parse(readFileSync(report, 'utf8')) as Report;
  // the check below can fail: both are there before the run is ended
  expect(groupAlive(held.group)).toBe(true);
  expect(existsSync(held.folder)).toBe(true);
  if (held.mount !== undefined) expect(mounted(held.mount)).toBe(true);
  return { run, held };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function expectNothingLeft(held: Report): Promise<void> {
  const gone = (): boolean =>
    !alive(held.worker) && !groupAlive(held.group) && !existsSync(held.folder);
  await waitFor(gone, {
    intervalMs: 100,
    what: `test worker ${held.worker}, process group ${held.group} and ${held.folder} to go`,
  });
  expect(alive(held.worker)).toBe(false);
  expect(groupAlive(held.group)).toBe(false);
  expect(existsSync(held.folder)).toBe(false);
  if (held.mount !== undefined) expect(mounted(held.mount)).toBe(false);
}

describe('an aborted run leaves no process and no temp folder', () => {
  it('Ctrl-C: SIGINT to the whole process group of the run', async () => {
    const { run, held } = await hangingRun();
    process.kill(-run.child.pid!, 'SIGINT');
    await run.exited;
    await expectNothingLeft(held);
  });

  it('a cancelled job: SIGTERM to the runner alone', async () => {
    const { run, held } = await hangingRun();
    run.child.kill('SIGTERM');
    await run.exited;
    await expectNothingLeft(held);
  });

  it('a worker that dies running no code: SIGKILL to the test process', async () => {
    const { run, held } = await hangingRun();
    process.kill(held.worker, 'SIGKILL');
    await expectNothingLeft(held);
    await run.stop();
  });
});
