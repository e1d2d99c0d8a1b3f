/**
 * Kill-and-resume: a child process downloads through the file storage and is killed with
 * SIGKILL at random instants; after each kill a recheck must find every piece the child
 * reported complete, and every piece the recheck accepts must equal the true content byte for
 * byte (no corrupt or torn piece ever counts). The last run finishes the download.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  bundleScript,
  makeTempDir,
  removeTempDirs,
  startProcess,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileStorage, createHashPool } from '../src/index.js';
import { makeTorrent } from './make-layout.js';

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe('kill and resume', () => {
  it('loses at most unreported pieces and never accepts a corrupt one', async () => {
    const script = await bundleScript(join(import.meta.dirname, 'writer-process.ts'));
    const work = await makeTempDir('bt-kill-');
    const directory = join(work, 'downloads');
    // A child killed before it starts leaves nothing: the parent's recheck needs the folder.
    await mkdir(directory);
    const files = [
      { path: ['a.bin'], length: 700_000 },
      { path: ['empty'], length: 0 },
      { path: ['sub', 'b.bin'], length: 33_333 },
      { path: ['sub', 'deeper', 'c.bin'], length: 3_200_001 },
      { path: ['z.bin'], length: 5 },
    ];
    const torrent = makeTorrent({ name: 'resume', pieceLength: 16384, files });
    const { layout, data } = torrent;
    await writeFile(
      join(work, 'layout.json'),
      JSON.stringify({ ...layout, pieces: Buffer.from(layout.pieces).toString('hex') }),
    );
    await writeFile(join(work, 'source.bin'), data);

    const pool = createHashPool({ size: 2 });
    const reported = new Set<number>();
    let kills = 0;
    let finished = false;
    for (let round = 0; round < 16 && !finished; round++) {
      const last = round >= 12;
      const args = [
        script,
        join(work, 'layout.json'),
        join(work, 'source.bin'),
        directory,
        `${round}`,
        last ? '0' : '20',
      ];
      const child = startProcess(process.execPath, args, { label: `writer ${round}` });
      if (!last) {
        // Kill at a random instant once the child is writing: after its first report (an
        // event, however slow the machine is to start it), plus a random extra.
        await waitFor(
          () => /^(complete \d+|done)$/m.test(child.output()) || child.child.exitCode !== null,
          { intervalMs: 5, what: `writer ${round} to report a piece` },
        );
        const wait = randomBytes(2).readUInt16BE(0) % 300;
        await new Promise((resolve) => setTimeout(resolve, wait));
        await child.stop('SIGKILL');
      }
      await child.exited;
      const output = child.output();
      if (/^complete /m.test(output) && !output.includes('done')) kills++;
      for (const match of output.matchAll(/^complete (\d+)$/gm)) reported.add(Number(match[1]));
      expect(output.slice(-3000)).not.toMatch(/Error|verified/);
      if (process.env.DEBUG_KILL) console.log(round, summarize(output));
      finished = output.includes('\ndone\n') || output.startsWith('done');

      const storage = await createFileStorage({
        layout,
        directory,
        hashPool: pool,
        readOnly: true,
      });
      const verified = await storage.recheck();
      await storage.close();
      for (const index of reported)
        expect(verified.has(index), `reported piece ${index} lost`).toBe(true);
      for (const index of verified.indices()) {
        const start = index * layout.pieceLength;
        const end = Math.min(layout.length, start + layout.pieceLength);
        const piece = new Uint8Array(end - start);
        let position = 0;
        for (const [fileIndex, file] of layout.files.entries()) {
          const overlapStart = Math.max(start, file.offset);
          const overlapEnd = Math.min(end, file.offset + file.length);
          if (overlapEnd <= overlapStart) continue;
          const bytes = await readFile(
            join(directory, 'resume', ...(files[fileIndex]?.path ?? [])),
          );
          piece.set(
            bytes.subarray(overlapStart - file.offset, overlapEnd - file.offset),
            overlapStart - start,
          );
          position += overlapEnd - overlapStart;
        }
        expect(position).toBe(end - start);
        expect(
          Buffer.compare(piece, data.subarray(start, end)),
          `piece ${index} accepted but wrong`,
        ).toBe(0);
      }
    }
    await pool.close();
    // Killed mid-download (after some pieces were reported) several times.
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(finished).toBe(true);
    let offset = 0;
    for (const file of files) {
      const bytes = await readFile(join(directory, 'resume', ...file.path));
      expect(Buffer.compare(bytes, data.subarray(offset, offset + file.length))).toBe(0);
      offset += file.length;
    }
  });
});
function summarize(output: string): string {
  return `${output.split('\n')[0]} complete=${(output.match(/complete/g) ?? []).length} rejected=${(output.match(/rejected/g) ?? []).length} tail=${output.slice(-60).replace(/\n/g, '|')}`;
}
