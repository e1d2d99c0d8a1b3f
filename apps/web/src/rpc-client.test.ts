import { describe, expect, it } from 'vitest';
import { RpcClient, RpcClientError } from './rpc-client.js';

function fakeFetch(
  answers: (request: { headers: Record<string, string>; body: string }) => Response,
) {
  const seen: { headers: Record<string, string>; body: string }[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    const request = { headers: init.headers as Record<string, string>, body: init.body as string };
    seen.push(request);
    return answers(request);
  }) as unknown as typeof globalThis.fetch;
  return { fetch, seen };
}

describe('RpcClient', () => {
  it('repeats a request with the session id a 409 gave, and keeps it', async () => {
    const { fetch, seen } = fakeFetch((request) =>
      request.headers['X-Transmission-Session-Id'] === 'abc'
        ? Response.json({ result: 'success', arguments: { ok: 1 } })
        : new Response('', { status: 409, headers: { 'X-Transmission-Session-Id': 'abc' } }),
    );
    const client = new RpcClient({ fetch });
    expect(await client.call('session-get')).toEqual({ ok: 1 });
    expect(await client.call('session-stats')).toEqual({ ok: 1 });
    expect(seen).toHaveLength(3);
    expect(JSON.parse(seen[0]!.body)).toEqual({ method: 'session-get', arguments: {} });
  });

  it('sends Basic credentials once given, and tells 401 apart', async () => {
    const { fetch, seen } = fakeFetch((request) =>
      request.headers.Authorization === `Basic ${Buffer.from('me:sécret').toString('base64')}`
        ? Response.json({ result: 'success', arguments: {} })
        : new Response('', { status: 401 }),
    );
    const client = new RpcClient({ fetch });
    await expect(client.call('session-get')).rejects.toMatchObject({ code: 'unauthorized' });
    client.setCredentials('me', 'sécret');
    await expect(client.call('session-get')).resolves.toEqual({});
    expect(seen).toHaveLength(2);
  });

  it('reports a lost connection, an HTTP failure and a refused request with their codes', async () => {
    const lost = new RpcClient({
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as unknown as typeof fetch,
    });
    const error = await lost.call('session-get').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RpcClientError);
    expect(error).toMatchObject({ code: 'connection-lost' });
    const broken = new RpcClient({
      fetch: fakeFetch(() => new Response('', { status: 500 })).fetch,
    });
    await expect(broken.call('x')).rejects.toMatchObject({ code: 'http-status', status: 500 });
    const refused = new RpcClient({
      fetch: fakeFetch(() => Response.json({ result: 'no such torrent' })).fetch,
    });
    await expect(refused.call('x')).rejects.toMatchObject({
      code: 'rpc-failed',
      message: 'no such torrent',
    });
    const truncated = new RpcClient({ fetch: fakeFetch(() => new Response('{"res')).fetch });
    await expect(truncated.call('x')).rejects.toMatchObject({ code: 'connection-lost' });
  });

  it('gives up after three 409s in a row', async () => {
    const client = new RpcClient({
      fetch: fakeFetch(() => new Response('', { status: 409 })).fetch,
    });
    await expect(client.call('x')).rejects.toMatchObject({ code: 'http-status', status: 409 });
  });
});
