/**
 * The pull reader: exact tokens and spans, and held to `decode` by properties: on valid input
 * the value built from its tokens equals `decode`'s; on mutated input both accept or both throw
 * the same code at the same offset, in lenient and strict mode.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BencodeDecodeError,
  BencodeError,
  BencodeReader,
  type BencodeReaderOptions,
  type BencodeValue,
  decode,
  encode,
  equals,
  locate,
} from './index.js';

const te = new TextEncoder();
const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** Builds a value from the reader's tokens alone (what a pull consumer would do). */
function build(bytes: Uint8Array, options?: BencodeReaderOptions): BencodeValue {
  const reader = new BencodeReader(bytes, options);
  const stack: {
    container: BencodeValue[] | Map<string | Uint8Array, BencodeValue>;
    key?: string | Uint8Array;
  }[] = [];
  let result: BencodeValue | undefined;
  const attach = (value: BencodeValue): void => {
    const top = stack.at(-1);
    if (top === undefined) result = value;
    else if (Array.isArray(top.container)) top.container.push(value);
    else {
      top.container.set(top.key!, value);
      top.key = undefined;
    }
  };
  for (let token = reader.next(); token !== undefined; token = reader.next()) {
    switch (token) {
      case 'dictionary-start':
        stack.push({ container: new Map() });
        break;
      case 'list-start':
        stack.push({ container: [] });
        break;
      case 'dictionary-end':
      case 'list-end': {
        const done = stack.pop()!;
        expect(
          decode(bytes.subarray(reader.start, reader.end), { maxIntegerDigits: 1000 }),
        ).toBeDefined();
        attach(done.container);
        break;
      }
      case 'integer':
        attach(reader.integer);
        break;
      case 'string':
        if (reader.isKey) {
          const text = new TextDecoder('utf-8', { fatal: false }).decode(reader.bytes());
          const exact = te.encode(text);
          const raw = reader.bytes();
          stack.at(-1)!.key =
            exact.length === raw.length && exact.every((b, i) => b === raw[i]) ? text : raw;
        } else attach(reader.bytes());
        break;
    }
  }
  expect(reader.done).toBe(true);
  return result!;
}

function outcome(run: () => unknown): { code: string; offset: number } | { value: unknown } {
  try {
    return { value: run() };
  } catch (error) {
    if (!BencodeDecodeError.isInstance(error)) throw error;
    return { code: error.code, offset: error.offset };
  }
}

describe('BencodeReader', () => {
  it('reads tokens with their spans', () => {
    const bytes = bytesOf('d3:bar4:spam3:fooi42e4:listli-1el0:eee');
    const reader = new BencodeReader(bytes);
    const seen: [string, number, number, boolean][] = [];
    for (let token = reader.next(); token !== undefined; token = reader.next()) {
      seen.push([token, reader.start, reader.end, reader.isKey]);
    }
    expect(seen).toEqual([
      ['dictionary-start', 0, 1, false],
      ['string', 1, 6, true],
      ['string', 6, 12, false],
      ['string', 12, 17, true],
      ['integer', 17, 21, false],
      ['string', 21, 27, true],
      ['list-start', 27, 28, false],
      ['integer', 28, 32, false],
      ['list-start', 32, 33, false],
      ['string', 33, 35, false],
      ['list-end', 32, 36, false],
      ['list-end', 27, 37, false],
      ['dictionary-end', 0, 38, false],
    ]);
    expect(reader.position).toBe(bytes.length);
  });

  it('gives string data, text and comparisons', () => {
    const reader = new BencodeReader(te.encode('l4:info6:héhée'));
    reader.next();
    expect(reader.next()).toBe('string');
    expect([reader.dataStart, reader.dataEnd]).toEqual([3, 7]);
    expect(reader.stringIs('info')).toBe(true);
    expect(reader.stringIs('inf')).toBe(false);
    expect(reader.next()).toBe('string');
    expect(reader.text()).toBe('héhé');
    expect(reader.stringIs('héhé')).toBe(true);
    expect(reader.stringIs('hého')).toBe(false);
  });

  it('reads big integers as bigint', () => {
    const reader = new BencodeReader(bytesOf('li-9007199254740993ei9007199254740991ee'));
    reader.next();
    reader.next();
    expect(reader.integer).toBe(-9007199254740993n);
    reader.next();
    expect(reader.integer).toBe(9007199254740991);
  });

  it('skips and reads whole values', () => {
    const bytes = encode({ a: [1, 2, { x: 'y' }], b: 'text', c: 7 });
    const reader = new BencodeReader(bytes);
    reader.next();
    reader.next(); // key a
    const span = reader.skipValue();
    expect(decode(bytes.subarray(span.start, span.end))).toEqual([
      1,
      2,
      new Map([['x', te.encode('y')]]),
    ]);
    expect(reader.skipValue()).toEqual({ start: span.end, end: span.end + 3 }); // the key b
    expect(reader.readValue({ copy: true })).toEqual(te.encode('text'));
    reader.next(); // key c
    expect(reader.readValue()).toBe(7);
    expect(reader.atContainerEnd()).toBe(true);
    expect(reader.next()).toBe('dictionary-end');
    expect(reader.next()).toBeUndefined();
    expect(() => reader.skipValue()).toThrow(/no value here/);
  });

  it('reads a container whole with readValue, keeping its own state right', () => {
    const bytes = encode({ a: { b: [1, 2] }, c: 3 });
    const reader = new BencodeReader(bytes);
    reader.next();
    reader.next();
    expect(equals(reader.readValue(), new Map([['b', [1, 2]]]))).toBe(true);
    expect(reader.token).toBe('dictionary-end');
    expect(reader.next()).toBe('string');
    expect(reader.isKey).toBe(true);
    expect(reader.readValue()).toBe(3);
    expect(reader.next()).toBe('dictionary-end');
  });

  it('refuses trailing bytes unless reading a prefix, and starts where told', () => {
    expect(() => {
      const reader = new BencodeReader(bytesOf('i1eXYZ'));
      reader.next();
    }).toThrow(expect.objectContaining({ code: 'trailing-bytes', offset: 3 }));
    const reader = new BencodeReader(bytesOf('XXd1:ai1eeXYZ'), { prefix: true, start: 2 });
    expect(reader.skipValue()).toEqual({ start: 2, end: 10 });
    expect(reader.position).toBe(10);
    expect(() => new BencodeReader(bytesOf('i1e'), { start: 4 })).toThrow(RangeError);
  });

  it('reports errors as decode does', () => {
    for (const text of [
      '',
      'd1:ae',
      'd1:ai1e1:ae',
      'd1:bi1e1:ai1e1:bi1ee',
      'di1ei1ee',
      'l',
      'i12',
      '3:ab',
      'lle',
      'x',
      'i-0e',
      'd1:bi1e1:ai1ee',
    ]) {
      for (const strict of [false, true]) {
        const bytes = bytesOf(text);
        expect(
          outcome(() => build(bytes, { strict })),
          `${text} strict=${strict}`,
        ).toEqual(outcome(() => decode(bytes, { strict })));
      }
    }
    expect(() => decode(bytesOf('d1:ae'))).toThrow(
      expect.objectContaining({ code: 'unexpected-byte', offset: 4 }),
    );
  });

  it('bounds depth as decode does', () => {
    const deep = bytesOf('l'.repeat(5) + 'e'.repeat(5));
    expect(outcome(() => build(deep, { maxDepth: 4 }))).toEqual({
      code: 'depth-exceeded',
      offset: 4,
    });
    const reader = new BencodeReader(deep, { maxDepth: 4 });
    reader.next();
    reader.next();
    expect(() => reader.readValue()).toThrow(
      expect.objectContaining({ code: 'depth-exceeded', offset: 4 }),
    );
  });

  it('locate reads through the reader', () => {
    const bytes = encode({ info: { files: [{ length: 1 }, { length: 2 }] } });
    const span = locate(bytes, ['info', 'files', 1])!;
    expect(decode(bytes.subarray(span.start, span.end))).toEqual(new Map([['length', 2]]));
    expect(locate(bytes, ['info', 'files', 2])).toBeUndefined();
    expect(locate(bytes, ['nope'])).toBeUndefined();
    expect(locate(bytes, [0])).toBeUndefined();
  });
});

