import { describe, expect, it } from 'vitest';
import { allowsPublicDiscovery } from './discovery.js';
import { CLIENT_NAME, extendedHandshake, type TorrentExtension } from './extensions.js';
import type { TorrentDescription } from './interfaces.js';

const torrent: TorrentDescription = {
  infoHash: new Uint8Array(20),
  infoHashHex: '00'.repeat(20),
  name: 'x',
  pieceLength: 16_384,
  pieceCount: 1,
  length: 100,
  pieces: new Uint8Array(20),
  files: [{ path: ['x'], length: 100, offset: 0 }],
  multiFile: false,
  announce: [],
};

describe('extendedHandshake', () => {
  it('builds our BEP 10 handshake and lets each extension add its fields', () => {
    const metadata: TorrentExtension = {
      name: 'ut_metadata',
      handshake: (described) => ({ metadataSize: described.length * 2 }),
    };
    const plain: TorrentExtension = { name: 'ut_pex' };
    const handshake = extendedHandshake({
      torrent,
      port: 6881,
      requestQueueLength: 2000,
      extensions: [plain, metadata],
    });
    expect(handshake).toMatchObject({
      port: 6881,
      client: CLIENT_NAME,
      requestQueueLength: 2000,
      metadataSize: 200,
    });
    // ids are the wire's registry's to give
    expect(handshake.extensions).toEqual({});
  });

  it('leaves out a port we do not listen on', () => {
    expect(extendedHandshake({ torrent, port: 0, requestQueueLength: 1 }).port).toBeUndefined();
  });
});

describe('allowsPublicDiscovery', () => {
  it('is false for a private torrent only (BEP 27)', () => {
    expect(allowsPublicDiscovery({ private: true })).toBe(false);
    expect(allowsPublicDiscovery({ private: false })).toBe(true);
    expect(allowsPublicDiscovery({})).toBe(true);
  });
});
