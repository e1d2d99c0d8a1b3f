/**
 * BEP 10 extensions end to end between two of our sessions on loopback: each side registers an
 * extension, its handshake fields reach the other side, and a message sent under the id the
 * peer gave arrives at the other side's handler for that extension (and for no other).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PATIENCE_MS, makeTempDir, removeTempDirs, requireProgram } from '@bt/test-support';
import {
  createSession,
  type ExtensionPeer,
  type Session,
  type TorrentExtension,
} from '../src/index.js';
import { makePayload, makeTorrent } from './helpers.js';

requireProgram('mktorrent');
const sessions: Session[] = [];

afterAll(async () => {
  await Promise.allSettled(sessions.map((session) => session.close()));
  await removeTempDirs();
});

function withPatience<T>(promise: Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(PATIENCE_MS);
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () => reject(new Error('no pong'))),
    ),
  ]);
}

const text = (value: string) => new TextEncoder().encode(value);
const read = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('BEP 10 extensions in the session', () => {
  it('routes each extended message to the handler of its extension, both ways', async () => {
    const seedDir = await makeTempDir();
    const leechDir = await makeTempDir();
    const otherDir = await makeTempDir();
    const payload = await makePayload(seedDir, 'payload.bin', 100_000);
    const { metainfo } = await makeTorrent(payload, join(seedDir, 'payload.torrent'));

    let resolvePong: (value: string) => void;
    const pong = new Promise<string>((resolve) => (resolvePong = resolve));
    const seen: string[] = [];
    // the leecher says ping once the other side's handshake shows it speaks bt_echo
    const leecherEcho: TorrentExtension = {
      name: 'bt_echo',
      attach: () => ({
        onHandshake: (peer: ExtensionPeer, handshake) => {
          seen.push(`handshake extra=${handshake.dictionary.get('bt_echo_version') as number}`);
          if (peer.supports('bt_echo')) peer.send('bt_echo', text('ping'));
        },
        onMessage: (_peer, bytes) => resolvePong(read(bytes)),
      }),
    };
    const seederEcho: TorrentExtension = {
      name: 'bt_echo',
      attach: (torrent) => ({
        handshake: () => ({ extra: { bt_echo_version: 2 } }),
        onMessage: (peer, bytes) => {
          seen.push(`seeder got ${read(bytes)} for ${torrent.description?.name}`);
          peer.send('bt_echo', text(`${read(bytes)}-pong`));
        },
      }),
    };
    // registered on both sides but never sent: must never be called
    const silent: TorrentExtension = {
      name: 'bt_silent',
      attach: () => ({ onMessage: () => seen.push('bt_silent called') }),
    };
    // different registration orders, so the ids each side gives differ
    const seeder = await createSession({
      port: 0,
      host: '127.0.0.1',
      extensions: [silent, seederEcho],
    });
    const leecher = await createSession({
      port: 0,
      host: '127.0.0.1',
      extensions: [leecherEcho, silent],
    });
    sessions.push(seeder, leecher);
    // two peers with nothing yet: neither completes, so the connection stays while they talk
    await seeder.addTorrent(metainfo, { directory: otherDir, skipCheck: true });
    await leecher.addTorrent(metainfo, {
      directory: leechDir,
      peers: [{ family: 4, host: '127.0.0.1', port: seeder.port }],
      skipCheck: true,
    });

    expect(await withPatience(pong)).toBe('ping-pong');
    expect(seen).toEqual(['handshake extra=2', 'seeder got ping for payload.bin']);
  });
});
