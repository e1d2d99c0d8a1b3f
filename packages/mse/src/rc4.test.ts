import { describe, expect, it } from 'vitest';
import { Rc4 } from './rc4.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Keystream bytes [offset, offset + length) of plain RC4 (nothing discarded). */
function keystream(key: Uint8Array, offset: number, length: number): Uint8Array {
  const rc4 = new Rc4(key, 0);
  rc4.skip(offset);
  return rc4.process(new Uint8Array(length));
}

describe('Rc4 known answers', () => {
  // RFC 6229, 40-bit and 128-bit keys, offsets 0 and 1024 (checked against OpenSSL's legacy RC4).
  it('RFC 6229: key 0x0102030405', () => {
    const key = Uint8Array.of(1, 2, 3, 4, 5);
    expect(hex(keystream(key, 0, 16))).toBe('b2396305f03dc027ccc3524a0a1118a8');
    expect(hex(keystream(key, 1024, 16))).toBe('30abbcc7c20b01609f23ee2d5f6bb7df');
  });

  it('RFC 6229: key 0x0102...10', () => {
    const key = Uint8Array.from({ length: 16 }, (_, k) => k + 1);
    expect(hex(keystream(key, 0, 16))).toBe('9ac7cc9a609d1ef7b2932899cde41b97');
    expect(hex(keystream(key, 1024, 32))).toBe(
      'bdf0324e6083dcc6d3cedd3ca8c53c167e5cb90bc6802a7a3df2ddec55017396',
    );
  });

  it('the classic text vectors', () => {
    const encrypt = (key: string, text: string): string =>
      hex(new Rc4(ascii(key), 0).process(ascii(text)));
    expect(encrypt('Key', 'Plaintext')).toBe('bbf316e8d940af0ad3');
    expect(encrypt('Wiki', 'pedia')).toBe('1021bf0420');
    expect(encrypt('Secret', 'Attack at dawn')).toBe('45a01f645fc35b383552544b9bf5');
  });

  it('MSE discards the first 1,024 bytes by default', () => {
    const key = Uint8Array.of(1, 2, 3, 4, 5);
    expect(hex(new Rc4(key).process(new Uint8Array(16)))).toBe('30abbcc7c20b01609f23ee2d5f6bb7df');
  });
});

describe('Rc4', () => {
  it('decrypts what it encrypts, whatever the chunking', () => {
    const key = ascii('a twenty byte key!!!');
    const text = Uint8Array.from({ length: 5000 }, (_, k) => (k * 31) & 255);
    const whole = new Rc4(key).process(text, new Uint8Array(text.length));
    const pieces = new Rc4(key);
    const out = new Uint8Array(text.length);
    for (let at = 0, step = 1; at < text.length; at += step, step = ((step * 7) % 97) + 1)
      pieces.process(text.subarray(at, at + step), out.subarray(at, at + step));
    expect(out).toEqual(whole);
    expect(new Rc4(key).process(whole.slice())).toEqual(text);
  });

  it('the word path equals the byte path, at every alignment and length', () => {
    const key = ascii('alignment');
    const data = Uint8Array.from({ length: 300 }, (_, k) => (k * 13 + 5) & 255);
    for (const inputOffset of [0, 1, 2, 3]) {
      for (const outputOffset of [0, 1, 2, 3]) {
        for (const length of [63, 64, 65, 67, 200]) {
          const input = new Uint8Array(400);
          input.set(data.subarray(0, length), inputOffset);
          const output = new Uint8Array(400);
          const view = input.subarray(inputOffset, inputOffset + length);
          new Rc4(key).process(view, output.subarray(outputOffset, outputOffset + length));
          // Byte by byte: chunks of 1 never take the word path.
          const expected = new Uint8Array(length);
          const bytewise = new Rc4(key);
          for (let k = 0; k < length; k++)
            bytewise.process(view.subarray(k, k + 1), expected.subarray(k, k + 1));
          expect(output.subarray(outputOffset, outputOffset + length)).toEqual(expected);
        }
      }
    }
  });

  it('leaves its input alone when given an output', () => {
    const input = new Uint8Array(32);
    new Rc4(ascii('key')).process(input, new Uint8Array(32));
    expect(input).toEqual(new Uint8Array(32));
  });

  it('refuses an empty or oversized key', () => {
    expect(() => new Rc4(new Uint8Array(0))).toThrow(RangeError);
    expect(() => new Rc4(new Uint8Array(257))).toThrow(RangeError);
  });
});
