/**
 * transmission-remote (Debian's transmission-cli, 3.00) drives btd: each operation is checked
 * against what btd really did (bytes on disk, state through the RPC, state after a restart).
 * A torrent downloads from an aria2c seeder found through opentracker.
 */
import { createServer } from 'node:http';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTorrent } from '@bt/metainfo';
import {
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { remote, startBtd, torrentByHash } from './btd-process.js';
import { ariaSeeder, makeSwarm } from './fixtures.js';

const programs = ['transmission-remote', 'aria2c', 'opentracker', 'mktorrent'].map((name) =>
  requireProgram(name, name === 'transmission-remote' ? 'transmission-cli' : name),
);

afterAll(async () => {
  await stopAllProcesses();
  await removeTempDirs();
});

describe.skipIf(programs.some((path) => path === undefined))(
  'transmission-remote drives btd',
  () => {
    it('adds a file, downloads it from aria2, lists, stops, starts, limits, verifies, moves, and keeps it all across a restart', async () => {
      const swarm = await makeSwarm('payload.bin', 3 * 1024 * 1024 + 12345);
      await ariaSeeder(swarm);
      const downloads = await makeTempDir('bt-btd-dl-');
      const btd = await startBtd({ downloadDir: downloads });

      const added = await remote(btd, '-a', swarm.torrent);
      expect(added.output).toMatch(/success/);
      await waitFor(
        async () =>
          (await torrentByHash(btd, swarm.infoHash, ['percentDone']))?.percentDone === 1 ||
          undefined,
        {
          what: 'the download from aria2 to finish',
        },
      );
      expect(new Uint8Array(await readFile(join(downloads, 'payload.bin')))).toEqual(
        new Uint8Array(swarm.bytes),
      );
      const listed = await remote(btd, '-l');
      expect(listed.output).toMatch(/1\s+100%.*payload\.bin/);

      const info = await remote(btd, '-t', '1', '-i');
      expect(info.output).toContain(`Hash: ${swarm.infoHash}`);
      expect(info.output).toMatch(/Percent Done: 100%/);
      const files = await remote(btd, '-t', '1', '-f');
      expect(files.output).toMatch(/0: 100%.*payload\.bin/);

      await remote(btd, '-t', '1', '-S');
      expect((await torrentByHash(btd, swarm.infoHash, ['status']))?.status).toBe(0);
      expect((await remote(btd, '-l')).output).toMatch(/Stopped\s+payload\.bin/);
      await remote(btd, '-t', '1', '-s');
      await waitFor(
        async () =>
          (await torrentByHash(btd, swarm.infoHash, ['status']))?.status === 6 || undefined,
        { what: 'seeding again' },
      );

      await remote(btd, '-t', '1', '-d', '120', '-u', '60');
      expect(
        await torrentByHash(btd, swarm.infoHash, [
          'downloadLimit',
          'downloadLimited',
          'uploadLimit',
          'uploadLimited',
        ]),
      ).toEqual({
        downloadLimit: 120,
        downloadLimited: true,
        uploadLimit: 60,
        uploadLimited: true,
      });
      await remote(btd, '-as');
      expect((await btd.rpc('session-get')).arguments['alt-speed-enabled']).toBe(true);
      await remote(btd, '-AS');

      await remote(btd, '-t', '1', '-v');
      await waitFor(
        async () =>
          (await torrentByHash(btd, swarm.infoHash, ['status', 'percentDone']))?.status === 6 ||
          undefined,
        { what: 'the recheck' },
      );
      expect(btd.output()).toMatch(/data hashed/);

      const moved = await makeTempDir('bt-btd-moved-');
      await remote(btd, '-t', '1', '--move', moved);
      await waitFor(
        async () =>
          (await torrentByHash(btd, swarm.infoHash, ['downloadDir']))?.downloadDir === moved ||
          undefined,
        { what: 'the move' },
      );
      expect(new Uint8Array(await readFile(join(moved, 'payload.bin')))).toEqual(
        new Uint8Array(swarm.bytes),
      );
      await expect(access(join(downloads, 'payload.bin'))).rejects.toThrow();

      const sessionInfo = await remote(btd, '-si');
      expect(sessionInfo.output).toMatch(/Daemon version: 4\.1\.0 \(btd/);
      expect(sessionInfo.output).toContain(`Listenport: ${btd.peerPort}`);
      const stats = await remote(btd, '-st');
      expect(stats.output).toMatch(/Downloaded:\s+3\.1\d MB/);
      const port = await remote(btd, '-pt');
      expect(port.output).toMatch(/Port is open: (Yes|No)/);

      await btd.rpc('torrent-set', { ids: [swarm.infoHash], labels: ['linux', 'iso'] });
      await remote(btd, '-t', '1', '-S');
      // a clean stop, then the same folder again: the torrent, its state and its data are back
      await btd.process.stop('SIGTERM');
      await btd.process.exited;
      const again = await startBtd({ configDir: btd.configDir });
      await again.waitForLog(/1 torrents loaded/);
      expect(
        await torrentByHash(again, swarm.infoHash, [
          'status',
          'labels',
          'downloadDir',
          'uploadLimit',
          'downloadedEver',
          'percentDone',
        ]),
      ).toMatchObject({
        status: 0,
        labels: ['linux', 'iso'],
        downloadDir: moved,
        uploadLimit: 60,
        percentDone: 1,
      });
      const cumulative = (await again.rpc('session-stats')).arguments['cumulative-stats'] as Record<
        string,
        number
      >;
      expect(cumulative.sessionCount).toBe(2);
      expect(cumulative.downloadedBytes).toBeGreaterThanOrEqual(swarm.bytes.length);

      await remote(again, '-t', '1', '--remove-and-delete');
      await waitFor(
        async () => {
          try {
            await access(join(moved, 'payload.bin'));
            return undefined;
          } catch {
            return true;
          }
        },
        { what: 'the data to be deleted' },
      );
      expect((await again.rpc('torrent-get', { fields: ['id'] })).arguments.torrents).toEqual([]);
    });

    it('adds a .torrent by URL and a magnet (metadata from an aria2 seeder), and requires the password when auth is on', async () => {
      const swarm = await makeSwarm('small.bin', 100_000);
      const body = await readFile(swarm.torrent);
      const web = createServer((_request, response) => response.end(body));
      await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
      const webPort = (web.address() as { port: number }).port;
      try {
        const btd = await startBtd({
          downloadDir: await makeTempDir('bt-btd-dl-'),
          args: ['-t', '-u', 'me', '-v', 'secret'],
          credentials: 'me:secret',
        });
        const refused = await remote(btd, '-l');
        expect(refused.output).toMatch(/401|Unauthorized/);
        const url = await remote(
          btd,
          '-n',
          'me:secret',
          '-a',
          `http://127.0.0.1:${webPort}/small.torrent`,
        );
        expect(url.output).toMatch(/success/);
        expect(await torrentByHash(btd, swarm.infoHash, ['name'])).toEqual({ name: 'small.bin' });
        // a magnet: the metadata comes from an aria2c seeder (BEP 9), then the data
        const seeded = await makeSwarm('from-magnet.bin', 300_000);
        await ariaSeeder(seeded);
        const tracker = parseTorrent(await readFile(seeded.torrent)).announce[0]![0]!;
        const link = `magnet:?xt=urn:btih:${seeded.infoHash}&dn=from-magnet.bin&tr=${encodeURIComponent(tracker)}`;
        const magnet = await remote(btd, '-n', 'me:secret', '-a', link);
        expect(magnet.output).toMatch(/success/);
        const listed = await remote(btd, '-n', 'me:secret', '-l');
        expect(listed.output).toMatch(/small\.bin/);
        expect(listed.output).toMatch(/from-magnet\.bin/);
        await waitFor(
          async () => {
            const row = await torrentByHash(btd, seeded.infoHash, ['percentDone', 'status']);
            return row?.percentDone === 1 && row.status === 6 ? true : undefined;
          },
          { what: 'the magnet torrent downloaded and seeding' },
        );
        const got = await torrentByHash(btd, seeded.infoHash, [
          'metadataPercentComplete',
          'totalSize',
          'magnetLink',
          'downloadDir',
        ]);
        expect(got).toMatchObject({ metadataPercentComplete: 1, totalSize: 300_000 });
        expect(
          Buffer.compare(
            await readFile(join(got!.downloadDir as string, 'from-magnet.bin')),
            seeded.bytes,
          ),
        ).toBe(0);
        // the .torrent is kept (with the link's tracker) for the next start
        const saved = parseTorrent(
          await readFile(join(btd.configDir, 'torrents', `${seeded.infoHash}.torrent`)),
        );
        expect(saved.announce).toEqual([[tracker]]);
        // the password is stored hashed in settings.json
        const settings = JSON.parse(
          await readFile(join(btd.configDir, 'settings.json'), 'utf8'),
        ) as Record<string, unknown>;
        expect(settings['rpc-password']).toMatch(/^\{[0-9a-f]{40}/);
        expect(JSON.stringify(settings)).not.toContain('secret');
      } finally {
        web.close();
      }
    });
  },
);
