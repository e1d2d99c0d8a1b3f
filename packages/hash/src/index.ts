export { crc32c } from './crc32c.js';
export { Sha1, sha1, sha1Parts, sha1Portable } from './sha1.js';
export { sha256, sha256Pair, sha256Portable } from './sha256.js';
