import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseQuery,
  percentDecodeBytes,
  percentEncodeBytes,
  percentEncodeText,
} from './percent.js';

describe('percent-encoding', () => {
  it('escapes every byte outside the unreserved set, upper-case hex', () => {
    expect(percentEncodeBytes(Uint8Array.from([0x00, 0x41, 0x7e, 0x20, 0xff, 0x2f, 0x2d]))).toBe(
      '%00A~%20%FF%2F-',
    );
    expect(percentEncodeText('é ok')).toBe('%C3%A9%20ok');
  });

  it('decodes escapes, literal bytes and + as space', () => {
    expect(percentDecodeBytes('%00a+%fF')).toEqual(Uint8Array.from([0x00, 0x61, 0x20, 0xff]));
    expect(percentDecodeBytes('%zz')).toBeUndefined();
    expect(percentDecodeBytes('%4')).toBeUndefined();
    expect(percentDecodeBytes('é')).toEqual(Uint8Array.from([0xc3, 0xa9]));
    expect(percentDecodeBytes('a+é%41😀')).toEqual(
      Uint8Array.from([0x61, 0x20, 0xc3, 0xa9, 0x41, 0xf0, 0x9f, 0x98, 0x80]),
    );
    expect(percentDecodeBytes('é%4')).toBeUndefined();
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(percentDecodeBytes(percentEncodeBytes(bytes))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('splits a query keeping repeated names and empty values', () => {
    const params = parseQuery('info_hash=%01&info_hash=%02&flag&x=&&y=a%3Db')!;
    expect(params.get('info_hash')).toEqual([Uint8Array.of(1), Uint8Array.of(2)]);
    expect(params.get('flag')).toEqual([new Uint8Array(0)]);
    expect(params.get('x')).toEqual([new Uint8Array(0)]);
    expect(new TextDecoder().decode(params.get('y')![0])).toBe('a=b');
    expect(parseQuery('a=%G0')).toBeUndefined();
    expect(parseQuery('')!.size).toBe(0);
  });
});
