/** Test fixtures on disk: deterministic content trees with nested folders, empty files and Unicode names. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Deterministic pseudo-random bytes (xorshift), so fixtures are the same on every run. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** Files of the multi-file fixture, relative to its root: path and size. */
export const TREE: [string, number][] = [
  ['a.bin', 300_000],
  ['empty.txt', 0],
  ['nested/deeper/deepest/file.dat', 70_001],
  ['nested/ü nicode.txt', 12],
  ['日本語/ファイル 🎉.txt', 33_333],
  ['z-last/one', 1],
];

export async function writeTree(root: string, tree: [string, number][] = TREE): Promise<void> {
  let seed = 1;
  for (const [path, size] of tree) {
    const full = join(root, ...path.split('/'));
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, pseudoRandomBytes(size, seed++));
  }
}
