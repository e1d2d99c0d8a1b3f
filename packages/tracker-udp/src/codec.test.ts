import { fromHex } from '@bt/primitives';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AnnounceRequestPacket,
  decodeRequest,
  decodeResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  peekHeader,
} from './codec.js';
import { UdpTrackerError } from './errors.js';

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const peerId = new TextEncoder().encode('-BT0001-abcdefghijkl');
const connectionId = fromHex('0102030405060708');

function announceRequest(
  overrides: Partial<AnnounceRequestPacket> = {},
): Omit<AnnounceRequestPacket, 'action'> {
  return {
    connectionId,
    transactionId: 0xdeadbeef,
    infoHash,
    peerId,
    downloaded: 2 ** 40 + 5,
    left: 1234,
    uploaded: 0,
    event: 'started',
    ip: new Uint8Array(4),
    key: 0xffffffff,
    numwant: -1,
    port: 6881,
    ...overrides,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(UdpTrackerError.isInstance(error)).toBe(true);
    return (error as UdpTrackerError).code;
  }
  return undefined;
}

describe('connect', () => {
  it('writes the BEP 15 layout: protocol id, action 0, transaction id', () => {
    const bytes = encodeConnectRequest({ transactionId: 0x01020304 });
    expect(Array.from(bytes)).toEqual([
      0, 0, 4, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 1, 2, 3, 4,
    ]);
    expect(decodeRequest(bytes)).toEqual({ action: 'connect', transactionId: 0x01020304 });
  });

  it('round-trips a connect reply', () => {
    const bytes = encodeConnectResponse({ transactionId: 7, connectionId });
    expect(bytes.length).toBe(16);
    expect(decodeResponse(bytes)).toEqual({ action: 'connect', transactionId: 7, connectionId });
  });

  it('refuses a connect request without the protocol id', () => {
    const bytes = encodeConnectRequest({ transactionId: 1 });
    bytes[0] = 9;
    expect(codeOf(() => decodeRequest(bytes))).toBe('malformed-request');
  });
});

