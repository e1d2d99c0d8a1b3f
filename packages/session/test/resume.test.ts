/**
 * Kill -9 in the middle of a download, start again, finish: the file is correct, every piece
 * reported verified before the kill is found on disk by the recheck, and no verified piece is
 * fetched again.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  startProcess,
  stopAllProcesses,
  waitFor,
  waitForExit,
} from '@bt/test-support';
import { bundleChild } from './child-client.js';
import { makePayload, makeTorrent, sha1File, startAria2Seeder } from './helpers.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

interface ChildLine {
  type: string;
  piecesHave?: number;
  downloaded?: number;
}

function lines(output: string): ChildLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ChildLine);
}

describe.skipIf(!aria2 || !mktorrent)('kill -9 and resume', () => {
  it('finishes after a hard kill without refetching verified pieces', async () => {
    const work = await makeTempDir();
    const seedDir = await makeTempDir();
    const leechDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', 8 * 1024 * 1024 + 5);
    const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'payload.torrent'), {
      pieceLengthLog2: 16,
    });
    const seeder = await startAria2Seeder(file, seedDir, { uploadLimit: '2M' });
    const child = await bundleChild(work);
    const peer = `127.0.0.1:${seeder.port}`;

    const first = startProcess('node', [child, file, leechDir, peer]);
    await waitFor(
      () => lines(first.output()).filter((line) => line.type === 'piece').length >= 20,
      {
        timeoutMs: PATIENCE_MS,
        what: 'twenty verified pieces',
      },
    );
    await first.stop('SIGKILL');
    const verifiedBeforeKill = lines(first.output()).filter((line) => line.type === 'piece').length;
    expect(verifiedBeforeKill).toBeLessThan(metainfo.pieceCount);

    const second = startProcess('node', [child, file, leechDir, peer]);
    const code = await waitForExit(second);
    expect(code, second.output()).toBe(0);
    const output = lines(second.output());
    const checked = output.find((line) => line.type === 'checked')!;
    expect(checked.piecesHave).toBeGreaterThanOrEqual(verifiedBeforeKill);
    const done = output.find((line) => line.type === 'done')!;
    const missing = metainfo.pieceCount - checked.piecesHave!;
    expect(done.downloaded).toBeLessThanOrEqual(missing * metainfo.pieceLength);
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    await seeder.process.stop();
  });
});
