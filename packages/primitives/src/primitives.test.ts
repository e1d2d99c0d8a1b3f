import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCompactPeers,
  encodeCompactPeers,
  formatIPv6,
  fromBase32,
  fromHex,
  generatePeerId,
  parseInfoHash,
  parseIPv4,
  parseIPv6,
  parsePeerAddress,
  PrimitivesError,
  toBase32,
  toHex,
  writeIPv4,
} from './index.js';

describe('hex and base32', () => {
  it('round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(fromHex(toHex(bytes))).toEqual(bytes);
        expect(fromBase32(toBase32(bytes))).toEqual(bytes);
      }),
    );
  });
  it('matches RFC 4648 vectors', () => {
    expect(toBase32(new TextEncoder().encode('foobar'))).toBe('MZXW6YTBOI');
    expect(new TextDecoder().decode(fromBase32('mzxw6ytboi'))).toBe('foobar');
  });
  it('rejects malformed text with a typed error', () => {
    expect(() => fromHex('abc')).toThrow(PrimitivesError);
    expect(() => fromHex('zz')).toThrow(/not a hex string/);
    expect(() => fromBase32('01')).toThrow(PrimitivesError);
  });
});

describe('info-hashes and peer ids', () => {
  it('parses hex and base32 forms to the same bytes', () => {
    const hex = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
    const bytes = parseInfoHash(hex);
    expect(bytes.length).toBe(20);
    expect(parseInfoHash(toBase32(bytes))).toEqual(bytes);
    expect(() => parseInfoHash('xyz')).toThrow(/40 hex digits/);
  });
  it('generates peer ids with the client prefix and random tails', () => {
    const a = generatePeerId();
    const b = generatePeerId();
    expect(new TextDecoder().decode(a.subarray(0, 8))).toBe('-BT0001-');
    expect(toHex(a)).not.toBe(toHex(b));
  });
});

describe('compact peers', () => {
  it('decodes BEP 23 and BEP 7 entries', () => {
    const v4 = Uint8Array.from([127, 0, 0, 1, 0x1a, 0xe1]);
    expect(decodeCompactPeers(v4, 4)).toEqual([{ host: '127.0.0.1', port: 6881, family: 4 }]);
    const v6 = new Uint8Array(18);
    v6[15] = 1;
    v6[16] = 0x1a;
    v6[17] = 0xe1;
    expect(decodeCompactPeers(v6, 6)).toEqual([{ host: '::1', port: 6881, family: 6 }]);
  });
  it('round-trips arbitrary peers of both families', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 }))),
        fc.array(fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 }))),
        (v4, v6) => {
          const peers4 = v4.map(([host, port]) => ({ host, port, family: 4 as const }));
          expect(decodeCompactPeers(encodeCompactPeers(peers4, 4), 4)).toEqual(peers4);
          const peers6 = v6.map(([host, port]) => ({
            host: formatIPv6(parseIPv6(host)),
            port,
            family: 6 as const,
          }));
          expect(decodeCompactPeers(encodeCompactPeers(peers6, 6), 6)).toEqual(peers6);
        },
      ),
    );
  });
  it('rejects a length that is not a multiple of the entry size', () => {
    expect(() => decodeCompactPeers(new Uint8Array(7), 4)).toThrow(PrimitivesError);
    expect(() => decodeCompactPeers(new Uint8Array(19), 6)).toThrow(/18-byte entries/);
  });
});

describe('IPv6 text', () => {
  it('formats per RFC 5952 and parses every textual form', () => {
    expect(formatIPv6(parseIPv6('2001:0db8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1');
    expect(formatIPv6(parseIPv6('::ffff:192.0.2.1'))).toBe('::ffff:c000:201');
    expect(formatIPv6(parseIPv6('1:0:0:2:0:0:0:3'))).toBe('1:0:0:2::3');
    expect(() => parseIPv6('1::2::3')).toThrow(PrimitivesError);
    expect(() => parseIPv6('1:2:3')).toThrow(PrimitivesError);
  });
});

describe('peer addresses', () => {
  it('parses host:port and [v6]:port', () => {
    expect(parsePeerAddress('127.0.0.1:6881')).toEqual({
      host: '127.0.0.1',
      port: 6881,
      family: 4,
    });
    expect(parsePeerAddress('[::1]:51413')).toEqual({ host: '::1', port: 51413, family: 6 });
    expect(parsePeerAddress('localhost:80').host).toBe('localhost');
    expect(() => parsePeerAddress('127.0.0.1')).toThrow(/HOST:PORT/);
    expect(() => parsePeerAddress('127.0.0.1:70000')).toThrow(/out of range/);
  });
});

describe('writeIPv4', () => {
  it('writes a dotted quad in place and refuses anything else, as parseIPv4 decides', () => {
    const out = new Uint8Array(6).fill(0xee);
    expect(writeIPv4('192.168.0.255', out, 1)).toBe(true);
    expect([...out]).toEqual([0xee, 192, 168, 0, 255, 0xee]);
    for (const text of [
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '1.2.3.',
      '::1',
      'a.b.c.d',
      '1234.1.1.1',
      '',
    ])
      expect(writeIPv4(text, new Uint8Array(4), 0)).toBe(false);
    // every address parseIPv4 accepts is written the same
    for (const text of ['0.0.0.0', '127.0.0.1', '10.20.30.40', '255.255.255.255']) {
      const written = new Uint8Array(4);
      expect(writeIPv4(text, written, 0)).toBe(true);
      expect(written).toEqual(parseIPv4(text));
    }
  });
});