describe('announce', () => {
  it('writes 98 bytes at the BEP 15 offsets', () => {
    const bytes = encodeAnnounceRequest(announceRequest());
    expect(bytes.length).toBe(98);
    const data = new DataView(bytes.buffer);
    expect(data.getUint32(8)).toBe(1);
    expect(data.getUint32(12)).toBe(0xdeadbeef);
    expect(bytes.subarray(16, 36)).toEqual(infoHash);
    expect(bytes.subarray(36, 56)).toEqual(peerId);
    expect(data.getBigUint64(56)).toBe(2n ** 40n + 5n);
    expect(data.getBigUint64(64)).toBe(1234n);
    expect(data.getUint32(80)).toBe(2); // started
    expect(data.getInt32(92)).toBe(-1);
    expect(data.getUint16(96)).toBe(6881);
  });

  it('round-trips every event and field', () => {
    for (const event of ['none', 'completed', 'started', 'stopped'] as const) {
      const packet = announceRequest({ event, ip: Uint8Array.from([10, 0, 0, 1]), numwant: 30 });
      expect(decodeRequest(encodeAnnounceRequest(packet))).toEqual({
        action: 'announce',
        ...packet,
      });
    }
  });

  it('carries the URL path and query as BEP 41 URL data, split at 255 bytes', () => {
    const urlData = `/announce?passkey=${'x'.repeat(400)}`;
    const bytes = encodeAnnounceRequest(announceRequest({ urlData }));
    expect(bytes[98]).toBe(2);
    expect(bytes[99]).toBe(255);
    expect(bytes[98 + 2 + 255]).toBe(2);
    expect(bytes.length).toBe(98 + urlData.length + 4);
    expect((decodeRequest(bytes) as AnnounceRequestPacket).urlData).toBe(urlData);
  });

  it('reads BEP 41 options with NOPs, unknown types and an end marker, and survives truncation', () => {
    const base = encodeAnnounceRequest(announceRequest());
    const options = Uint8Array.from([
      1, 2, 3, 0x2f, 0x61, 0x62, 9, 1, 0xff, 2, 1, 0x63, 0, 2, 1, 0x64,
    ]);
    const bytes = new Uint8Array(base.length + options.length);
    bytes.set(base);
    bytes.set(options, base.length);
    expect((decodeRequest(bytes) as AnnounceRequestPacket).urlData).toBe('/abc');
    const truncated = bytes.subarray(0, base.length + 4);
    expect((decodeRequest(truncated) as AnnounceRequestPacket).urlData).toBeUndefined();
  });

  it('round-trips IPv4 and IPv6 announce replies, listing only the family asked for', () => {
    const peers = [
      { host: '192.0.2.1', port: 6881, family: 4 as const },
      { host: '2001:db8::1', port: 51413, family: 6 as const },
      { host: '198.51.100.7', port: 1, family: 4 as const },
    ];
    const v4 = encodeAnnounceResponse(
      { transactionId: 3, interval: 1800, leechers: 4, seeders: 5, peers },
      4,
    );
    expect(v4.length).toBe(20 + 12);
    expect(decodeResponse(v4, 4)).toEqual({
      action: 'announce',
      transactionId: 3,
      interval: 1800,
      leechers: 4,
      seeders: 5,
      peers: [peers[0], peers[2]],
    });
    const v6 = encodeAnnounceResponse(
      { transactionId: 3, interval: 60, leechers: 0, seeders: 1, peers },
      6,
    );
    expect(v6.length).toBe(20 + 18);
    expect((decodeResponse(v6, 6) as { peers: unknown }).peers).toEqual([peers[1]]);
  });

  it('uses precomputed compact bytes when they fit the family', () => {
    const peer = {
      host: '192.0.2.1',
      port: 1,
      family: 4 as const,
      compact: Uint8Array.from([1, 2, 3, 4, 0, 9]),
    };
    const bytes = encodeAnnounceResponse(
      { transactionId: 1, interval: 1, leechers: 0, seeders: 0, peers: [peer] },
      4,
    );
    expect(Array.from(bytes.subarray(20))).toEqual([1, 2, 3, 4, 0, 9]);
  });

  it('refuses values the wire cannot carry', () => {
    expect(
      codeOf(() => encodeAnnounceRequest(announceRequest({ infoHash: new Uint8Array(19) }))),
    ).toBe('invalid-request');
    expect(codeOf(() => encodeAnnounceRequest(announceRequest({ port: 70000 })))).toBe(
      'invalid-request',
    );
    expect(codeOf(() => encodeAnnounceRequest(announceRequest({ left: -1 })))).toBe(
      'invalid-request',
    );
    expect(codeOf(() => encodeAnnounceRequest(announceRequest({ numwant: -2 })))).toBe(
      'invalid-request',
    );
    expect(codeOf(() => encodeAnnounceRequest(announceRequest({ transactionId: 2 ** 32 })))).toBe(
      'invalid-request',
    );
  });

  it('refuses short requests, unknown events and replies whose peers do not divide', () => {
    const bytes = encodeAnnounceRequest(announceRequest());
    expect(codeOf(() => decodeRequest(bytes.subarray(0, 97)))).toBe('malformed-request');
    const badEvent = bytes.slice();
    badEvent[83] = 4;
    expect(codeOf(() => decodeRequest(badEvent))).toBe('malformed-request');
    const reply = encodeAnnounceResponse(
      {
        transactionId: 1,
        interval: 1,
        leechers: 0,
        seeders: 0,
        peers: [{ host: '1.2.3.4', port: 5, family: 4 }],
      },
      4,
    );
    expect(codeOf(() => decodeResponse(reply.subarray(0, 25), 4))).toBe('malformed-response');
    expect(codeOf(() => decodeResponse(reply.subarray(0, 19), 4))).toBe('malformed-response');
    expect(codeOf(() => decodeResponse(reply, 6))).toBe('malformed-response');
  });
});

