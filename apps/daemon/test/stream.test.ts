/**
 * btd serves files of its torrents at `/stream/<info-hash>/<file index>` while they download
 * (the handler `bt stream` uses, from `@bt/session/node`), behind the RPC's authentication and
 * whitelist. The torrent downloads from a rate-limited aria2c found through opentracker.
 */
import { readFile } from 'node:fs/promises';
import {
  makeTempDir,
  PATIENCE_MS,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { startBtd, torrentByHash } from './btd-process.js';
import { ariaSeeder, makeSwarm } from './fixtures.js';

const programs = ['aria2c', 'opentracker', 'mktorrent'].map((name) =>
  requireProgram(name, name === 'aria2c' ? 'aria2' : name),
);

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe.skipIf(programs.some((path) => path === undefined))('btd stream URL', () => {
  it('serves ranges of a downloading torrent to an authenticated client, and refuses the others', async () => {
    const size = 12 * 1024 * 1024 + 4321;
    const swarm = await makeSwarm('clip.webm', size);
    // ~1 MiB/s: the download still runs when the answers come
    await ariaSeeder(swarm, '1M');
    const btd = await startBtd({
      downloadDir: await makeTempDir('bt-btd-dl-'),
      args: ['-t', '-u', 'me', '-v', 'secret'],
      credentials: 'me:secret',
    });
    await btd.waitForLog(/streams on http/);
    const added = await btd.rpc('torrent-add', {
      metainfo: Buffer.from(await readFile(swarm.torrent)).toString('base64'),
    });
    expect(added.result).toBe('success');
    const url = `http://127.0.0.1:${btd.rpcPort}/stream/${swarm.infoHash}/0`;
    const auth = { Authorization: `Basic ${btoa('me:secret')}` };

    expect((await fetch(url)).status).toBe(401);
    const start = Math.floor(size * 0.6);
    const end = start + 200_000;
    const answer = await fetch(url, {
      headers: { ...auth, Range: `bytes=${start}-${end}` },
      signal: AbortSignal.timeout(PATIENCE_MS),
    });
    expect(answer.status).toBe(206);
    expect(answer.headers.get('content-type')).toBe('video/webm');
    expect(answer.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
    const body = Buffer.from(await answer.arrayBuffer());
    // asked after the answer arrived: the torrent was not complete when it did
    const progress = await torrentByHash(btd, swarm.infoHash, ['percentDone']);
    expect(progress?.percentDone).toBeLessThan(1);
    expect(body.equals(Buffer.from(swarm.bytes.subarray(start, end + 1)))).toBe(true);
    const head = await fetch(url, { method: 'HEAD', headers: auth });
    expect(head.headers.get('content-length')).toBe(String(size));
    expect((await fetch(`${url.slice(0, -1)}7`, { method: 'HEAD', headers: auth })).status).toBe(
      404,
    );
    await btd.process.stop();

    // a whitelist that leaves loopback out refuses the stream as it refuses the RPC
    const fenced = await startBtd({
      configDir: btd.configDir,
      args: ['-a', '10.9.9.9'],
    });
    expect(
      (await fetch(`http://127.0.0.1:${fenced.rpcPort}/stream/${swarm.infoHash}/0`)).status,
    ).toBe(403);
  });
});
