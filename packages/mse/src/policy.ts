/**
 * The encryption policy of a session or a torrent, as the mature clients name it, and what it
 * means for each direction:
 *
 * | policy    | we dial                                     | we accept                    |
 * | --------- | ------------------------------------------- | ---------------------------- |
 * | `prefer`  | MSE offering RC4 and plaintext; plain BitTorrent again on failure | both; RC4 picked when offered |
 * | `require` | MSE offering RC4 only                       | MSE with RC4 only            |
 * | `allow`   | plain BitTorrent                            | both; plaintext picked when offered |
 * | `disable` | plain BitTorrent                            | plain BitTorrent only        |
 */
import type { CryptoMethod } from './handshake.js';

export type EncryptionPolicy = 'prefer' | 'require' | 'allow' | 'disable';

export const ENCRYPTION_POLICIES: readonly EncryptionPolicy[] = Object.freeze([
  'prefer',
  'require',
  'allow',
  'disable',
]);

/** True for a policy name. */
export function isEncryptionPolicy(value: unknown): value is EncryptionPolicy {
  return typeof value === 'string' && (ENCRYPTION_POLICIES as readonly string[]).includes(value);
}

/**
 * What we try, in order, when we dial under `policy`: each entry is the methods to offer in an
 * MSE handshake, or `undefined` for plain BitTorrent.
 */
export function dialAttempts(
  policy: EncryptionPolicy,
): readonly (readonly CryptoMethod[] | undefined)[] {
  switch (policy) {
    case 'prefer':
      return [['rc4', 'plaintext'], undefined];
    case 'require':
      return [['rc4']];
    case 'allow':
    case 'disable':
      return [undefined];
  }
}

/** Whether an incoming connection of the kind given is accepted under `policy`. */
export function acceptsIncoming(policy: EncryptionPolicy, kind: 'mse' | 'plaintext'): boolean {
  if (kind === 'plaintext') return policy !== 'require';
  return policy !== 'disable';
}

/**
 * The method a responder selects under `policy` from those offered (`crypto_select`);
 * `undefined` refuses the connection.
 */
export function selectMethod(
  policy: EncryptionPolicy,
  offered: readonly CryptoMethod[],
): CryptoMethod | undefined {
  const rc4 = offered.includes('rc4');
  const plaintext = offered.includes('plaintext');
  switch (policy) {
    case 'prefer':
      return rc4 ? 'rc4' : plaintext ? 'plaintext' : undefined;
    case 'require':
      return rc4 ? 'rc4' : undefined;
    case 'allow':
      return plaintext ? 'plaintext' : rc4 ? 'rc4' : undefined;
    case 'disable':
      return undefined;
  }
}
