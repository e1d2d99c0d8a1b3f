/**
 * @bt/mse/node: OpenSSL's SHA-1, random bytes and Diffie-Hellman for the handshake
 * (`nodeMseCrypto`), several times faster than the pure defaults. RC4 stays in TypeScript:
 * Node's OpenSSL 3 has it only in the legacy provider.
 */
export { createNodeDiffieHellman, nodeMseCrypto } from './node/node-crypto.js';
