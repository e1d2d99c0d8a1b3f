/** The handshake's primitives from Node's OpenSSL. */
import { createDiffieHellman, createHash, randomBytes } from 'node:crypto';
import {
  MSE_GENERATOR,
  MSE_KEY_LENGTH,
  MSE_PRIME_HEX,
  type DiffieHellmanFactory,
} from '../diffie-hellman.js';
import type { MseCrypto } from '../handshake.js';

const PRIME = Buffer.from(MSE_PRIME_HEX, 'hex');

/** Diffie-Hellman over MSE's group by OpenSSL; keys and secrets as 96 big-endian bytes. */
export const createNodeDiffieHellman: DiffieHellmanFactory = (privateKey) => {
  const dh = createDiffieHellman(PRIME, MSE_GENERATOR);
  dh.setPrivateKey(Buffer.from(privateKey.buffer, privateKey.byteOffset, privateKey.length));
  const publicKey = leftPad(dh.generateKeys());
  return {
    publicKey,
    computeSecret: (remote) =>
      leftPad(dh.computeSecret(Buffer.from(remote.buffer, remote.byteOffset, remote.length))),
  };
};

/** SHA-1, randomness and Diffie-Hellman from `node:crypto`. */
export const nodeMseCrypto: MseCrypto = Object.freeze({
  sha1: (parts: readonly Uint8Array[]): Uint8Array => {
    const hash = createHash('sha1');
    for (const part of parts) hash.update(part);
    return new Uint8Array(hash.digest());
  },
  randomBytes: (length: number): Uint8Array => new Uint8Array(randomBytes(length)),
  diffieHellman: createNodeDiffieHellman,
});

/** OpenSSL drops leading zero bytes; MSE writes 96. */
function leftPad(bytes: Uint8Array): Uint8Array {
  if (bytes.length === MSE_KEY_LENGTH) return new Uint8Array(bytes);
  const padded = new Uint8Array(MSE_KEY_LENGTH);
  padded.set(bytes, MSE_KEY_LENGTH - bytes.length);
  return padded;
}
