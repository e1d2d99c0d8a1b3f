/**
 * RC4 as MSE/PE uses it: a 20-byte key, the first 1,024 bytes of keystream thrown away. In
 * TypeScript because Node's OpenSSL 3 offers RC4 only through the legacy provider. The state is
 * an `Int32Array` (no clamping on store) and the loop keeps `i`, `j` in locals.
 */

/** Keystream bytes MSE discards after keying (the spec's RC4-drop1024). */
export const MSE_RC4_DISCARD = 1024;

export class Rc4 {
  readonly #state = new Int32Array(256);
  #i = 0;
  #j = 0;

  /** Keys the cipher (1 to 256 bytes) and drops `discard` keystream bytes (default 1,024). */
  constructor(key: Uint8Array, discard: number = MSE_RC4_DISCARD) {
    if (key.length === 0 || key.length > 256)
      throw new RangeError(`an RC4 key has 1 to 256 bytes, got ${key.length}`);
    const s = this.#state;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      const t = s[k]!;
      j = (j + t + key[k % key.length]!) & 255;
      s[k] = s[j]!;
      s[j] = t;
    }
    this.skip(discard);
  }

  /** Advances the keystream by `length` bytes. */
  skip(length: number): void {
    const s = this.#state;
    let i = this.#i;
    let j = this.#j;
    for (let n = 0; n < length; n++) {
      i = (i + 1) & 255;
      const a = s[i]!;
      j = (j + a) & 255;
      s[i] = s[j]!;
      s[j] = a;
    }
    this.#i = i;
    this.#j = j;
  }

  /**
   * XORs the keystream into `input` and writes the result to `output` (default: `input`, in
   * place); `output` must be at least as long. Returns `output`.
   */
  process(input: Uint8Array, output: Uint8Array = input): Uint8Array {
    const s = this.#state;
    let i = this.#i;
    let j = this.#j;
    const length = input.length;
    for (let n = 0; n < length; n++) {
      i = (i + 1) & 255;
      const a = s[i]!;
      j = (j + a) & 255;
      const b = s[j]!;
      s[i] = b;
      s[j] = a;
      output[n] = input[n]! ^ s[(a + b) & 255]!;
    }
    this.#i = i;
    this.#j = j;
    return output;
  }
}
