/**
 * Web seeds against servers nobody here wrote: nginx (Debian `nginx-light`) serves the payload
 * of torrents made by mktorrent with `-w` (BEP 19 `url-list`), single- and multi-file, alone and
 * beside an aria2 seeder; seeds that answer 404, stall or lie are backed off or banned while
 * the download completes from the others. BEP 17 (`httpseeds`), which no maintained server
 * speaks, is served by a small script written here that sometimes answers 503 with a wait.
 * Bytes are compared with the originals every time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  startNginx,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import { createSession, type Session, type Torrent } from '../src/index.js';
import {
  MULTI_FILE,
  MULTI_FILE_PATHS,
  makePayload,
  makeTorrent,
  sameFiles,
  sha1File,
  startAria2Seeder,
} from './helpers.js';

const nginx = requireProgram('nginx', 'nginx-light');
const mktorrent = requireProgram('mktorrent');
const aria2 = requireProgram('aria2c', 'aria2');

const sessions: Session[] = [];
const servers: Server[] = [];
async function session(options: { snubTimeoutMs?: number } = {}): Promise<Session> {
  const created = await createSession({ port: 0, host: '127.0.0.1', ...options });
  sessions.push(created);
  return created;
}

afterAll(async () => {
  await Promise.allSettled(sessions.map((s) => s.close()));
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await stopAllProcesses();
  await removeTempDirs();
});

/** A web-seed row of the torrent's source table. */
function source(torrent: Torrent, url: string) {
  return torrent.stats().sources.find((row) => row.source === url);
}

/** Where each peer's bytes came from, by label (a web seed's is its URL). */
function watchPeers(torrent: Torrent): Set<string> {
  const seen = new Set<string>();
  torrent.on('peer-connected', ({ address }) => seen.add(address));
  return seen;
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.skipIf(!nginx || !mktorrent)('BEP 19 web seeds served by nginx', () => {
  it('downloads a single-file torrent (mktorrent -w) from nginx alone', async () => {
    const seedDir = await makeTempDir();
    const leechDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', 3_000_017);
    const server = await startNginx({ program: nginx!, root: seedDir });
    const url = `${server.url}payload.bin`;
    const { metainfo } = await makeTorrent(payload, join(seedDir, 'payload.torrent'), {
      webSeeds: [url],
      pieceLengthLog2: 16,
    });
    expect(metainfo.urlList).toEqual([url]);
    const ours = await session();
    const torrent = await ours.addTorrent(metainfo, { directory: leechDir, seed: false });
    const peers = watchPeers(torrent);
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    expect([...peers]).toEqual([url]);
    expect(torrent.stats().hashFailures).toBe(0);
  });

  it('downloads a multi-file torrent from a folder URL (name and paths appended)', async () => {
    const seedDir = await makeTempDir();
    const leechDir = await makeTempDir();
    await makePayload(seedDir, 'multi', MULTI_FILE);
    const server = await startNginx({ program: nginx!, root: seedDir });
    const { metainfo } = await makeTorrent(join(seedDir, 'multi'), join(seedDir, 'm.torrent'), {
      webSeeds: [server.url],
    });
    const ours = await session();
    const torrent = await ours.addTorrent(metainfo, { directory: leechDir, seed: false });
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sameFiles(seedDir, leechDir, MULTI_FILE_PATHS)).toBe(true);
  });

  it.skipIf(!aria2)(
    'downloads from nginx and an aria2 seeder at once, past a 404 and a seed that stalls',
    async () => {
      const seedDir = await makeTempDir();
      const leechDir = await makeTempDir();
      await makePayload(seedDir, 'multi', MULTI_FILE);
      // nginx serves the first two of the four files (mktorrent sorts them: a/b/two.bin,
      // a/one.bin, four.bin, three.bin); the rest can only come from aria2
      const server = await startNginx({
        program: nginx!,
        root: seedDir,
        accessLog: true,
        serverConfig: 'location ~ (three|four)\\.bin$ { return 404; }',
      });
      const missing = `${server.url}nothing-here/`;
      const { metainfo, file } = await makeTorrent(
        join(seedDir, 'multi'),
        join(seedDir, 'm.torrent'),
        { webSeeds: [server.url, missing] },
      );
      // answers nothing, ever: its requests go to the others once it counts as snubbed
      const stallerUrl = `${await listen(createServer(() => undefined))}/`;
      const ours = await session({ snubTimeoutMs: 2000 });
      const torrent = await ours.addTorrent(metainfo, {
        directory: leechDir,
        seed: false,
        webSeeds: [stallerUrl],
      });
      const peers = watchPeers(torrent);
      // the first piece can only come from nginx; the files it lacks only from aria2
      await waitFor(() => torrent.stats().piecesHave > 0, { what: 'a piece from nginx' });
      const seeder = await startAria2Seeder(file, seedDir);
      torrent.addPeers([{ host: '127.0.0.1', port: seeder.port, family: 4 }]);
      await waitFor(() => source(torrent, missing)?.message?.includes('404'), {
        what: 'the 404 web seed backed off',
      });
      await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      expect(await sameFiles(seedDir, leechDir, MULTI_FILE_PATHS)).toBe(true);
      expect(peers.has(server.url)).toBe(true);
      expect(peers.has(`127.0.0.1:${seeder.port}`)).toBe(true);
      // nginx served ranges of the files it has (access log: status, method, path, Range)
      const log = await readFile(server.accessLog, 'utf8');
      expect(log).toMatch(/^206 GET \/multi\/a\/b\/two\.bin bytes=\d+-\d+$/m);
      expect(source(torrent, missing)?.state).toBe('error');
    },
  );

  it.skipIf(!aria2)(
    'bans a web seed whose bytes fail the hash, and completes from a peer',
    async () => {
      const seedDir = await makeTempDir();
      const liarDir = await makeTempDir();
      const leechDir = await makeTempDir();
      const payload = await makePayload(seedDir, 'payload.bin', 1_000_000);
      await mkdir(join(liarDir, 'liar'));
      await writeFile(join(liarDir, 'liar', 'payload.bin'), randomBytes(1_000_000));
      const server = await startNginx({ program: nginx!, root: liarDir });
      const liar = `${server.url}liar/payload.bin`;
      const { metainfo, file } = await makeTorrent(payload, join(seedDir, 'p.torrent'), {
        webSeeds: [liar],
      });
      const ours = await session();
      const torrent = await ours.addTorrent(metainfo, { directory: leechDir, seed: false });
      // alone, the liar sends each piece by itself: struck, backed off, banned at the second
      await waitFor(() => source(torrent, liar)?.state === 'disabled', { what: 'the liar banned' });
      expect(torrent.stats().hashFailures).toBeGreaterThanOrEqual(2);
      const seeder = await startAria2Seeder(file, seedDir);
      torrent.addPeers([{ host: '127.0.0.1', port: seeder.port, family: 4 }]);
      await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
      expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
      expect(torrent.peerStats().some((peer) => peer.address === liar)).toBe(false);
    },
  );
});

