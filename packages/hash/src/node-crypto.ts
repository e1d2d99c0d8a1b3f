/**
 * `node:crypto`, reached through `process.getBuiltinModule` (Node 20.16+) so that this package
 * has no static Node import and stays loadable in any runtime; `undefined` elsewhere.
 */

interface NodeHash {
  update(data: Uint8Array): NodeHash;
  digest(): Uint8Array;
}

export interface NodeCrypto {
  createHash(algorithm: 'sha1' | 'sha256'): NodeHash;
  /** One-shot hashing (Node 20.12+), cheaper than `createHash` for small inputs. */
  hash?: (algorithm: 'sha1' | 'sha256', data: Uint8Array, outputEncoding: 'buffer') => Uint8Array;
}

function load(): NodeCrypto | undefined {
  const nodeProcess = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process;
  try {
    return nodeProcess?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  } catch {
    return undefined;
  }
}

export const nodeCrypto: NodeCrypto | undefined = load();

/** The digest's bytes as a plain view (Node hands back a pooled `Buffer`). */
export function view(digest: Uint8Array): Uint8Array {
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
