/**
 * Test helper: bundles a TypeScript script (and the bt sources it imports) into one ESM
 * file a child `node` process can run, so process-level tests need no prior build.
 */
import { join } from 'node:path';
import { build } from 'tsup';
import { makeTempDir } from '@bt/test-support';

export async function bundleScript(entry: string): Promise<string> {
  const outDir = await makeTempDir('bt-storage-bundle-');
  await build({
    entry: { script: entry },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    config: false,
    dts: false,
    silent: true,
    splitting: false,
    sourcemap: false,
    // workspace packages from source too: a temp folder has no node_modules to find them in
    noExternal: [/^@bt\//],
    esbuildOptions(options) {
      options.conditions = ['@bt/source'];
    },
  });
  return join(outDir, 'script.js');
}