describe('scrape', () => {
  it('round-trips requests and replies', () => {
    const hashes = [infoHash, infoHash.map((b) => b + 100)];
    const request = encodeScrapeRequest({ connectionId, transactionId: 9, infoHashes: hashes });
    expect(request.length).toBe(16 + 40);
    expect(decodeRequest(request)).toEqual({
      action: 'scrape',
      connectionId,
      transactionId: 9,
      infoHashes: hashes,
    });
    const entries = [
      { seeders: 1, completed: 2, leechers: 3 },
      { seeders: 4, completed: 5, leechers: 6 },
    ];
    expect(decodeResponse(encodeScrapeResponse({ transactionId: 9, entries }))).toEqual({
      action: 'scrape',
      transactionId: 9,
      entries,
    });
  });

  it('refuses empty, ragged and oversized scrapes', () => {
    expect(
      codeOf(() => encodeScrapeRequest({ connectionId, transactionId: 1, infoHashes: [] })),
    ).toBe('invalid-request');
    const many = Array.from({ length: 75 }, () => infoHash);
    expect(
      codeOf(() => encodeScrapeRequest({ connectionId, transactionId: 1, infoHashes: many })),
    ).toBe('invalid-request');
    const request = encodeScrapeRequest({ connectionId, transactionId: 1, infoHashes: [infoHash] });
    expect(codeOf(() => decodeRequest(request.subarray(0, 16)))).toBe('malformed-request');
    expect(codeOf(() => decodeRequest(request.subarray(0, 30)))).toBe('malformed-request');
    const oversized = new Uint8Array(16 + 75 * 20);
    oversized.set(request.subarray(0, 16));
    expect(codeOf(() => decodeRequest(oversized))).toBe('malformed-request');
    const reply = encodeScrapeResponse({
      transactionId: 1,
      entries: [{ seeders: 1, completed: 1, leechers: 1 }],
    });
    expect(codeOf(() => decodeResponse(reply.subarray(0, 15)))).toBe('malformed-response');
  });
});

describe('error and headers', () => {
  it('round-trips an error message, dropping a trailing NUL', () => {
    const bytes = encodeErrorResponse({ transactionId: 5, message: 'torrent not registered ✓' });
    expect(decodeResponse(bytes)).toEqual({
      action: 'error',
      transactionId: 5,
      message: 'torrent not registered ✓',
    });
    const withNul = new Uint8Array(bytes.length + 1);
    withNul.set(bytes);
    expect(decodeResponse(withNul)).toMatchObject({ message: 'torrent not registered ✓' });
  });

  it('peeks the action and transaction id of any reply of 8 bytes or more', () => {
    expect(peekHeader(new Uint8Array(7))).toBeUndefined();
    expect(peekHeader(encodeErrorResponse({ transactionId: 42, message: '' }))).toEqual({
      action: 3,
      transactionId: 42,
    });
  });

  it('refuses unknown actions both ways', () => {
    const reply = encodeErrorResponse({ transactionId: 1, message: 'x' });
    reply[3] = 7;
    expect(codeOf(() => decodeResponse(reply))).toBe('malformed-response');
    const request = encodeConnectRequest({ transactionId: 1 });
    request[11] = 9;
    expect(codeOf(() => decodeRequest(request))).toBe('malformed-request');
  });
});

describe('properties', () => {
  it('any bytes decode to a packet or a typed error, never anything else', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(4 as const, 6 as const),
        (bytes, family) => {
          for (const decode of [() => decodeRequest(bytes), () => decodeResponse(bytes, family)]) {
            try {
              decode();
            } catch (error) {
              if (!UdpTrackerError.isInstance(error)) throw error;
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('announce requests round-trip', () => {
    fc.assert(
      fc.property(
        fc.record({
          transactionId: fc.nat({ max: 0xffffffff }),
          downloaded: fc.maxSafeNat(),
          left: fc.maxSafeNat(),
          uploaded: fc.maxSafeNat(),
          event: fc.constantFrom(
            'none' as const,
            'completed' as const,
            'started' as const,
            'stopped' as const,
          ),
          key: fc.nat({ max: 0xffffffff }),
          numwant: fc.integer({ min: -1, max: 0x7fffffff }),
          port: fc.nat({ max: 65535 }),
          urlData: fc.option(fc.string({ minLength: 1, maxLength: 600 }), { nil: undefined }),
        }),
        (fields) => {
          const packet = announceRequest(fields);
          if (packet.urlData === undefined) delete packet.urlData;
          expect(decodeRequest(encodeAnnounceRequest(packet))).toEqual({
            action: 'announce',
            ...packet,
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
