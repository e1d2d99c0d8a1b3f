/**
 * MSE/PE's Diffie-Hellman: the 768-bit prime P of the spec, generator 2, keys written as 96
 * big-endian bytes. Pure (BigInt); the Node shell (`@bt/mse/node`) swaps in OpenSSL's, which is
 * several times faster. Private keys are 160 bits, as the spec recommends.
 */

/** The spec's 768-bit prime P, big-endian. */
export const MSE_PRIME_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563';
/** Length of a public key and of the shared secret S. */
export const MSE_KEY_LENGTH = 96;
/** The generator G. */
export const MSE_GENERATOR = 2;

const P = BigInt(`0x${MSE_PRIME_HEX}`);

/** The group arithmetic MSE needs; `createBigIntDiffieHellman` is pure, the Node shell has OpenSSL's. */
export interface DiffieHellman {
  /** Our public key Y = G^X mod P, 96 bytes. */
  readonly publicKey: Uint8Array;
  /** S = Yother^X mod P, 96 bytes. `remote` has been checked to lie in [2, P-2]. */
  computeSecret(remote: Uint8Array): Uint8Array;
}

/** Makes a key pair from a private key of random bytes (20 are plenty). */
export type DiffieHellmanFactory = (privateKey: Uint8Array) => DiffieHellman;

/** True when a 96-byte public key lies in [2, P-2] (a key of 0, 1 or P-1 fixes S). */
export function isValidPublicKey(key: Uint8Array): boolean {
  if (key.length !== MSE_KEY_LENGTH) return false;
  const value = toBigInt(key);
  return value > 1n && value < P - 1n;
}

/** Diffie-Hellman over BigInt: pure, a few milliseconds per operation. */
export const createBigIntDiffieHellman: DiffieHellmanFactory = (privateKey) => {
  const exponent = toBigInt(privateKey);
  const publicKey = toBytes(modPow(BigInt(MSE_GENERATOR), exponent, P));
  return {
    publicKey,
    computeSecret: (remote) => toBytes(modPow(toBigInt(remote), exponent, P)),
  };
};

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

function toBigInt(bytes: Uint8Array): bigint {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

/** A value as 96 big-endian bytes (left-padded with zeros). */
function toBytes(value: bigint): Uint8Array {
  const hex = value.toString(16).padStart(MSE_KEY_LENGTH * 2, '0');
  const bytes = new Uint8Array(MSE_KEY_LENGTH);
  for (let k = 0; k < MSE_KEY_LENGTH; k++)
    bytes[k] = Number.parseInt(hex.slice(k * 2, k * 2 + 2), 16);
  return bytes;
}
