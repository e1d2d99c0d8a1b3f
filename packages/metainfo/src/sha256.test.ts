import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256, sha256Pair, sha256Portable } from './sha256.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('sha256', () => {
  it('matches node:crypto, in both implementations (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const expected = createHash('sha256').update(bytes).digest('hex');
        expect(hex(sha256Portable(bytes))).toBe(expected);
        expect(hex(sha256(bytes))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('knows the FIPS 180 test vectors', () => {
    const of = (text: string) => hex(sha256Portable(new TextEncoder().encode(text)));
    expect(of('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(of('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(of('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('hashes a pair as the concatenation', () => {
    const left = new Uint8Array(32).fill(1);
    const right = new Uint8Array(32).fill(2);
    expect(hex(sha256Pair(left, right))).toBe(
      createHash('sha256').update(left).update(right).digest('hex'),
    );
  });
});
