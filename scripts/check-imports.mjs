#!/usr/bin/env node
// Checks the import graph of every package and app (run by `pnpm lint`):
// - every entry of `dependencies` is imported by the package's `src` (else it belongs in
//   `devDependencies`, or nowhere), and every package `src` imports is declared;
// - no import cycles between the modules of a package's `src`, type-only imports included.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^;]*?\sfrom\s+)?['"]([^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"]([^'"]+)['"]\s*\)/g;
const builtins = new Set(builtinModules);

function sources(folder) {
  if (!existsSync(folder)) return [];
  const out = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.test.ts') && !name.endsWith('.d.ts'))
      out.push(path);
  }
  return out;
}

function specifiers(text) {
  const found = [];
  for (const pattern of [IMPORT, DYNAMIC]) {
    for (const match of text.matchAll(pattern)) found.push(match[1]);
  }
  return found;
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const problems = [];
const folders = ['packages', 'apps'].flatMap((group) =>
  existsSync(join(root, group))
    ? readdirSync(join(root, group)).map((name) => join(root, group, name))
    : [],
);
for (const folder of folders) {
  const manifestPath = join(folder, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const declared = new Set(Object.keys(manifest.dependencies ?? {}));
  const files = sources(join(folder, 'src'));
  const graph = new Map();
  const used = new Set();
  for (const file of files) {
    const edges = [];
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        let target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
        if (!existsSync(target) && existsSync(`${target}x`)) target = `${target}x`;
        if (existsSync(target) && statSync(target).isDirectory()) target = join(target, 'index.ts');
        edges.push(target);
      } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
        used.add(packageName(specifier));
      }
    }
    graph.set(file, edges);
  }
  for (const name of declared) {
    if (!used.has(name))
      problems.push(`${manifest.name}: dependency ${name} is not imported by src`);
  }
  for (const name of used) {
    if (!declared.has(name) && name !== manifest.name)
      problems.push(`${manifest.name}: src imports ${name}, which is not in dependencies`);
  }
  // Cycles: depth-first search, reporting each back edge's loop once.
  const state = new Map();
  const stack = [];
  const visit = (file) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') {
        const loop = stack.slice(stack.indexOf(next)).concat(next);
        problems.push(
          `${manifest.name}: import cycle ${loop.map((path) => relative(folder, path)).join(' -> ')}`,
        );
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(`imports: dependencies and module graphs of ${folders.length} folders are clean`);
