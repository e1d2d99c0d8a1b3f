/**
 * A folder served at `/` (`appRoot`, btd's web UI): content types, gzip from a precompressed
 * sibling, ETags and 304s, caching by name, no way out of the folder, the same credentials and
 * whitelist as the RPC, and the Transmission paths left as they were.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createSession, type Session } from '@bt/session';
import { makeTempDir, removeTempDirs } from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hashPassword,
  type RpcServer,
  SessionBackend,
  startRpcServer,
  verifyPassword,
} from '../src/node.js';

let session: Session;
let backend: SessionBackend;
let root: string;
const servers: RpcServer[] = [];
const page = '<!doctype html><title>ui</title>';
const script = 'console.log("app")';

beforeAll(async () => {
  session = await createSession({ noListen: true });
  const configDir = await makeTempDir('bt-rpc-app-');
  backend = new SessionBackend({
    session,
    configDir,
    version: '4.1.0 (test)',
    settings: { download_dir: configDir },
  });
  await backend.open();
  root = join(configDir, 'app');
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'index.html'), page);
  await writeFile(join(root, 'index.html.gz'), gzipSync(page));
  await writeFile(join(root, 'app-0123456789.js'), script);
  await writeFile(join(root, 'sub', 'index.html'), 'sub');
  await writeFile(join(configDir, 'secret.txt'), 'outside');
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await backend.close();
  await session.close();
  await removeTempDirs();
});

async function serve(options: Partial<Parameters<typeof startRpcServer>[0]> = {}): Promise<string> {
  const server = await startRpcServer({
    backend,
    port: 0,
    host: '127.0.0.1',
    appRoot: root,
    ...options,
  });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

describe('appRoot', () => {
  it('serves index.html at /, gzipped when asked, revalidated, in a strict CSP', async () => {
    const base = await serve();
    const plain = await fetch(`${base}/`, { headers: { 'Accept-Encoding': 'identity' } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(page);
    expect(plain.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    expect(plain.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(plain.headers.get('x-content-type-options')).toBe('nosniff');
    const gzipped = await fetch(`${base}/`, { headers: { 'Accept-Encoding': 'gzip, br' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(await gzipped.text()).toBe(page); // fetch inflates it
    const etag = gzipped.headers.get('etag')!;
    const again = await fetch(`${base}/`, {
      headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': etag },
    });
    expect(again.status).toBe(304);
    expect(await fetch(`${base}/sub/`).then((response) => response.text())).toBe('sub');
  });

  it('lets browsers keep content-hashed files for good', async () => {
    const base = await serve();
    const asset = await fetch(`${base}/app-0123456789.js`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe(script);
    const head = await fetch(`${base}/app-0123456789.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(script.length));
  });

  it('refuses a way out of the folder, bad encodings, other methods, and unknown files', async () => {
    const base = await serve();
    for (const path of ['/..%2fsecret.txt', '/sub/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt'])
      expect([403, 404]).toContain((await fetch(`${base}${path}`)).status);
    expect((await fetch(`${base}/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${base}/a%00b`)).status).toBe(400);
    expect((await fetch(`${base}/`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${base}/nothing.js`)).status).toBe(404);
  });

  it('asks for the same credentials and whitelist as the RPC', async () => {
    const stored = hashPassword('pw');
    const base = await serve({
      authentication: { username: 'me', verify: (password) => verifyPassword(password, stored) },
    });
    const refused = await fetch(`${base}/`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('Basic');
    expect(
      (await fetch(`${base}/`, { headers: { Authorization: `Basic ${btoa('me:wrong')}` } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${base}/`, { headers: { Authorization: `Basic ${btoa('me:pw')}` } })).status,
    ).toBe(200);
    const closed = await serve({ whitelist: ['10.9.8.7'] });
    expect((await fetch(`${closed}/`)).status).toBe(403);
  });

  it('leaves the RPC and the Transmission paths as they were', async () => {
    const base = await serve();
    expect((await fetch(`${base}/transmission/rpc`)).status).toBe(409);
    const redirect = await fetch(`${base}/transmission`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/transmission/web/');
    const without = await startRpcServer({ backend, port: 0, host: '127.0.0.1' });
    servers.push(without);
    const old = await fetch(`http://127.0.0.1:${without.port}/`, { redirect: 'manual' });
    expect(old.status).toBe(301);
  });
});
