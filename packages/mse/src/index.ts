/**
 * @bt/mse: Message Stream Encryption / Protocol Encryption (MSE/PE), the obfuscated BitTorrent
 * handshake of Vuze and libtorrent: 768-bit Diffie-Hellman (G = 2), HASH('req2') routing of an
 * incoming connection to its torrent, RC4 with the first 1,024 bytes of keystream discarded.
 * Pure: `MseHandshake` is the state machine, `MseStream` runs it over any byte stream; Node's
 * OpenSSL hashes and Diffie-Hellman are in `@bt/mse/node`.
 */
export {
  createBigIntDiffieHellman,
  isValidPublicKey,
  MSE_GENERATOR,
  MSE_KEY_LENGTH,
  MSE_PRIME_HEX,
} from './diffie-hellman.js';
export type { DiffieHellman, DiffieHellmanFactory } from './diffie-hellman.js';
export { MseError, MseProtocolError } from './errors.js';
export type { MseProtocolErrorCode } from './errors.js';
export {
  MSE_INITIATOR_SYNC_WINDOW,
  MSE_MAX_PAD_LENGTH,
  MSE_RESPONDER_SYNC_WINDOW,
  MseHandshake,
} from './handshake.js';
export type {
  CryptoMethod,
  MseCrypto,
  MseHandshakeOptions,
  MseInitiatorOptions,
  MseResponderOptions,
  MseResult,
} from './handshake.js';
export { MseStream } from './mse-stream.js';
export type {
  ByteStream,
  ByteStreamHandlers,
  MseAcceptOptions,
  MseInitiateOptions,
  StreamMethod,
} from './mse-stream.js';
export {
  acceptsIncoming,
  dialAttempts,
  ENCRYPTION_POLICIES,
  isEncryptionPolicy,
  selectMethod,
} from './policy.js';
export type { EncryptionPolicy } from './policy.js';
export { MSE_RC4_DISCARD, Rc4 } from './rc4.js';
