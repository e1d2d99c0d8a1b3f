/**
 * The one tsup configuration every package builds with: ESM only (Node 20.19+ can
 * `require()` it), declarations with maps, ES2022, no bundling of dependencies.
 */
import type { Options } from 'tsup';

export function packageConfig(options: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'es2022',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: false,
    ...options,
  };
}
