import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha1 } from './sha1.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('sha1', () => {
  it('FIPS 180 answers', () => {
    expect(hex(sha1([]))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(hex(sha1([new TextEncoder().encode('abc')]))).toBe(
      'a9993e364706816aba3e25717850c26c9cd0d89d',
    );
  });

  it('agrees with OpenSSL over lengths around the block edges, in parts', () => {
    for (const length of [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const data = Uint8Array.from({ length }, (_, k) => (k * 131 + length) & 255);
      const expected = createHash('sha1').update(data).digest('hex');
      expect(hex(sha1([data]))).toBe(expected);
      const cut = Math.floor(length / 3);
      expect(hex(sha1([data.subarray(0, cut), data.subarray(cut)]))).toBe(expected);
    }
  });
});
