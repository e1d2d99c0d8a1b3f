/**
 * Streaming a file while it downloads from aria2c (rate-limited so the download is still
 * running): HTTP ranges answered with the right bytes before the torrent completes, pieces with
 * deadlines fetched before the sequential order would reach them, several readers at once, a
 * reader that leaves releasing its deadlines, backpressure of `createReadStream`; and hostile
 * HTTP (bad ranges, methods, paths, huge headers, many connections, too many readers) answered
 * cleanly and within bounds.
 */
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  stopAllProcesses,
  waitFor,
} from '@bt/test-support';
import type { Metainfo } from '@bt/metainfo';
import { createSession, type Session, type Torrent } from '../src/index.js';
import { startStreamServer, type StreamServer } from '../src/node.js';
import { makePayload, makeTorrent, startAria2Seeder } from './helpers.js';

const aria2 = requireProgram('aria2c', 'aria2');
const mktorrent = requireProgram('mktorrent');

const sessions: Session[] = [];
const servers: StreamServer[] = [];
afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.close()));
  await Promise.allSettled(sessions.map((session) => session.close()));
  await stopAllProcesses();
  await removeTempDirs();
});

const SIZE = 32 * 1024 * 1024 + 12_345;

async function fixture(): Promise<{
  seedDir: string;
  payload: Buffer;
  metainfo: Metainfo;
  file: string;
}> {
  const seedDir = await makeTempDir();
  const path = await makePayload(seedDir, 'clip.mp4', SIZE);
  // 256 KiB pieces
  const { metainfo, file } = await makeTorrent(path, join(seedDir, 'clip.torrent'), {
    pieceLengthLog2: 18,
  });
  return { seedDir, payload: await readFile(path), metainfo, file };
}

async function leech(
  metainfo: Metainfo,
  peers: number[],
  options: { sequential?: boolean } = {},
): Promise<Torrent> {
  const session = await createSession({
    port: 0,
    host: '127.0.0.1',
    dht: false,
    localDiscovery: false,
    peerExchange: false,
  });
  sessions.push(session);
  return session.addTorrent(metainfo, {
    directory: await makeTempDir(),
    peers: peers.map((port) => ({ host: '127.0.0.1', port, family: 4 as const })),
    sequential: options.sequential ?? false,
  });
}

async function serve(torrent: Torrent, maxReaders?: number): Promise<StreamServer> {
  const server = await startStreamServer({ torrent, fileIndex: 0, maxReaders });
  servers.push(server);
  return server;
}

/** The body of a range request, and the torrent's progress the moment it had all arrived. */
async function fetchRange(
  url: string,
  torrent: Torrent,
  range: string,
): Promise<{ status: number; headers: Headers; body: Buffer; progressAtAnswer: number }> {
  const response = await fetch(url, {
    headers: { Range: range },
    signal: AbortSignal.timeout(PATIENCE_MS),
  });
  const body = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    headers: response.headers,
    body,
    progressAtAnswer: torrent.stats().progress,
  };
}

describe.skipIf(!aria2 || !mktorrent)('streaming from a downloading torrent', () => {
  let seed: Awaited<ReturnType<typeof fixture>>;
  let seederPort: number;

  beforeAll(async () => {
    seed = await fixture();
    // 1.5 MiB/s: the 32 MiB download runs for ~20 s, long past every answer below
    const seeder = await startAria2Seeder(seed.file, seed.seedDir, { uploadLimit: '1536K' });
    seederPort = seeder.port;
  });

  it('answers several range readers at once with the right bytes before the torrent completes; deadline pieces beat the sequential order', async () => {
    const torrent = await leech(seed.metainfo, [seederPort], { sequential: true });
    const server = await serve(torrent);
    const threeQuarters = Math.floor(SIZE * 0.75);
    const ranges: [number, number][] = [
      [threeQuarters, threeQuarters + 1024 * 1024 - 1],
      [SIZE - 1000, SIZE - 1],
      [0, 99_999],
      [Math.floor(SIZE * 0.4) + 777, Math.floor(SIZE * 0.4) + 777 + 300_000],
    ];
    const answers = await Promise.all(
      ranges.map(([start, end]) => fetchRange(server.url, torrent, `bytes=${start}-${end}`)),
    );
    answers.forEach((answer, index) => {
      const [start, end] = ranges[index]!;
      expect(answer.status).toBe(206);
      expect(answer.headers.get('content-range')).toBe(`bytes ${start}-${end}/${SIZE}`);
      expect(answer.headers.get('accept-ranges')).toBe('bytes');
      expect(answer.headers.get('content-type')).toBe('video/mp4');
      expect(answer.body.equals(seed.payload.subarray(start, end + 1))).toBe(true);
      expect(answer.progressAtAnswer).toBeLessThan(1);
    });
    // pieces are picked in order, except those with deadlines: the range at three quarters
    // could not have come before three quarters of the torrent had it not been for them
    expect(answers[0]!.progressAtAnswer).toBeLessThan(0.75);
    expect(server.handler.readers).toBe(0);
    await torrent.whenComplete(AbortSignal.timeout(PATIENCE_MS));
    // the whole file, served from disk now
    const whole = await fetch(server.url, { signal: AbortSignal.timeout(PATIENCE_MS) });
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(seed.payload)).toBe(true);
  });

  it('releases the deadlines of a reader that goes away, and holds back a reader that does not read', async () => {
    const torrent = await leech(seed.metainfo, [seederPort]);
    const server = await serve(torrent);
    // the file's ends
    expect(torrent.deadlines.ownerCount).toBe(1);
    const leaving = new AbortController();
    const response = await fetch(server.url, {
      headers: { Range: `bytes=${Math.floor(SIZE * 0.9)}-` },
      signal: leaving.signal,
    });
    expect(response.status).toBe(206);
    expect(server.handler.readers).toBe(1);
    leaving.abort();
    await waitFor(() => server.handler.readers === 0 && torrent.deadlines.ownerCount === 1);

    // a Node Readable with backpressure: one chunk taken, then nothing read for a while
    const stream = torrent.createReadStream(0, { start: 1000 });
    const iterator = stream[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as Buffer;
    expect(first.equals(seed.payload.subarray(1000, 1000 + first.length))).toBe(true);
    const have = torrent.stats().piecesHave;
    await waitFor(() => torrent.stats().piecesHave >= have + 16);
    // at most its buffer (one chunk of 256 KiB) was read ahead of the consumer
    expect(stream.readableLength).toBeLessThanOrEqual(256 * 1024);
    expect(torrent.deadlines.ownerCount).toBe(2);
    stream.destroy();
    await waitFor(() => torrent.deadlines.ownerCount === 1);
  });
});

