/**
 * Fuzzing: mutated and truncated encodings of valid documents. Whatever the bytes, decode and
 * locate either return or throw a BencodeError; never a RangeError, TypeError or a hang.
 * Bounded: a fixed number of inputs, each small.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BencodeError, BencodeReader, decode, decodePrefix, encode, locate } from './index.js';

const seeds = [
  encode({
    announce: 'http://tracker/announce',
    info: {
      name: 'n',
      'piece length': 16384,
      pieces: new Uint8Array(40),
      files: [{ length: 5, path: ['a', 'b'] }],
    },
  }),
  encode({
    t: 'aa',
    y: 'q',
    q: 'get_peers',
    a: { id: new Uint8Array(20), info_hash: new Uint8Array(20) },
  }),
  encode([1, -2, 2n ** 70n, 'x', [[[]]], {}]),
];

function mustBeBencodeErrorOrValue(bytes: Uint8Array): void {
  for (const run of [
    () => decode(bytes),
    () => decode(bytes, { strict: true }),
    () => decodePrefix(bytes),
    () => locate(bytes, ['info', 'files', 0]),
    () => {
      const reader = new BencodeReader(bytes, { strict: true });
      while (reader.next() !== undefined);
    },
  ]) {
    try {
      run();
    } catch (error) {
      if (!BencodeError.isInstance(error)) throw error;
      expect(typeof error.code).toBe('string');
    }
  }
}

const mutation = fc.record({
  seed: fc.integer({ min: 0, max: seeds.length - 1 }),
  edits: fc.array(
    fc.tuple(
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('set', 'insert', 'delete'),
    ),
    { maxLength: 6 },
  ),
  cut: fc.option(fc.nat()),
});

describe('fuzz', () => {
  it('only ever throws BencodeError on mutated input', () => {
    fc.assert(
      fc.property(mutation, ({ seed, edits, cut }) => {
        const bytes = [...seeds[seed]!];
        for (const [position, byte, kind] of edits) {
          const at = position % (bytes.length + 1);
          if (kind === 'set' && at < bytes.length) bytes[at] = byte;
          else if (kind === 'insert') bytes.splice(at, 0, byte);
          else bytes.splice(at, 1);
        }
        const input = Uint8Array.from(
          cut === null ? bytes : bytes.slice(0, cut % (bytes.length + 1)),
        );
        mustBeBencodeErrorOrValue(input);
      }),
      { numRuns: 5000 },
    );
  });

  it('only ever throws BencodeError on random bytes from the bencode alphabet', () => {
    const alphabet = fc.constantFrom(...'ildee0123456789:-x'.split('').map((c) => c.charCodeAt(0)));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 64 }), (codes) =>
        mustBeBencodeErrorOrValue(Uint8Array.from(codes)),
      ),
      { numRuns: 5000 },
    );
  });

  it('handles every truncation of every seed', () => {
    for (const seed of seeds) {
      for (let end = 0; end < seed.length; end++) {
        expect(() => decode(seed.subarray(0, end))).toThrow(BencodeError);
      }
    }
  });
});
