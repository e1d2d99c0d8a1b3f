/**
 * The README's example runs as written: its code block is run as a module (three nodes on
 * loopback), and every `console.log` prints what the comment beside it says.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
// Beside this test, so that `@bt/dht/node` and `@bt/primitives` resolve as for a user.
const file = fileURLToPath(new URL('./.readme-example.generated.mjs', import.meta.url));

afterAll(() => rmSync(file, { force: true }));

it('the README example runs and prints what its comments say', async () => {
  const example = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const expected = [...example!.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
  expect(expected.length).toBeGreaterThanOrEqual(3);
  writeFileSync(file, example!);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(
      args
        .map((arg) =>
          typeof arg === 'string'
            ? arg
            : JSON.stringify(arg)
                .replace(/"(\w+)":/g, '$1: ')
                .replace(/"/g, "'")
                .replace(/,/g, ', ')
                .replace(/^\{/, '{ ')
                .replace(/\}$/, ' }'),
        )
        .join(' '),
    );
  });
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    log.mockRestore();
  }
  expect(printed).toEqual(expected);
});
