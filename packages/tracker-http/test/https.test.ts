/**
 * The client over HTTPS: a loopback TLS tracker with a certificate made by openssl for the
 * test. A self-signed certificate is refused unless the client is told to accept it, and a
 * redirect from http:// to https:// is followed.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { encode } from '@bt/bencode';
import {
  PATIENCE_MS,
  makeTempDir,
  removeTempDirs,
  requireProgram,
  startProcess,
} from '@bt/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTrackerError } from '../src/index.js';
import { HttpTrackerClient } from '../src/node.js';
import { testAnnounceRequest as request, startHttpStub as startStub } from '@bt/test-support';

const openssl = requireProgram('openssl');

describe.skipIf(!openssl)('the client over HTTPS', () => {
  let server: Server;
  let httpsUrl = '';
  const seen: string[] = [];

  beforeAll(async () => {
    const dir = await makeTempDir('bt-https-');
    const made = startProcess(openssl!, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    expect(await made.exited).toBe(0);
    server = createHttpsServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) },
      (incoming, response) => {
        seen.push(incoming.url ?? '');
        response.end(
          encode({
            interval: 99,
            complete: 1,
            incomplete: 0,
            peers: Uint8Array.of(10, 0, 0, 9, 0x1a, 0xe1),
          }),
        );
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    httpsUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/announce`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await removeTempDirs();
  });

  it('refuses a self-signed certificate by default, as a network error', async () => {
    const client = new HttpTrackerClient({ timeout: PATIENCE_MS });
    try {
      await client.announce(httpsUrl, request());
      expect.unreachable();
    } catch (error) {
      expect(HttpTrackerError.isInstance(error) && error.code).toBe('network');
    } finally {
      await client.close();
    }
  });

  it('announces over TLS when told to accept the certificate, also after an http -> https redirect', async () => {
    const client = new HttpTrackerClient({ timeout: PATIENCE_MS, insecure: true });
    const hop = await startStub((incoming, response) => {
      response.statusCode = 301;
      response.setHeader('location', httpsUrl + incoming.url!.slice(incoming.url!.indexOf('?')));
      response.end();
    });
    try {
      const direct = await client.announce(httpsUrl, request());
      expect(direct).toMatchObject({
        interval: 99,
        complete: 1,
        peers: [{ host: '10.0.0.9', port: 6881, family: 4 }],
      });
      const redirected = await client.announce(`${hop.url}/announce`, request({ n: 2 }));
      expect(redirected.interval).toBe(99);
      expect(seen).toHaveLength(2);
      expect(seen[1]).toContain('info_hash=');
    } finally {
      await client.close();
      await hop.close();
    }
  });
});