describe.skipIf(!mktorrent)('hostile HTTP against the stream server', () => {
  let torrent: Torrent;
  let server: StreamServer;
  let base: string;
  let length: number;

  beforeAll(async () => {
    const dir = await makeTempDir();
    length = 3 * 1024 * 1024 + 5;
    const path = await makePayload(dir, 'film.mkv', length);
    const { metainfo } = await makeTorrent(path, join(dir, 'film.torrent'), {
      pieceLengthLog2: 18,
    });
    // no peer at all: nothing ever arrives, so a read waits until its client leaves
    torrent = await leech(metainfo, []);
    server = await serve(torrent, 2);
    base = new URL(server.url).origin;
  });

  const head = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'HEAD', headers, signal: AbortSignal.timeout(PATIENCE_MS) });

  it('answers HEAD and ranges by the RFC: 206, 416, and 200 for a range it ignores', async () => {
    const path = new URL(server.url).pathname;
    const plain = await head(path);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-length')).toBe(String(length));
    expect(plain.headers.get('content-type')).toBe('video/x-matroska');
    expect(plain.headers.get('accept-ranges')).toBe('bytes');
    const partial = await head(path, { Range: 'bytes=-100' });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe(
      `bytes ${length - 100}-${length - 1}/${length}`,
    );
    const past = await head(path, { Range: `bytes=${length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${length}`);
    for (const range of [
      'bytes=oops',
      'pages=1-2',
      'bytes=0-1,4-5',
      'bytes=9-3',
      `bytes=${'7'.repeat(400)}-`,
    ]) {
      const ignored = await head(path, { Range: range });
      expect(ignored.status).toBe(200);
      expect(ignored.headers.get('content-length')).toBe(String(length));
    }
  });

  it('refuses other methods, unknown torrents and files, and malformed paths', async () => {
    const path = new URL(server.url).pathname;
    const post = await fetch(`${base}${path}`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    for (const bad of [
      `/stream/${'0'.repeat(40)}/0`,
      `/stream/${torrent.infoHashHex}/1`,
      `/stream/${torrent.infoHashHex}/99999999`,
      `/stream/${torrent.infoHashHex}/0/a/b`,
      '/stream/../../etc/passwd',
      '/stream/%E0%A4%A',
      '/elsewhere',
    ])
      expect((await head(bad)).status, bad).toBe(404);
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe(path);
  });

  it('cuts off huge headers (431) and bounds connections and readers', async () => {
    const raw = (text: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1');
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
        socket.end(text);
      });
    const huge = await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431/);
    expect(await raw('NONSENSE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);

    // more connections than the server takes: the excess is closed at once
    const sockets: Socket[] = [];
    let closedByServer = 0;
    for (let count = 0; count < 200; count++) {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => closedByServer++);
      sockets.push(socket);
    }
    await waitFor(() => closedByServer >= 200 - 64);
    for (const socket of sockets) socket.destroy();
    await waitFor(() => closedByServer === 200);

    // two readers wait for pieces that never come; a third is told to come back later
    const path = new URL(server.url).pathname;
    const leaving = new AbortController();
    const readers = await Promise.all(
      [0, 1].map(() => fetch(`${base}${path}`, { signal: leaving.signal })),
    );
    expect(readers.map((response) => response.status)).toEqual([200, 200]);
    expect(server.handler.readers).toBe(2);
    const third = await fetch(`${base}${path}`);
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('1');
    leaving.abort();
    await waitFor(() => server.handler.readers === 0 && torrent.deadlines.ownerCount === 1);
    // and the server still answers
    expect((await head(path)).status).toBe(200);
  });
});
