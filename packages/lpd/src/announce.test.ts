import { fromHex } from '@bt/primitives';
import { describe, expect, it } from 'vitest';
import {
  decodeAnnounce,
  encodeAnnounce,
  MAX_ANNOUNCE_BYTES,
  MAX_DECODED_INFO_HASHES,
  MAX_INFO_HASHES_PER_ANNOUNCE,
} from './announce.js';
import { LpdError } from './errors.js';

const A = fromHex('c12fe1c06bba254a9dc9f519b335aa7c1367a88a');
const B = fromHex('0123456789abcdef0123456789abcdef01234567');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return LpdError.isInstance(error) ? error.code : 'untyped';
  }
  return undefined;
}

describe('encodeAnnounce', () => {
  it('writes BEP 14 to the letter, for either group', () => {
    expect(text(encodeAnnounce({ family: 4, port: 6881, infoHashes: [A], cookie: 'abc' }))).toBe(
      'BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n' +
        'Infohash: c12fe1c06bba254a9dc9f519b335aa7c1367a88a\r\ncookie: abc\r\n\r\n\r\n',
    );
    expect(text(encodeAnnounce({ family: 6, port: 1, infoHashes: [A, B] }))).toBe(
      'BT-SEARCH * HTTP/1.1\r\nHost: [ff15::efc0:988f]:6771\r\nPort: 1\r\n' +
        'Infohash: c12fe1c06bba254a9dc9f519b335aa7c1367a88a\r\n' +
        'Infohash: 0123456789abcdef0123456789abcdef01234567\r\n\r\n\r\n',
    );
  });

  it('stays under 1400 bytes with the most info-hashes and the longest cookie', () => {
    const infoHashes = Array.from({ length: MAX_INFO_HASHES_PER_ANNOUNCE }, () => A);
    const bytes = encodeAnnounce({ family: 6, port: 65535, infoHashes, cookie: 'x'.repeat(64) });
    expect(bytes.length).toBeLessThanOrEqual(MAX_ANNOUNCE_BYTES);
  });

  it('refuses what cannot be announced', () => {
    expect(codeOf(() => encodeAnnounce({ family: 4, port: 0, infoHashes: [A] }))).toBe(
      'invalid-announce',
    );
    expect(codeOf(() => encodeAnnounce({ family: 4, port: 65536, infoHashes: [A] }))).toBe(
      'invalid-announce',
    );
    expect(codeOf(() => encodeAnnounce({ family: 4, port: 1, infoHashes: [] }))).toBe(
      'invalid-announce',
    );
    expect(codeOf(() => encodeAnnounce({ family: 4, port: 1, infoHashes: [A.subarray(1)] }))).toBe(
      'invalid-announce',
    );
    expect(
      codeOf(() =>
        encodeAnnounce({
          family: 4,
          port: 1,
          infoHashes: Array.from({ length: MAX_INFO_HASHES_PER_ANNOUNCE + 1 }, () => A),
        }),
      ),
    ).toBe('invalid-announce');
    expect(
      codeOf(() => encodeAnnounce({ family: 4, port: 1, infoHashes: [A], cookie: 'a b' })),
    ).toBe('invalid-announce');
  });
});

describe('decodeAnnounce', () => {
  it('reads back what it wrote', () => {
    expect(
      decodeAnnounce(encodeAnnounce({ family: 4, port: 51413, infoHashes: [A, B], cookie: 'k' })),
    ).toEqual({ port: 51413, infoHashes: [A, B], cookie: 'k' });
  });

  it('is lenient: any header order and case, bare newlines, upper-case hex, unknown headers', () => {
    const announce = decodeAnnounce(
      ascii(
        'bt-search * HTTP/1.0\nX-Extra: 1\nINFOHASH:C12FE1C06BBA254A9DC9F519B335AA7C1367A88A\n' +
          'host: whatever\nport:  6881 \nCookie: me\n\n',
      ),
    );
    expect(announce).toEqual({ port: 6881, infoHashes: [A], cookie: 'me' });
  });

  it('skips invalid and duplicate info-hashes, keeps at most MAX_DECODED_INFO_HASHES', () => {
    const lines = [
      'BT-SEARCH * HTTP/1.1',
      'Port: 1',
      'Infohash: nothex',
      `Infohash: ${'a'.repeat(39)}`,
    ];
    lines.push('Infohash: c12fe1c06bba254a9dc9f519b335aa7c1367a88a');
    lines.push('Infohash: C12FE1C06BBA254A9DC9F519B335AA7C1367A88A');
    for (let i = 0; i < 60; i++) lines.push(`Infohash: ${i.toString(16).padStart(40, '0')}`);
    const announce = decodeAnnounce(ascii(lines.join('\r\n')));
    expect(announce.infoHashes).toHaveLength(MAX_DECODED_INFO_HASHES);
    expect(announce.infoHashes[0]).toEqual(A);
  });

  it('ignores whatever follows the headers', () => {
    const announce = decodeAnnounce(
      ascii(`BT-SEARCH * HTTP/1.1\r\nPort: 2\r\nInfohash: ${'b'.repeat(40)}\r\n\r\nPort: 3\r\n`),
    );
    expect(announce.port).toBe(2);
  });

  it('refuses what is no announce, with typed errors', () => {
    const cases: [string, string][] = [
      ['', 'malformed-announce'],
      ['GET / HTTP/1.1\r\nPort: 1\r\n\r\n', 'malformed-announce'],
      ['BT-SEARCH * HTTP/1.1\r\nInfohash: ' + 'a'.repeat(40), 'malformed-announce'],
      ['BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n', 'malformed-announce'],
      ['BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: ' + 'a'.repeat(40), 'malformed-announce'],
      ['BT-SEARCH * HTTP/1.1\r\nPort: -1\r\nInfohash: ' + 'a'.repeat(40), 'malformed-announce'],
      ['BT-SEARCH * HTTP/1.1\r\nPort: 0x10\r\nInfohash: ' + 'a'.repeat(40), 'malformed-announce'],
      ['BT-SEARCH\r\nPort: 1\r\nInfohash: ' + 'a'.repeat(40), 'malformed-announce'],
    ];
    for (const [input, code] of cases)
      expect(codeOf(() => decodeAnnounce(ascii(input)))).toBe(code);
    expect(codeOf(() => decodeAnnounce(new Uint8Array(5000)))).toBe('oversized-announce');
  });

  it('never throws anything but its typed error on random bytes', () => {
    let state = 12345;
    const next = (): number => (state = (state * 1103515245 + 12345) & 0x7fffffff);
    for (let round = 0; round < 500; round++) {
      const bytes = Uint8Array.from({ length: next() % 300 }, () => next() & 0xff);
      if (round % 2 === 0)
        bytes.set(ascii('BT-SEARCH * HTTP/1.1\r\nPort: 5\r\n').subarray(0, bytes.length));
      const code = codeOf(() => decodeAnnounce(bytes));
      expect(code === undefined || code === 'malformed-announce').toBe(true);
    }
  });
});
