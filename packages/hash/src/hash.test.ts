import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Sha1,
  crc32c,
  sha1,
  sha1Parts,
  sha1Portable,
  sha256,
  sha256Pair,
  sha256Portable,
} from './index.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const EDGES = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000];

describe('sha1', () => {
  it('knows the FIPS 180 test vectors', () => {
    for (const digest of [sha1, sha1Portable]) {
      expect(hex(digest(ascii('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
      expect(hex(digest(ascii('')))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
      expect(hex(digest(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
        '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
      );
    }
  });

  it('matches node:crypto on every length around the block edges, whole and in parts', () => {
    const reused = new Sha1();
    for (const length of EDGES) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      const expected = createHash('sha1').update(bytes).digest('hex');
      expect(hex(sha1(bytes))).toBe(expected);
      expect(hex(sha1Portable(bytes))).toBe(expected);
      const cut = Math.floor(length / 3);
      expect(hex(sha1Parts([bytes.subarray(0, cut), bytes.subarray(cut)]))).toBe(expected);
      const out = new Uint8Array(24);
      reused.digestInto(bytes, out, 4);
      expect(hex(out.subarray(4))).toBe(expected);
    }
    expect(hex(sha1Parts([]))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('hashes only the first `length` bytes when asked', () => {
    const bytes = Uint8Array.from({ length: 200 }, (_, i) => i);
    for (const length of [10, 70, 150]) {
      const out = new Uint8Array(20);
      new Sha1().digestInto(bytes, out, 0, length);
      expect(hex(out)).toBe(createHash('sha1').update(bytes.subarray(0, length)).digest('hex'));
    }
  });

  it('matches node:crypto on random input, both implementations (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const expected = createHash('sha1').update(bytes).digest('hex');
        expect(hex(sha1Portable(bytes))).toBe(expected);
        expect(hex(sha1(bytes))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sha256', () => {
  it('knows the FIPS 180 test vectors', () => {
    for (const digest of [sha256, sha256Portable]) {
      expect(hex(digest(ascii('abc')))).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
      expect(hex(digest(ascii('')))).toBe(
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      );
      expect(hex(digest(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
        '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
      );
    }
  });

  it('matches node:crypto on random input, both implementations (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const expected = createHash('sha256').update(bytes).digest('hex');
        expect(hex(sha256Portable(bytes))).toBe(expected);
        expect(hex(sha256(bytes))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('hashes a pair as the concatenation, whatever the lengths', () => {
    const left = new Uint8Array(32).fill(1);
    const right = new Uint8Array(32).fill(2);
    expect(hex(sha256Pair(left, right))).toBe(
      createHash('sha256').update(left).update(right).digest('hex'),
    );
    expect(hex(sha256Pair(left.subarray(0, 5), right))).toBe(
      createHash('sha256').update(left.subarray(0, 5)).update(right).digest('hex'),
    );
  });
});

describe('crc32c', () => {
  it('has the standard check value', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});
