import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '@bt/primitives';
import { freePort, makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { startTrackers, torrentFor } from './tracker-fixtures.js';

describe('bt announce', () => {
  let trackers: Awaited<ReturnType<typeof startTrackers>>;
  let dir: string;
  let torrentPath: string;
  let infoHashHex: string;

  beforeAll(async () => {
    trackers = await startTrackers();
    dir = await makeTempDir('bt-announce-');
    const torrent = torrentFor([trackers.http, trackers.udp]);
    torrentPath = join(dir, 'payload.torrent');
    infoHashHex = toHex(torrent.infoHash);
    await writeFile(torrentPath, torrent.bytes);
  });
  afterAll(async () => {
    await trackers.close();
    await removeTempDirs();
  });

  it("announces over HTTP (the torrent's first tracker) and over UDP, and each sees the other", async () => {
    const first = await runCli(['announce', torrentPath, '--port', '7001', '--json'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const firstJson = JSON.parse(first.stdout);
    expect(firstJson).toMatchObject({
      tracker: trackers.http,
      infoHash: infoHashHex,
      complete: 0,
      incomplete: 1,
      peers: [],
    });

    const second = await runCli([
      'announce',
      infoHashHex,
      '--tracker',
      trackers.udp,
      '--port',
      '7002',
      '--left',
      '0',
      '--json',
    ]);
    expect(second.code, second.stderr).toBe(0);
    const secondJson = JSON.parse(second.stdout);
    expect(secondJson).toMatchObject({ tracker: trackers.udp, complete: 1, incomplete: 1 });
    expect(secondJson.peers).toEqual([{ host: '127.0.0.1', port: 7001, family: 4, peerId: null }]);

    const text = await runCli(
      ['announce', torrentPath, '--tracker', trackers.http, '--port', '7003'],
      { cwd: dir },
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('1 seeders, 2 leechers');
    expect(text.stdout).toContain('127.0.0.1:7002');
    expect(text.stdout).toMatch(/2 peers:/);
  });

  it('--event stopped with the same --peer-id leaves the swarm', async () => {
    const peerId = '2d4254303030312d' + 'ab'.repeat(12);
    await runCli([
      'announce',
      infoHashHex,
      '--tracker',
      trackers.http,
      '--peer-id',
      peerId,
      '--port',
      '7010',
    ]);
    const before = trackers.registry.scrape([Buffer.from(infoHashHex, 'hex')])[0]!;
    const stopped = await runCli([
      'announce',
      infoHashHex,
      '--tracker',
      trackers.http,
      '--peer-id',
      peerId,
      '--event',
      'stopped',
    ]);
    expect(stopped.code).toBe(0);
    const after = trackers.registry.scrape([Buffer.from(infoHashHex, 'hex')])[0]!;
    expect(after.incomplete).toBe(before.incomplete - 1);
  });

  it("a refusal is exit 1 with the tracker's words; an unreachable tracker is exit 3", async () => {
    const guarded = await startTrackers({ allowList: [new Uint8Array(20)] });
    try {
      const refused = await runCli(['announce', infoHashHex, '--tracker', guarded.http]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/tracker refused: .*not/);
      const refusedUdp = await runCli([
        'announce',
        infoHashHex,
        '--tracker',
        guarded.udp,
        '--json',
      ]);
      expect(refusedUdp.code).toBe(1);
      expect(JSON.parse(refusedUdp.stdout).error.code).toBe('tracker-error');
    } finally {
      await guarded.close();
    }
    const port = await freePort();
    const unreachable = await runCli([
      'announce',
      infoHashHex,
      '--tracker',
      `http://127.0.0.1:${port}/announce`,
      '--json',
    ]);
    expect(unreachable.code).toBe(3);
    expect(JSON.parse(unreachable.stdout).error.code).toBe('network');
  });

  it('rejects wrong command lines with exit 2', async () => {
    expect((await runCli(['announce', infoHashHex])).code).toBe(2); // no tracker
    expect(
      (await runCli(['announce', infoHashHex, '--tracker', trackers.http, '--event', 'began']))
        .code,
    ).toBe(2);
    expect((await runCli(['announce', infoHashHex, '--tracker', 'ftp://x/announce'])).code).toBe(2);
    expect(
      (await runCli(['announce', infoHashHex, '--tracker', trackers.http, '--port', '70000'])).code,
    ).toBe(2);
    const help = await runCli(['announce', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });
});
