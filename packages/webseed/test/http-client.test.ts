/**
 * The HTTP range client against answers a web seed may give, good and hostile, from a server
 * written here on loopback: every failure is a typed `WebSeedError`, bodies are bounded.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSeedError } from '../src/index.js';
import { HttpRangeClient } from '../src/node.js';

const FILE = Uint8Array.from({ length: 100_000 }, (_, index) => (index * 7) % 251);
let server: Server;
let garbage: TcpServer;
const garbageSockets = new Set<Socket>();
let base: string;
let garbageUrl: string;
const client = new HttpRangeClient({ idleTimeoutMs: 60_000 });

function range(response: ServerResponse, header: string | undefined, body = FILE): void {
  const match = /^bytes=(\d+)-(\d+)$/.exec(header ?? '');
  if (!match) {
    response.writeHead(200, { 'content-length': body.length });
    response.end(body);
    return;
  }
  const start = Number(match[1]);
  const end = Math.min(Number(match[2]), body.length - 1);
  response.writeHead(206, {
    'content-range': `bytes ${start}-${end}/${body.length}`,
    'content-length': end - start + 1,
  });
  response.end(body.subarray(start, end + 1));
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    switch (path) {
      case '/file':
        return range(response, request.headers.range);
      case '/no-ranges':
        response.writeHead(200, { 'content-length': FILE.length });
        return void response.end(FILE);
      case '/loop':
        response.writeHead(302, { location: '/loop' });
        return void response.end();
      case '/hop': {
        const hop = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('n') ?? 0);
        response.writeHead(302, { location: hop >= 3 ? '/file' : `/hop?n=${hop + 1}` });
        return void response.end();
      }
      case '/endless':
        response.writeHead(302, { location: `/endless-${Math.random()}` });
        return void response.end();
      case '/elsewhere':
        response.writeHead(302, { location: 'file:///etc/passwd' });
        return void response.end();
      case '/too-long':
        // chunked, no length: far more than was asked
        response.writeHead(206, {
          'content-range': request.headers.range?.replace('=', ' ') + '/*',
        });
        for (let i = 0; i < 20; i++) response.write(FILE);
        return void response.end();
      case '/short':
        response.writeHead(206, { 'content-range': 'bytes 0-999/100000' });
        response.write(FILE.subarray(0, 10));
        return void response.end();
      case '/busy':
        response.writeHead(503, { 'content-type': 'text/plain' });
        return void response.end('42');
      case '/busy-header':
        response.writeHead(503, { 'retry-after': '9' });
        return void response.end();
      default:
        if (path.startsWith('/endless-')) {
          response.writeHead(302, { location: `/endless-${Math.random()}` });
          return void response.end();
        }
        response.writeHead(404);
        return void response.end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  garbage = createTcpServer((socket) => {
    garbageSockets.add(socket);
    socket.end('ICY 200 what\r\n\0\0\0garbage garbage\r\n\r\n');
  });
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}/file`;
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  for (const socket of garbageSockets) socket.destroy();
  await new Promise((resolve) => garbage.close(resolve));
});

async function fetchBytes(url: string, start: number, length: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await client.fetch(
    { kind: 'http', url, range: { start, end: start + length - 1 }, length },
    { onData: (chunk) => parts.push(new Uint8Array(chunk)) },
  );
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

async function failure(url: string, start = 0, length = 1000): Promise<WebSeedError> {
  const error = await fetchBytes(url, start, length).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(WebSeedError.isInstance(error)).toBe(true);
  return error as WebSeedError;
}

describe('HttpRangeClient', () => {
  it('fetches a range, and a run from the start of a server that ignores Range', async () => {
    expect(await fetchBytes(`${base}/file`, 5000, 30_000)).toEqual(FILE.subarray(5000, 35_000));
    expect(await fetchBytes(`${base}/no-ranges`, 0, 1234)).toEqual(FILE.subarray(0, 1234));
    expect((await failure(`${base}/no-ranges`, 10, 10)).code).toBe('no-range-support');
  });

  it('follows a few redirects, and refuses loops, endless chains and other schemes', async () => {
    expect(await fetchBytes(`${base}/hop`, 0, 100)).toEqual(FILE.subarray(0, 100));
    expect((await failure(`${base}/loop`)).code).toBe('bad-redirect');
    expect((await failure(`${base}/endless`)).code).toBe('too-many-redirects');
    expect((await failure(`${base}/elsewhere`)).code).toBe('bad-redirect');
  });

  it('stops a body longer than asked, and refuses one that ends short', async () => {
    const long = await failure(`${base}/too-long`, 0, 1000);
    expect(long.code).toBe('too-long');
    expect(long.expected).toBe(1000);
    expect((await failure(`${base}/short`)).code).toBe('wrong-length');
  });

  it('reads the wait of a 503 (BEP 17 body, or Retry-After) and reports statuses', async () => {
    const busy = await client
      .fetch({ kind: 'http', url: `${base}/busy`, length: 10 }, { onData: () => undefined })
      .catch((error: unknown) => error as WebSeedError);
    expect(busy).toMatchObject({ code: 'retry-later', retryAfterMs: 42_000, status: 503 });
    expect(await failure(`${base}/busy-header`)).toMatchObject({ retryAfterMs: 9000 });
    expect(await failure(`${base}/missing`)).toMatchObject({ code: 'http-status', status: 404 });
  });

  it('turns garbage and refused connections into typed errors', async () => {
    expect((await failure(garbageUrl)).code).toBe('connection-failed');
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect((await failure(`http://127.0.0.1:${port}/x`)).code).toBe('connection-failed');
  });

  it('ends when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await client
      .fetch(
        { kind: 'http', url: `${base}/file`, range: { start: 0, end: 9 }, length: 10 },
        { signal: controller.signal, onData: () => undefined },
      )
      .catch((caught: unknown) => caught as WebSeedError);
    expect(error).toMatchObject({ code: 'aborted' });
  });
});
