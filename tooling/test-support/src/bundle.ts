/**
 * A TypeScript entry (a CLI, a daemon, a test script) and the bt sources it imports, bundled
 * into one ESM file that a child `node` process can run: process-level tests need no prior build.
 * Each bundle goes to its own temporary folder, removed with the others at the end of the run.
 */
import { join } from 'node:path';
import { build } from 'tsup';
import { makeTempDir } from './temp.js';

/** Bundles `entry` into `<temp>/<name>.js` and resolves with that path. */
export async function bundleScript(entry: string, name = 'script'): Promise<string> {
  const outDir = await makeTempDir(`bt-${name}-bundle-`);
  await build({
    entry: { [name]: entry },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    config: false,
    dts: false,
    silent: true,
    splitting: false,
    sourcemap: false,
    // workspace packages from their sources: a temp folder has no node_modules to find them in
    noExternal: [/^@bt\//],
    esbuildOptions(options) {
      options.conditions = ['@bt/source'];
    },
  });
  return join(outDir, `${name}.js`);
}
