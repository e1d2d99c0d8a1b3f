import { describe, expect, it } from 'vitest';
import {
  BencodeDecodeError,
  BencodeError,
  type BencodeDecodeErrorCode,
  decode,
  decodePrefix,
  locate,
  toText,
} from './index.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));

function decodeError(
  input: string | Uint8Array,
  options?: Parameters<typeof decode>[1],
): BencodeDecodeError {
  try {
    decode(typeof input === 'string' ? latin1(input) : input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(BencodeDecodeError);
    return error as BencodeDecodeError;
  }
  throw new Error(`expected ${String(input)} to fail`);
}

function expectError(
  input: string,
  code: BencodeDecodeErrorCode,
  offset: number,
  options?: Parameters<typeof decode>[1],
): void {
  const error = decodeError(input, options);
  expect({ code: error.code, offset: error.offset }).toEqual({ code, offset });
  expect(error.message).toContain(`at byte ${offset}`);
}

describe('decode: values', () => {
  it('decodes integers as numbers, and as bigints beyond 2^53', () => {
    expect(decode(bytes('i0e'))).toBe(0);
    expect(decode(bytes('i-42e'))).toBe(-42);
    expect(decode(bytes('i9007199254740991e'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decode(bytes('i-9007199254740991e'))).toBe(Number.MIN_SAFE_INTEGER);
    expect(decode(bytes('i9007199254740992e'))).toBe(9007199254740992n);
    expect(decode(bytes('i-18446744073709551616e'))).toBe(-18446744073709551616n);
    expect(decode(bytes('i123456789012345e'))).toBe(123456789012345);
    expect(decode(bytes('i1234567890123456e'))).toBe(1234567890123456);
  });

  it('decodes byte strings as views of the input, binary-safe', () => {
    const input = latin1('5:\x00\xff\x80ab');
    const value = decode(input) as Uint8Array;
    expect(value).toBeInstanceOf(Uint8Array);
    expect([...value]).toEqual([0, 255, 128, 97, 98]);
    expect(value.buffer).toBe(input.buffer);
    expect(value.byteOffset).toBe(2);
    expect(decode(bytes('0:'))).toEqual(new Uint8Array(0));
  });

  it('returns plain Uint8Arrays even for Buffer input', () => {
    const value = decode(Buffer.from('3:abc')) as Uint8Array;
    expect(Object.getPrototypeOf(value)).toBe(Uint8Array.prototype);
  });

  it('copies byte strings when asked', () => {
    const input = bytes('3:abc');
    const value = decode(input, { copy: true }) as Uint8Array;
    expect(value.buffer).not.toBe(input.buffer);
    input[2] = 0x7a;
    expect(toText(value)).toBe('abc');
  });

  it('decodes lists and dictionaries', () => {
    expect(decode(bytes('le'))).toEqual([]);
    expect(decode(bytes('li1ei2ee'))).toEqual([1, 2]);
    const dictionary = decode(bytes('d3:bari1e3:fooli2eee'));
    expect(dictionary).toEqual(
      new Map<string, unknown>([
        ['bar', 1],
        ['foo', [2]],
      ]),
    );
    expect(decode(bytes('de'))).toEqual(new Map());
  });

  it('keeps UTF-8 keys as strings and other keys as raw bytes', () => {
    const dictionary = decode(latin1('d2:\xc3\xa9i1e2:\xff\xfei2ee')) as Map<
      string | Uint8Array,
      unknown
    >;
    const keys = [...dictionary.keys()];
    expect(keys[0]).toBe('é');
    expect(keys[1]).toEqual(Uint8Array.from([0xff, 0xfe]));
  });
});

describe('decode: malformed input reports code and offset', () => {
  const cases: [string, BencodeDecodeErrorCode, number][] = [
    ['', 'unexpected-end', 0],
    ['x', 'unexpected-byte', 0],
    ['i', 'unexpected-end', 1],
    ['i12', 'unexpected-end', 3],
    ['ie', 'invalid-integer', 0],
    ['i-e', 'invalid-integer', 0],
    ['i1-2e', 'invalid-integer', 2],
    ['i1.5e', 'invalid-integer', 2],
    ['i--1e', 'invalid-integer', 2],
    ['5:abc', 'string-out-of-bounds', 0],
    ['3', 'unexpected-end', 1],
    ['3x', 'invalid-length', 1],
    ['l', 'unexpected-end', 1],
    ['li1e', 'unexpected-end', 4],
    ['d', 'unexpected-end', 1],
    ['d3:foo', 'unexpected-end', 6],
    ['di1ei2ee', 'key-not-string', 1],
    ['d1:ai1e1:ai2ee', 'duplicate-key', 7],
    ['i1ei2e', 'trailing-bytes', 3],
    ['le ', 'trailing-bytes', 2],
    ['d1:a', 'unexpected-end', 4],
    ['l1:ax', 'unexpected-byte', 4],
    ['99999999999999999999:a', 'string-out-of-bounds', 0],
  ];
  it.each(cases)('%j → %s at %i', (input, code, offset) => expectError(input, code, offset));

  it('rejects a declared length past the end before allocating anything', () => {
    const input = latin1('4294967295:abc');
    expectError('4294967295:abc', 'string-out-of-bounds', 0);
    expect(decodeError(input).message).toMatch(/runs past the end of the input/);
  });

  it('limits integer size with a clear error', () => {
    const long = `i${'9'.repeat(65)}e`;
    expectError(long, 'integer-too-long', 1);
    expect(decode(latin1(long), { maxIntegerDigits: 100 })).toBe(BigInt('9'.repeat(65)));
  });

  it('limits nesting depth with a clear error, never a stack overflow', () => {
    expectError(`${'l'.repeat(257)}${'e'.repeat(257)}`, 'depth-exceeded', 256);
    expect(decode(latin1(`${'l'.repeat(256)}${'e'.repeat(256)}`))).toBeDefined();
    const deep = 'l'.repeat(100_000);
    expectError(deep, 'depth-exceeded', 256);
    // With the limit lifted, 100,000 levels cost heap, not stack: the input simply ends.
    expectError(deep, 'unexpected-end', 100_000, { maxDepth: Number.POSITIVE_INFINITY });
    expect(
      decode(latin1(`${'l'.repeat(50_000)}${'e'.repeat(50_000)}`), { maxDepth: 50_000 }),
    ).toBeDefined();
    expect(decodeError(`${'d1:a'.repeat(300)}i1e${'e'.repeat(300)}`).message).toMatch(
      /nesting deeper than 256/,
    );
  });

  it('throws errors that are BencodeErrors, recognisable across copies', () => {
    const error = decodeError('i');
    expect(error).toBeInstanceOf(BencodeError);
    expect(BencodeError.isInstance(error)).toBe(true);
    expect(BencodeDecodeError.isInstance(error)).toBe(true);
    expect(BencodeError.isInstance(new Error('x'))).toBe(false);
    expect(error.name).toBe('BencodeDecodeError');
  });

  it('rejects non-Uint8Array input with a TypeError', () => {
    expect(() => decode('i1e' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('decode: strict and lenient modes', () => {
  it('lenient (default) accepts unsorted keys, leading zeros and -0', () => {
    expect(decode(bytes('d1:bi1e1:ai2ee'))).toEqual(
      new Map([
        ['b', 1],
        ['a', 2],
      ]),
    );
    expect(decode(bytes('i03e'))).toBe(3);
    expect(decode(bytes('i-0e'))).toBe(-0);
    expect(decode(bytes('03:abc'))).toEqual(bytes('abc'));
  });

  it('lenient still catches a duplicate among unsorted keys', () => {
    expectError('d1:bi1e1:ai2e1:bi3ee', 'duplicate-key', 13);
    expectError('d1:ci1e1:ai2e1:bi3e1:ci4ee', 'duplicate-key', 19);
  });

  it('strict rejects each kind of non-canonical input', () => {
    const strict = { strict: true };
    expectError('d1:bi1e1:ai2ee', 'unsorted-keys', 7, strict);
    expectError('i03e', 'non-canonical-integer', 1, strict);
    expectError('i-0e', 'non-canonical-integer', 0, strict);
    expectError('i-03e', 'non-canonical-integer', 2, strict);
    expectError('03:abc', 'non-canonical-length', 0, strict);
    expectError('d1:ai1e1:ai2ee', 'duplicate-key', 7, strict);
    expectError('i1ee', 'trailing-bytes', 3, strict);
    expect(decode(bytes('d1:ai1e1:bi2ee'), strict)).toBeDefined();
    expect(decode(bytes('d2:aai1e1:bi2ee'), strict)).toBeDefined();
    expect(decode(bytes('d1:ai1e2:aai2ee'), strict)).toBeDefined();
  });

  it('strict orders keys by raw bytes, not by text', () => {
    // 0xc3 0xa9 (é) sorts after 'z'; 0xff after both.
    expect(decode(latin1('d1:zi1e2:\xc3\xa9i2e1:\xffi3ee'), { strict: true })).toBeDefined();
    expectError('d2:\xc3\xa9i2e1:zi1ee', 'unsorted-keys', 8, { strict: true });
  });
});

describe('decodePrefix', () => {
  it('decodes a leading value and says where it ended', () => {
    const input = latin1('d8:msg_typei1e5:piecei0eeRAWPIECEBYTES');
    const { value, end } = decodePrefix(input);
    expect(value).toEqual(
      new Map([
        ['msg_type', 1],
        ['piece', 0],
      ]),
    );
    expect(toText(input.subarray(end))).toBe('RAWPIECEBYTES');
  });
});

describe('locate', () => {
  const torrent = latin1('d8:announce3:url4:infod6:lengthi5e4:name1:ae5:nodesl1:x1:yee');
  it('gives the exact span of a nested value', () => {
    const span = locate(torrent, ['info'])!;
    expect(toText(torrent.subarray(span.start, span.end))).toBe('d6:lengthi5e4:name1:ae');
    const name = locate(torrent, ['info', 'name'])!;
    expect(toText(torrent.subarray(name.start, name.end))).toBe('1:a');
    const second = locate(torrent, ['nodes', 1])!;
    expect(toText(torrent.subarray(second.start, second.end))).toBe('1:y');
    expect(locate(torrent, [])).toEqual({ start: 0, end: torrent.length });
  });
  it('is undefined for paths that do not exist', () => {
    expect(locate(torrent, ['missing'])).toBeUndefined();
    expect(locate(torrent, ['nodes', 5])).toBeUndefined();
    expect(locate(torrent, ['announce', 'x'])).toBeUndefined();
    expect(locate(torrent, ['info', 0])).toBeUndefined();
  });
  it('throws typed errors for malformed input on the way', () => {
    expect(() => locate(latin1('d4:infod6:lengthi5'), ['info'])).toThrow(BencodeDecodeError);
    expect(() => locate(latin1('d1:ai1x4:infodee'), ['info'])).toThrow(/inside an integer/);
    expect(() => locate(latin1('l'.repeat(10_000)), [0])).toThrow(BencodeDecodeError);
  });
});