describe.skipIf(!mktorrent)('BEP 17 HTTP seeds', () => {
  it('downloads from a piece script that answers 503 with a wait at first', async () => {
    const seedDir = await makeTempDir();
    const leechDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', 777_777);
    const { metainfo } = await makeTorrent(payload, join(seedDir, 'p.torrent'));
    const content = new Uint8Array(await readFile(payload));
    const expectedHash = Buffer.from(metainfo.infoHash).toString('latin1');
    let busy = 0;
    let served = 0;
    let refused = 0;
    const url = `${await listen(
      createServer((request, response) => {
        const query = new URL(request.url ?? '/', 'http://x');
        // the raw query: info_hash is percent-encoded bytes
        const raw = /[?&]info_hash=([^&]*)/.exec(request.url ?? '')?.[1] ?? '';
        const hash = unescape(raw);
        const piece = Number(query.searchParams.get('piece'));
        if (hash !== expectedHash || !Number.isInteger(piece)) {
          refused++;
          response.writeHead(400);
          return void response.end();
        }
        if (busy < 3) {
          busy++;
          response.writeHead(503, { 'content-type': 'text/plain' });
          return void response.end('1');
        }
        const start = piece * metainfo.pieceLength;
        const pieceBytes = content.subarray(
          start,
          Math.min(content.length, start + metainfo.pieceLength),
        );
        const ranges = query.searchParams.get('ranges');
        const parts = ranges
          ? ranges.split(',').map((range) => {
              const [from, to] = range.split('-').map(Number);
              return pieceBytes.subarray(from, to! + 1);
            })
          : [pieceBytes];
        const body = Buffer.concat(parts);
        served++;
        response.writeHead(200, { 'content-length': body.length });
        response.end(body);
      }),
    )}/seed.php`;
    const ours = await session();
    const torrent = await ours.addTorrent(
      { ...metainfo, httpSeeds: [url] },
      { directory: leechDir, seed: false },
    );
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    expect(await sha1File(join(leechDir, 'payload.bin'))).toBe(await sha1File(payload));
    expect(busy).toBe(3);
    expect(served).toBeGreaterThanOrEqual(metainfo.pieceCount);
    expect(refused).toBe(0);
  });
});
