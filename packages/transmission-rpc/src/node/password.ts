/**
 * RPC passwords as Transmission stores them in settings.json: `{` + SHA-1(password + salt) in
 * hex + an 8-character salt. A plain password found in settings is hashed and written back; the
 * comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const SALT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./';

/** True when `value` is already a salted hash (`{` + 40 hex + salt). */
export function isHashedPassword(value: string): boolean {
  return /^\{[0-9a-f]{40}.{8}$/.test(value);
}

export function hashPassword(password: string, salt?: string): string {
  const useSalt =
    salt ?? [...randomBytes(8)].map((byte) => SALT_ALPHABET[byte % SALT_ALPHABET.length]).join('');
  const digest = createHash('sha1')
    .update(password + useSalt, 'utf8')
    .digest('hex');
  return `{${digest}${useSalt}`;
}

/** Checks `password` against a stored value (hashed, or plain as a user may have typed it). */
export function verifyPassword(password: string, stored: string): boolean {
  const expected = isHashedPassword(stored) ? stored : hashPassword(stored, 'plainsal');
  const actual = isHashedPassword(stored)
    ? hashPassword(password, stored.slice(41))
    : hashPassword(password, 'plainsal');
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}
