/**
 * The RPC's HTTP front door against hostile and careless clients: the session-id exchange,
 * Basic auth with lockout, both whitelists, oversized and slow requests, malformed bodies. The
 * server keeps answering others throughout.
 */
import { connect } from 'node:net';
import { createSession, type Session } from '@bt/session';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hashPassword,
  type RpcServer,
  SESSION_ID_HEADER,
  SessionBackend,
  startRpcServer,
  verifyPassword,
} from '../src/node.js';

let session: Session;
let backend: SessionBackend;
const servers: RpcServer[] = [];

beforeAll(async () => {
  session = await createSession({ noListen: true });
  const configDir = await makeTempDir('bt-rpc-http-');
  backend = new SessionBackend({
    session,
    configDir,
    version: '4.1.0 (test)',
    settings: { download_dir: configDir },
  });
  await backend.open();
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await backend.close();
  await session.close();
  await removeTempDirs();
});

async function serve(
  options: Partial<Parameters<typeof startRpcServer>[0]> = {},
): Promise<RpcServer> {
  const server = await startRpcServer({ backend, port: 0, host: '127.0.0.1', ...options });
  servers.push(server);
  return server;
}

function rpc(
  server: RpcServer,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`http://127.0.0.1:${server.port}/transmission/rpc`, {
    method: 'POST',
    body,
    headers: { [SESSION_ID_HEADER]: server.sessionId, ...headers },
  });
}

describe('the session id exchange', () => {
  it('answers 409 with the id (GET too), then serves the request that carries it', async () => {
    const server = await serve();
    const url = `http://127.0.0.1:${server.port}/transmission/rpc`;
    const first = await fetch(url, { method: 'POST', body: '{"method":"session-get"}' });
    expect(first.status).toBe(409);
    const id = first.headers.get(SESSION_ID_HEADER);
    expect(id).toBe(server.sessionId);
    expect(first.headers.get('X-Transmission-Rpc-Version')).toBe('18');
    expect((await fetch(url)).status).toBe(409);
    const wrong = await fetch(url, {
      method: 'POST',
      body: '{}',
      headers: { [SESSION_ID_HEADER]: 'stale' },
    });
    expect(wrong.status).toBe(409);
    const second = await fetch(url, {
      method: 'POST',
      body: '{"method":"session-get","arguments":{"fields":["version"]},"tag":5}',
      headers: { [SESSION_ID_HEADER]: id! },
    });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({
      result: 'success',
      arguments: { version: '4.1.0 (test)' },
      tag: 5,
    });
  });

  it('rotates the id after its lifetime', async () => {
    const server = await serve({ sessionIdLifetimeMs: 0 });
    const response = await fetch(`http://127.0.0.1:${server.port}/transmission/rpc`, {
      method: 'POST',
      body: '{}',
    });
    const first = response.headers.get(SESSION_ID_HEADER);
    const again = await fetch(`http://127.0.0.1:${server.port}/transmission/rpc`, {
      method: 'POST',
      body: '{}',
      headers: { [SESSION_ID_HEADER]: first! },
    });
    // the lifetime is 0: every request sees a newer id than the one it carries
    expect(again.status).toBe(409);
    expect(again.headers.get(SESSION_ID_HEADER)).not.toBe(first);
  });
});

