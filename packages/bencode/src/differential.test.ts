/**
 * Differential test against the npm `bencode` package (WebTorrent's codec): on the same
 * generated inputs both encoders write the same bytes and both decoders read the same values.
 */
import reference from 'bencode';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BencodeValue, decode, encode, type EncodableValue } from './index.js';

type Plain = number | Uint8Array | Plain[] | { [key: string]: Plain };

/** Values both libraries represent alike: safe integers, bytes, ASCII-keyed dictionaries. */
const { value: plainValue } = fc.letrec<{ value: Plain }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.maxSafeInteger(),
    fc.uint8Array({ maxLength: 32 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary-ascii', maxLength: 8 }), tie('value'), { maxKeys: 5 }),
  ),
}));

/** Our decoded value in the reference's shape (objects with string keys). */
function toPlain(value: BencodeValue): Plain {
  if (typeof value === 'bigint') throw new Error('unexpected bigint');
  if (typeof value === 'number' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toPlain);
  const object: { [key: string]: Plain } = {};
  for (const [key, item] of value)
    object[typeof key === 'string' ? key : Buffer.from(key).toString()] = toPlain(item);
  return object;
}

function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item)]));
  }
  return value;
}

describe('differential: npm bencode', () => {
  it('encodes the same bytes', () => {
    fc.assert(
      fc.property(plainValue, (value) => {
        expect(Buffer.from(encode(value as EncodableValue))).toEqual(
          Buffer.from(reference.encode(value)),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes the same values from the same bytes', () => {
    fc.assert(
      fc.property(plainValue, (value) => {
        const bytes = reference.encode(value);
        expect(normalize(toPlain(decode(bytes, { strict: true })))).toEqual(
          normalize(reference.decode(bytes)),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees on a torrent-like document, byte for byte', () => {
    const torrent = {
      announce: new TextEncoder().encode('http://127.0.0.1:6969/announce'),
      'creation date': 1_700_000_000,
      info: {
        files: Array.from({ length: 50 }, (_, i) => ({
          length: i * 1000,
          path: [new TextEncoder().encode(`dir${i % 3}`), new TextEncoder().encode(`file${i}.bin`)],
        })),
        name: new TextEncoder().encode('example'),
        'piece length': 262144,
        pieces: new Uint8Array(20 * 10).map((_, i) => (i * 7) & 255),
      },
    };
    const ours = encode(torrent);
    expect(Buffer.from(ours)).toEqual(Buffer.from(reference.encode(torrent)));
    expect(normalize(toPlain(decode(ours)))).toEqual(normalize(reference.decode(ours)));
  });
});
