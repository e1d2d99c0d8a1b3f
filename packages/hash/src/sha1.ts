import { nodeCrypto, view } from './node-crypto.js';

/**
 * SHA-1 (FIPS 180-4). `sha1` uses `node:crypto` where the runtime has it; the portable `Sha1`
 * below serves everywhere else, and callers that hash many short inputs (the DHT's write tokens,
 * one per query served) keep one `Sha1` and call `digestInto` to allocate nothing per hash.
 */

let shared: Sha1 | undefined;

/** The 20-byte SHA-1 digest of `bytes`. */
export function sha1(bytes: Uint8Array): Uint8Array {
  if (nodeCrypto?.hash) return view(nodeCrypto.hash('sha1', bytes, 'buffer'));
  if (nodeCrypto) return view(nodeCrypto.createHash('sha1').update(bytes).digest());
  return sha1Portable(bytes);
}

/** SHA-1 of the concatenation of `parts` (MSE's req1, req2, keyA, ... are hashes of a few parts). */
export function sha1Parts(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return sha1(parts[0]!);
  let length = 0;
  for (const part of parts) length += part.length;
  const joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return sha1(joined);
}

/** The portable implementation, without `node:crypto` (exported for tests that compare both). */
export function sha1Portable(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(20);
  (shared ??= new Sha1()).digestInto(bytes, out);
  return out;
}

/**
 * SHA-1 with its working buffers kept between calls: for hashing many short inputs (write
 * tokens, one per query served) without allocating for each.
 */
export class Sha1 {
  readonly #w = new Int32Array(80);
  readonly #h = new Int32Array(5);
  #padded = new Uint8Array(128);

  /** Writes the 20-byte digest of `bytes` (its first `length`) into `out` (at `offset`). */
  digestInto(bytes: Uint8Array, out: Uint8Array, offset = 0, length = bytes.length): void {
    const h = this.#h;
    h[0] = 0x67452301;
    h[1] = 0xefcdab89 | 0;
    h[2] = 0x98badcfe | 0;
    h[3] = 0x10325476;
    h[4] = 0xc3d2e1f0 | 0;
    const w = this.#w;
    if (length <= 55) {
      // One block (write tokens, ids): its words straight from the input, no padded copy.
      w.fill(0, 0, 16);
      for (let i = 0; i < length; i++) w[i >> 2]! |= bytes[i]! << (24 - ((i & 3) << 3));
      w[length >> 2]! |= 0x80 << (24 - ((length & 3) << 3));
      w[15] = length * 8;
      this.#compress();
    } else {
      const total = (((length + 8) >>> 6) + 1) << 6;
      if (this.#padded.length < total) this.#padded = new Uint8Array(total);
      // The padded message: the input, 0x80, zeros, the bit length (big-endian, 64 bits).
      const padded = this.#padded;
      padded.fill(0, 0, total);
      padded.set(length === bytes.length ? bytes : bytes.subarray(0, length));
      padded[length] = 0x80;
      const bits = length * 8;
      padded[total - 1] = bits & 0xff;
      padded[total - 2] = (bits >>> 8) & 0xff;
      padded[total - 3] = (bits >>> 16) & 0xff;
      padded[total - 4] = (bits >>> 24) & 0xff;
      padded[total - 5] = Math.floor(length / 0x20000000) & 0xff;
      for (let chunk = 0; chunk < total; chunk += 64) {
        for (let i = 0, j = chunk; i < 16; i++, j += 4) {
          w[i] =
            (padded[j]! << 24) | (padded[j + 1]! << 16) | (padded[j + 2]! << 8) | padded[j + 3]!;
        }
        this.#compress();
      }
    }
    writeWord(out, offset, h[0]);
    writeWord(out, offset + 4, h[1]);
    writeWord(out, offset + 8, h[2]);
    writeWord(out, offset + 12, h[3]);
    writeWord(out, offset + 16, h[4]);
  }

  /** One 64-byte block (its words in `w[0..15]`) into the state `h`. */
  #compress(): void {
    const w = this.#w;
    const h = this.#h;
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    // The four rounds in four loops: no branch per step.
    for (let i = 0; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 20; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 40; i < 60; i++) {
      const t =
        (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + w[i]!) |
        0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 60; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
  }
}

function writeWord(out: Uint8Array, offset: number, word: number): void {
  out[offset] = (word >>> 24) & 0xff;
  out[offset + 1] = (word >>> 16) & 0xff;
  out[offset + 2] = (word >>> 8) & 0xff;
  out[offset + 3] = word & 0xff;
}
