import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMeasured } from './encode.js';
import { type BencodeValue, decode, encode, equals } from './index.js';

/** Arbitrary decoded values: bytes, integers in both ranges, lists, dictionaries. */
const { value: arbitraryValue } = fc.letrec<{
  value: BencodeValue;
  dict: Map<string | Uint8Array, BencodeValue>;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 40 }),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
    fc.maxSafeInteger(),
    fc
      .bigInt({ min: -(2n ** 80n), max: 2n ** 80n })
      .filter((n) => n > 2n ** 53n || n < -(2n ** 53n)),
    fc.array(tie('value'), { maxLength: 6 }),
    tie('dict'),
  ),
  dict: fc
    .uniqueArray(
      fc.tuple(
        fc.oneof(
          fc.string({ maxLength: 12, unit: 'binary' }),
          fc.uint8Array({ minLength: 1, maxLength: 6 }).filter((bytes) => !isUtf8(bytes)),
        ),
        tie('value'),
      ),
      { maxLength: 6, selector: ([key]) => keyId(key) },
    )
    .map((entries) => new Map(entries)),
}));

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function keyId(key: string | Uint8Array): string {
  return Buffer.from(typeof key === 'string' ? new TextEncoder().encode(key) : key).toString('hex');
}

/** Canonical encodings, built directly as bytes (so not by our encoder). */
const canonicalBytes: fc.Arbitrary<string> = fc.letrec<{ item: string }>((tie) => ({
  item: fc.oneof(
    { depthSize: 'small' },
    fc.integer().map((n) => `i${n === 0 ? 0 : n}e`),
    fc.string({ maxLength: 10, unit: 'binary-ascii' }).map((s) => `${s.length}:${s}`),
    fc.array(tie('item'), { maxLength: 5 }).map((items) => `l${items.join('')}e`),
    fc
      .uniqueArray(fc.tuple(fc.string({ maxLength: 6, unit: 'binary-ascii' }), tie('item')), {
        maxLength: 5,
        selector: ([key]) => key,
      })
      .map((entries) => {
        entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `d${entries.map(([key, value]) => `${key.length}:${key}${value}`).join('')}e`;
      }),
  ),
})).item;

describe('properties', () => {
  it('decode(encode(x)) equals x', () => {
    fc.assert(
      fc.property(arbitraryValue, (value) => {
        const { bytes, regrowths } = encodeMeasured(value);
        expect(regrowths).toBe(0);
        const decoded = decode(bytes, { strict: true });
        expect(equals(decoded, value)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('encode(decode(b)) equals b for canonical b, in strict mode', () => {
    fc.assert(
      fc.property(canonicalBytes, (text) => {
        const bytes = Buffer.from(text, 'latin1');
        expect(Buffer.from(encode(decode(bytes, { strict: true })))).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('encode is canonical: its output always passes strict decode', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const value = stripUnencodable(json);
        if (value === undefined) return;
        expect(() => decode(encode(value), { strict: true, maxIntegerDigits: 400 })).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});

type Plain = string | number | Plain[] | { [key: string]: Plain };
function stripUnencodable(json: unknown): Plain | undefined {
  if (typeof json === 'string') return json;
  if (typeof json === 'number') return Number.isInteger(json) ? json : undefined;
  if (typeof json === 'boolean') return json ? 1 : 0;
  if (Array.isArray(json))
    return json.map(stripUnencodable).filter((item): item is Plain => item !== undefined);
  if (json && typeof json === 'object') {
    // A null prototype, so that a "__proto__" key (JSON.parse makes one) stays an own property.
    const result = Object.create(null) as { [key: string]: Plain };
    for (const [key, value] of Object.entries(json)) {
      const stripped = stripUnencodable(value);
      if (stripped !== undefined) result[key] = stripped;
    }
    return result;
  }
  return undefined;
}
