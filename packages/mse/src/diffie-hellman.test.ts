import { describe, expect, it } from 'vitest';
import { createNodeDiffieHellman } from './node.js';
import {
  createBigIntDiffieHellman,
  isValidPublicKey,
  MSE_KEY_LENGTH,
  MSE_PRIME_HEX,
} from './diffie-hellman.js';

const key = (seed: number): Uint8Array =>
  Uint8Array.from({ length: 20 }, (_, k) => (k * seed + 7) & 255);

describe('Diffie-Hellman', () => {
  it('the pure and the OpenSSL sides agree on keys and on the secret', () => {
    const a = createBigIntDiffieHellman(key(3));
    const b = createNodeDiffieHellman(key(5));
    expect(a.publicKey).toEqual(createNodeDiffieHellman(key(3)).publicKey);
    expect(a.publicKey.length).toBe(MSE_KEY_LENGTH);
    const secret = a.computeSecret(b.publicKey);
    expect(secret.length).toBe(MSE_KEY_LENGTH);
    expect(b.computeSecret(a.publicKey)).toEqual(secret);
  });

  it('G^1 is 2, written as 96 bytes', () => {
    const one = new Uint8Array(20);
    one[19] = 1;
    const expected = new Uint8Array(MSE_KEY_LENGTH);
    expected[MSE_KEY_LENGTH - 1] = 2;
    expect(createBigIntDiffieHellman(one).publicKey).toEqual(expected);
    expect(createNodeDiffieHellman(one).publicKey).toEqual(expected);
  });

  it('public keys of 0, 1, P-1 and P are refused', () => {
    const prime = Uint8Array.from(Buffer.from(MSE_PRIME_HEX, 'hex'));
    const minusOne = prime.slice();
    minusOne[MSE_KEY_LENGTH - 1]! -= 1;
    const small = (value: number): Uint8Array => {
      const bytes = new Uint8Array(MSE_KEY_LENGTH);
      bytes[MSE_KEY_LENGTH - 1] = value;
      return bytes;
    };
    expect(isValidPublicKey(small(0))).toBe(false);
    expect(isValidPublicKey(small(1))).toBe(false);
    expect(isValidPublicKey(minusOne)).toBe(false);
    expect(isValidPublicKey(prime)).toBe(false);
    expect(isValidPublicKey(small(2))).toBe(true);
    expect(isValidPublicKey(new Uint8Array(95))).toBe(false);
  });
});
