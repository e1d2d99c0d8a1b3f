import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha1, sha1Portable } from './sha1.js';

describe('sha1', () => {
  it('matches node:crypto, in both implementations (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const expected = createHash('sha1').update(bytes).digest('hex');
        expect(Buffer.from(sha1Portable(bytes)).toString('hex')).toBe(expected);
        expect(Buffer.from(sha1(bytes)).toString('hex')).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('knows the FIPS 180 test vectors', () => {
    const hex = (text: string) =>
      Buffer.from(sha1Portable(new TextEncoder().encode(text))).toString('hex');
    expect(hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    );
  });
});