describe('hostile requests get RPC errors, and the daemon keeps serving', () => {
  it('answers malformed JSON, wrong types, unknown methods and unknown ids with HTTP 200 errors', async () => {
    const server = await serve();
    const bodies: [string, RegExp][] = [
      ['{not json', /not JSON/],
      ['"a string"', /JSON object/],
      ['{"method":"torrent-get","arguments":{"fields":[1,2]}}', /array of strings/],
      ['{"method":"launch-missiles"}', /method name not recognized/],
      [
        '{"method":"torrent-set","arguments":{"ids":[99999],"downloadLimit":"fast"}}',
        /must be a number/,
      ],
      ['{"method":"session-set","arguments":{"download-dir":"relative/path"}}', /absolute/],
      ['{"method":"session-set","arguments":{"speed-limit-down":"x"}}', /wrong type/],
      ['{"method":"free-space","arguments":{"path":"/no/such/folder"}}', /no such file/i],
    ];
    for (const [body, message] of bodies) {
      const response = await rpc(server, body);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { result: string }).result).toMatch(message);
    }
    const get = await rpc(
      server,
      '{"method":"torrent-get","arguments":{"ids":[424242],"fields":["id"]}}',
    );
    expect(await get.json()).toEqual({ result: 'success', arguments: { torrents: [] } });
  });

  it('refuses a 100 MB body by its declared length and by what arrives, and keeps serving', async () => {
    const server = await serve({ maxBodyBytes: 1024 * 1024 });
    const declared = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(
          `POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\n${SESSION_ID_HEADER}: ${server.sessionId}\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`,
        );
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(declared).toMatch(/^HTTP\/1.1 413/);
    // chunked, no length: counted as it arrives
    const chunked = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(
          `POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\n${SESSION_ID_HEADER}: ${server.sessionId}\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        const block = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        const pump = (): void => {
          while (sent < 100 * 1024 * 1024 && !socket.destroyed) {
            sent += block.length;
            if (!socket.write(`${block.length.toString(16)}\r\n${block.toString()}\r\n`)) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
      socket.setTimeout(60_000, () => reject(new Error('no answer to an endless body')));
    });
    expect(chunked).toMatch(/^HTTP\/1.1 413/);
    expect((await rpc(server, '{"method":"session-stats"}')).status).toBe(200);
  });

  it('serves others while a slow-loris client holds a connection, and drops it when its time is up', async () => {
    const server = await serve({ headersTimeoutMs: 2000, requestTimeoutMs: 3000 });
    const slow = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => slow.once('connect', resolve));
    slow.write('POST /transmission/rpc HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let answer = '';
    slow.on('data', (chunk) => (answer += chunk.toString()));
    const closed = new Promise<void>((resolve) => slow.once('close', () => resolve()));
    slow.on('error', () => undefined);
    for (let index = 0; index < 5; index++)
      expect((await rpc(server, '{"method":"session-stats"}')).status).toBe(200);
    // the server ends the connection that never finished its headers (no fixed sleep: we wait for it)
    await closed;
    expect(answer).toMatch(/^HTTP\/1.1 408/);
  });
});

describe('authentication and whitelists', () => {
  it('stores passwords as Transmission does and checks them', () => {
    const stored = hashPassword('secret');
    expect(stored).toMatch(/^\{[0-9a-f]{40}.{8}$/);
    expect(verifyPassword('secret', stored)).toBe(true);
    expect(verifyPassword('Secret', stored)).toBe(false);
  });

  it('answers 401 without or with wrong credentials, and locks out an address after repeated failures', async () => {
    const stored = hashPassword('pw');
    const server = await serve({
      authentication: { username: 'me', verify: (password) => verifyPassword(password, stored) },
      lockoutFailures: 3,
    });
    const auth = (user: string, password: string): Record<string, string> => ({
      Authorization: `Basic ${btoa(`${user}:${password}`)}`,
    });
    expect((await rpc(server, '{"method":"session-stats"}')).status).toBe(401);
    expect((await rpc(server, '{"method":"session-stats"}', auth('me', 'pw'))).status).toBe(200);
    for (let index = 0; index < 3; index++)
      expect((await rpc(server, '{"method":"session-stats"}', auth('me', 'nope'))).status).toBe(
        401,
      );
    // locked out now, even with the right password
    const locked = await rpc(server, '{"method":"session-stats"}', auth('me', 'pw'));
    expect(locked.status).toBe(403);
    expect(await locked.text()).toMatch(/Too many unsuccessful login attempts/);
  });

  it('refuses addresses off rpc-whitelist (403) and foreign Host headers (421)', async () => {
    const off = await serve({ whitelist: ['10.9.8.7'] });
    expect((await rpc(off, '{}')).status).toBe(403);
    const on = await serve({ whitelist: ['127.0.0.*'], hostWhitelist: ['nas.home'] });
    expect((await rpc(on, '{"method":"session-stats"}')).status).toBe(200);
    const rebinding = await new Promise<string>((resolve, reject) => {
      const socket = connect(on.port, '127.0.0.1', () =>
        socket.write(
          'POST /transmission/rpc HTTP/1.1\r\nHost: evil.example:9091\r\nContent-Length: 2\r\n\r\n{}',
        ),
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(rebinding).toMatch(/^HTTP\/1.1 421/);
  });
});
