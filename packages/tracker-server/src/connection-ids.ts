/**
 * Stateless BEP 15 connection ids for a server: an id is a keyed 64-bit hash of the client's
 * address and port under a random secret that changes every minute. An id minted in minute
 * `e` is accepted in `e` and `e + 1`, so a client can use it for at least the one minute
 * BEP 15 promises, and the server stores nothing per client (a flood of connects costs no memory).
 *
 * The hash is not cryptographic (an HMAC costs more than the rest of an announce); it stops
 * blind spoofing of source addresses, which is what BEP 15 asks of it, and each secret lives
 * for two minutes at most.
 */

const EPOCH_MS = 60_000;

interface Secret {
  epoch: number;
  a: number;
  b: number;
  c: number;
  d: number;
}

function randomSecret(epoch: number): Secret {
  const words = new Uint32Array(4);
  globalThis.crypto.getRandomValues(words);
  return { epoch, a: words[0]!, b: words[1]!, c: words[2]!, d: words[3]! };
}

/** murmur3's finaliser: every input bit affects every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class ConnectionIds {
  readonly #now: () => number;
  #current: Secret;
  #previous: Secret;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    const epoch = Math.floor(now() / EPOCH_MS);
    this.#current = randomSecret(epoch);
    this.#previous = randomSecret(epoch - 1);
  }

  /** Writes the id for `address`:`port` into `target` at `offset` (8 bytes). */
  mint(address: string, port: number, target: Uint8Array, offset: number): void {
    this.#rotate();
    const secret = this.#current;
    write(target, offset, hashLane(secret.a, secret.b, address, port));
    write(target, offset + 4, hashLane(secret.c, secret.d, address, port));
  }

  /** Whether the 8 bytes at `offset` are an id minted for this address in this or the last minute. */
  verify(address: string, port: number, bytes: Uint8Array, offset: number): boolean {
    this.#rotate();
    const high = read(bytes, offset);
    const low = read(bytes, offset + 4);
    for (const secret of [this.#current, this.#previous]) {
      if (
        hashLane(secret.a, secret.b, address, port) === high &&
        hashLane(secret.c, secret.d, address, port) === low
      ) {
        return true;
      }
    }
    return false;
  }

  #rotate(): void {
    const epoch = Math.floor(this.#now() / EPOCH_MS);
    if (epoch === this.#current.epoch) return;
    this.#previous = epoch === this.#current.epoch + 1 ? this.#current : randomSecret(epoch - 1);
    this.#current = randomSecret(epoch);
  }
}

function hashLane(seed: number, salt: number, address: string, port: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  }
  h = Math.imul(h ^ port, 0x01000193);
  return fmix(fmix(h ^ salt) + seed);
}

function write(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

function read(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) |
      (bytes[offset + 1]! << 16) |
      (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>>
    0
  );
}
