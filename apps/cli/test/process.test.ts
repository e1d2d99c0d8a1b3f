/**
 * What only the real `bt` process shows: exit codes per signal, a closed stdout (`| head`) that
 * ends the command quietly and cleanly, a file size limit checked before the download starts.
 * Each test waits on what the process prints, never on time.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeTempDirs, requireProgram, stopAllProcesses } from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { ariaSeeder, fixture } from './aria-fixtures.js';
import { startBt } from './bt-process.js';
import { startRecordingTracker } from './recording-tracker.js';
import { runCli } from './run-cli.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');
const prlimit = requireProgram('prlimit', 'util-linux');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

/** No stack trace, no raw system error. */
function expectQuiet(stderr: string): void {
  expect(stderr).not.toMatch(/EPIPE|Error:|\n\s+at /);
}

describe('exit codes per signal', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} stops a running command cleanly with ${code}`, async () => {
      const bt = await startBt(['tracker', '--http-port', '0', '--udp-port', '0']);
      await bt.waitForOutput(/listening at/);
      bt.process.child.kill(signal);
      expect(await bt.exited).toBe(code);
      expect(bt.stdout()).toContain('tracker: stopped');
      expectQuiet(bt.stderr());
    });
  }
});

describe('a closed stdout', () => {
  it('bt demo --json | head -3: ends quietly with 141 and removes its temporary folder', async () => {
    const temp = await makeTempDir('bt-demo-tmp-');
    const bt = await startBt(['demo', '--json', '--size', '8'], {
      env: { TMPDIR: temp },
    });
    await bt.waitForOutput(/(.*\n){3}/);
    // the reader goes away, as `head -3` does after its third line
    bt.process.child.stdout!.destroy();
    expect(await bt.exited).toBe(141);
    expectQuiet(bt.stderr());
    expect(await readdir(temp)).toEqual([]);
  });

  describe.skipIf(!aria2 || !mktorrent)('with aria2c seeding', () => {
    it('bt download --json | head: stops cleanly (stopped announce, verified data kept), quietly, 141', async () => {
      const tracker = await startRecordingTracker();
      try {
        const { seedDir, payload, torrent } = await fixture(4 * 1024 * 1024, tracker.url);
        const seeder = await ariaSeeder(torrent, seedDir, '512K');
        const out = await makeTempDir();
        const args = ['download', torrent, '-o', out, '--port', '0'];
        const bt = await startBt([...args, '--peer', `127.0.0.1:${seeder.port}`, '--json']);
        await bt.waitForOutput(/"type":"piece-verified"/);
        bt.process.child.stdout!.destroy();
        expect(await bt.exited).toBe(141);
        expectQuiet(bt.stderr());
        expect(tracker.events).toContain('started');
        expect(tracker.events).toContain('stopped');
        // what was verified before the stop is on disk: the next run starts from it
        const again = await runCli([...args, '--peer', `127.0.0.1:${seeder.port}`]);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stderr).toMatch(/checked: .* already on disk, verified: resuming/);
        expect(
          Buffer.compare(await readFile(join(out, 'payload.bin')), await readFile(payload)),
        ).toBe(0);
        await seeder.child.stop();
      } finally {
        await tracker.close();
      }
    });

    it('SIGHUP and SIGTERM stop a download like Ctrl-C: stopped announce, 129 and 143', async () => {
      const tracker = await startRecordingTracker();
      try {
        const { seedDir, torrent } = await fixture(4 * 1024 * 1024, tracker.url);
        const seeder = await ariaSeeder(torrent, seedDir, '256K');
        for (const [signal, code] of [
          ['SIGHUP', 129],
          ['SIGTERM', 143],
        ] as const) {
          tracker.events.length = 0;
          const out = await makeTempDir();
          const bt = await startBt([
            'download',
            torrent,
            '-o',
            out,
            '--port',
            '0',
            '--peer',
            `127.0.0.1:${seeder.port}`,
            '--json',
          ]);
          // the tracker has answered `started`: it must now hear `stopped`
          await bt.waitForOutput(/"type":"tracker-announced"/);
          bt.process.child.kill(signal);
          expect(await bt.exited).toBe(code);
          expect(tracker.events).toContain('stopped');
          expect(bt.stdout()).toContain('stopped; run the same command again to resume');
          expectQuiet(bt.stderr());
        }
        await seeder.child.stop();
      } finally {
        await tracker.close();
      }
    });
  });
});

describe.skipIf(!prlimit || !mktorrent)('a file size limit (prlimit --fsize)', () => {
  it('is reported before the download starts, with what to do', async () => {
    const { torrent } = await fixture(1024 * 1024, 'http://127.0.0.1:9/announce');
    const out = await makeTempDir();
    const bt = await startBt(['download', torrent, '-o', out, '--port', '0'], {
      prefix: [prlimit!, '--fsize=300000'],
    });
    expect(await bt.exited).toBe(3);
    expect(bt.stderr()).toMatch(
      /^bt download: the file size limit \(ulimit -f\) is 293 KiB, and this torrent has a file of 1\.00 MiB; raise the limit/,
    );
    expect(await readdir(out)).toEqual([]);
  });
});