/** Canonical and non-canonical documents from the bencode alphabet, built as text. */
const document: fc.Arbitrary<string> = fc.letrec<{ item: string }>((tie) => ({
  item: fc.oneof(
    { depthSize: 'small' },
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => `i${n}e`),
    fc.string({ maxLength: 6, unit: 'binary-ascii' }).map((s) => `${s.length}:${s}`),
    fc.array(tie('item'), { maxLength: 4 }).map((items) => `l${items.join('')}e`),
    fc
      .array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'ab', '\u00ff'), tie('item')), {
        maxLength: 5,
      })
      .map(
        (entries) => `d${entries.map(([key, value]) => `${key.length}:${key}${value}`).join('')}e`,
      ),
  ),
})).item;

const edits = fc.array(
  fc.tuple(
    fc.nat(),
    fc.constantFrom(...'ilde0123456789:-x'.split('').map((c) => c.charCodeAt(0))),
    fc.constantFrom('set', 'insert', 'delete'),
  ),
  { maxLength: 3 },
);

function mutate(text: string, changes: [number, number, string][]): Uint8Array {
  const bytes = [...bytesOf(text)];
  for (const [position, byte, kind] of changes) {
    const at = position % (bytes.length + 1);
    if (kind === 'set' && at < bytes.length) bytes[at] = byte;
    else if (kind === 'insert') bytes.splice(at, 0, byte);
    else bytes.splice(at, 1);
  }
  return Uint8Array.from(bytes);
}

describe('BencodeReader properties', () => {
  it('agrees with decode on every input: same value, or the same error at the same offset', () => {
    fc.assert(
      fc.property(document, edits, fc.boolean(), (text, changes, strict) => {
        const bytes = mutate(text, changes);
        const ours = outcome(() => build(bytes, { strict }));
        const theirs = outcome(() => decode(bytes, { strict }));
        if ('value' in ours && 'value' in theirs) {
          expect(equals(ours.value as BencodeValue, theirs.value as BencodeValue)).toBe(true);
        } else {
          expect(ours).toEqual(theirs);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('skipValue spans decode to the same values as readValue', () => {
    fc.assert(
      fc.property(document, (text) => {
        const bytes = bytesOf(`l${text}${text}e`);
        if (!('value' in outcome(() => decode(bytes)))) return;
        const reader = new BencodeReader(bytes);
        reader.next();
        const span = reader.skipValue();
        const value = reader.readValue();
        expect(equals(decode(bytes.subarray(span.start, span.end)), value)).toBe(true);
        expect(reader.next()).toBe('list-end');
      }),
      { numRuns: 500 },
    );
  });

  it('throws only BencodeError whatever it reads', () => {
    fc.assert(
      fc.property(document, edits, (text, changes) => {
        const bytes = mutate(text, changes);
        for (const run of [
          () => build(bytes),
          () => new BencodeReader(bytes).skipValue(),
          () => new BencodeReader(bytes).readValue(),
          () => locate(bytes, ['a', 0]),
        ]) {
          try {
            run();
          } catch (error) {
            if (!BencodeError.isInstance(error)) throw error;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
