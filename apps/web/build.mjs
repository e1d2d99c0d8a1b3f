#!/usr/bin/env node
// Builds the page into dist/app/: one minified script and one stylesheet (Preact bundled in,
// nothing fetched from elsewhere), named by content hash so btd can let browsers cache them for
// good, an index.html that names them, and a .gz beside each file for clients that accept
// gzip. Also dist/index.js (+ .d.ts): `webUiRoot`, the folder's path, for btd.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** Builds the page into `outDir/app` and the entry into `outDir`; returns the asset sizes. */
export async function buildWebUi(outDir = join(here, 'dist')) {
  const appDir = join(outDir, 'app');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(appDir, { recursive: true });
  const bundle = await build({
    entryPoints: [join(here, 'src', 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const script = bundle.outputFiles[0].contents;
  const css = await readFile(join(here, 'src', 'styles.css'));
  const cssOut = await build({
    stdin: { contents: css.toString(), loader: 'css' },
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  const style = cssOut.outputFiles[0].contents;
  const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 10);
  const scriptName = `app-${hash(script)}.js`;
  const styleName = `app-${hash(style)}.css`;
  const template = await readFile(join(here, 'src', 'index.html'), 'utf8');
  const html = template.replace('%STYLE%', `/${styleName}`).replace('%SCRIPT%', `/${scriptName}`);
  const files = { [scriptName]: script, [styleName]: style, 'index.html': Buffer.from(html) };
  const sizes = {};
  for (const [name, bytes] of Object.entries(files)) {
    const gzipped = gzipSync(bytes, { level: 9 });
    await writeFile(join(appDir, name), bytes);
    await writeFile(join(appDir, `${name}.gz`), gzipped);
    sizes[name] = { bytes: bytes.length, gzipped: gzipped.length };
  }
  await build({
    entryPoints: [join(here, 'src', 'index.ts')],
    outfile: join(outDir, 'index.js'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  await writeFile(
    join(outDir, 'index.d.ts'),
    "/** The built page's folder (`dist/app/` of this package). */\nexport declare const webUiRoot: string;\n",
  );
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildWebUi();
  const total = Object.values(sizes).reduce((sum, size) => sum + size.gzipped, 0);
  console.log(
    `web UI: ${Object.entries(sizes)
      .map(([name, size]) => `${name} ${size.bytes} B (${size.gzipped} B gzipped)`)
      .join(', ')}; total ${total} B gzipped`,
  );
}
