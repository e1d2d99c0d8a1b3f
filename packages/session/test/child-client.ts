/**
 * Our client in a child process (for kill -9, or inside a network namespace): `test/child-entry.ts`
 * (or another entry of this folder) bundled by esbuild from the
 * sources, so the test needs no prior build.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export async function bundleChild(outDir: string, entry = 'child-entry'): Promise<string> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const outfile = join(outDir, `${entry}.mjs`);
  await build({
    entryPoints: [join(here, `${entry}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@bt/source'],
    logLevel: 'silent',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return outfile;
}
