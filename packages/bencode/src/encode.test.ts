import { describe, expect, it } from 'vitest';
import { encodeMeasured } from './encode.js';
import { BencodeEncodeError, BencodeError, decode, encode, type EncodableValue } from './index.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

describe('encode', () => {
  it('writes integers in shortest form, including beyond 2^53', () => {
    expect(text(encode(0))).toBe('i0e');
    expect(text(encode(7))).toBe('i7e');
    expect(text(encode(-42))).toBe('i-42e');
    expect(text(encode(-0))).toBe('i0e');
    expect(text(encode(2n ** 64n))).toBe('i18446744073709551616e');
    expect(text(encode(1e21))).toBe('i1000000000000000000000e');
    expect(text(encode(true))).toBe('i1e');
    expect(text(encode(false))).toBe('i0e');
  });

  it('writes strings as UTF-8 and bytes as they are', () => {
    expect(text(encode('spam'))).toBe('4:spam');
    expect(encode('é€😀')).toEqual(
      Uint8Array.from([0x39, 0x3a, ...new TextEncoder().encode('é€😀')]),
    );
    expect(text(encode(''))).toBe('0:');
    expect(text(encode(Uint8Array.from([0, 255])))).toBe('2:\x00\xff');
    expect(text(encode(Buffer.from('ab')))).toBe('2:ab');
    expect(text(encode(new Uint16Array([0x6261]).buffer))).toBe('2:ab');
    // A lone surrogate is written as U+FFFD, and the length counts it as 3 bytes.
    expect(text(encode('\ud800'))).toBe('3:\xef\xbf\xbd');
    expect(decode(encode('x'.repeat(100_000)))).toHaveLength(100_000);
  });

  it('sorts dictionary keys as raw bytes and skips undefined and null', () => {
    expect(text(encode({ b: 1, a: 2, c: undefined, d: null }))).toBe('d1:ai2e1:bi1ee');
    expect(text(encode({ z: 1, é: 2, A: 3 }))).toBe('d1:Ai3e1:zi1e2:\xc3\xa9i2ee');
    // U+FFFF sorts before U+10000 in UTF-16 order too, but 😀 (a surrogate pair) sorts after
    // U+E000 as bytes while UTF-16 puts it first.
    const keys = [...(decode(encode({ '\ue000': 1, '😀': 2 })) as Map<string, unknown>).keys()];
    expect(keys).toEqual(['\ue000', '😀']);
    const map = new Map<string | Uint8Array, EncodableValue>([
      [Uint8Array.from([0xff]), 1],
      ['a', 2],
    ]);
    expect(text(encode(map))).toBe('d1:ai2e1:\xffi1ee');
    expect(
      text(encode(Object.assign(Object.create(null) as object, { k: 'v' }) as EncodableValue)),
    ).toBe('d1:k1:ve');
    // JSON.parse makes "__proto__" an own key; it is written as a key like any other and decodes
    // back into a Map, never into an object prototype.
    const parsed = JSON.parse('{"__proto__":{"a":1},"b":2}') as EncodableValue;
    expect(text(encode(parsed))).toBe('d9:__proto__d1:ai1ee1:bi2ee');
    expect(decode(encode(parsed))).toEqual(
      new Map<string, unknown>([
        ['__proto__', new Map([['a', 1]])],
        ['b', 2],
      ]),
    );
  });

  it('allocates the output once, at its exact size', () => {
    const values: EncodableValue[] = [
      'x',
      { t: Uint8Array.from([1, 2]), y: 'q', a: { id: new Uint8Array(20) } },
      new Map<string, EncodableValue>([['values', [new Uint8Array(6), new Uint8Array(6)]]]),
      { é: 'ünïcode', list: [1, -2, 2n ** 64n, true, 'x'.repeat(300)] },
    ];
    for (const value of values) {
      const { bytes, regrowths } = encodeMeasured(value);
      expect(regrowths).toBe(0);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
    }
  });

  it('encodes lists and nesting', () => {
    expect(text(encode([1, 'a', [], {}]))).toBe('li1e1:aledee');
  });

  it('rejects values with no bencode form, saying where they are', () => {
    const cases: [EncodableValue, string, (string | number)[]][] = [
      [1.5, 'not-an-integer', []],
      [Number.NaN, 'not-an-integer', []],
      [{ a: [1, { b: 0.5 }] }, 'not-an-integer', ['a', 1, 'b']],
      [null as unknown as EncodableValue, 'unencodable-value', []],
      [[undefined] as unknown as EncodableValue, 'unencodable-value', [0]],
      [{ f: (() => 1) as unknown as EncodableValue }, 'unencodable-value', ['f']],
      [{ d: new Date() as unknown as EncodableValue }, 'unencodable-value', ['d']],
      [Symbol('s') as unknown as EncodableValue, 'unencodable-value', []],
      [
        new Map<string | Uint8Array, EncodableValue>([
          ['a', 1],
          [Uint8Array.from([0x61]), 2],
        ]),
        'duplicate-key',
        ['<0x61>'],
      ],
    ];
    for (const [value, code, path] of cases) {
      let caught: unknown;
      try {
        encode(value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(BencodeEncodeError);
      expect(BencodeError.isInstance(caught)).toBe(true);
      expect({
        code: (caught as BencodeEncodeError).code,
        path: (caught as BencodeEncodeError).path,
      }).toEqual({ code, path });
    }
  });

  it('reports cyclic values instead of overflowing the stack', () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(() => encode(cyclic as EncodableValue)).toThrow(/deeper than 1000 levels/);
  });
});
