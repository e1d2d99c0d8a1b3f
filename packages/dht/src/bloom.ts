/**
 * BEP 33's scrape bloom filter: 256 bytes, two bit positions per IP taken from its SHA-1, and
 * the size estimate that works on one filter or the OR of many.
 */
import { sha1 } from '@bt/hash';

export const BLOOM_LENGTH = 256;
const BITS = BLOOM_LENGTH * 8;

/** Sets the IP's (4 or 16 raw bytes, no port) two bits in `bloom`. */
export function bloomInsert(bloom: Uint8Array, ip: Uint8Array): void {
  const hash = sha1(ip);
  const index1 = (hash[0]! | (hash[1]! << 8)) % BITS;
  const index2 = (hash[2]! | (hash[3]! << 8)) % BITS;
  bloom[index1 >> 3] = bloom[index1 >> 3]! | (1 << (index1 & 7));
  bloom[index2 >> 3] = bloom[index2 >> 3]! | (1 << (index2 & 7));
}

/** ORs `from` into `into` (the union of two sets). */
export function bloomMerge(into: Uint8Array, from: Uint8Array): void {
  for (let i = 0; i < BLOOM_LENGTH; i++) into[i] = into[i]! | from[i]!;
}

/** BEP 33: the estimated number of distinct IPs in the filter. */
export function bloomEstimate(bloom: Uint8Array): number {
  let zeros = 0;
  for (const byte of bloom) {
    let x = byte;
    for (let bit = 0; bit < 8; bit++, x >>= 1) if ((x & 1) === 0) zeros++;
  }
  const c = Math.min(BITS - 1, zeros);
  return Math.log(c / BITS) / (2 * Math.log(1 - 1 / BITS));
}
