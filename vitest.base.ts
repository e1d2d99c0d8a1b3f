/**
 * Shared vitest settings: tests run on `src` through the `@bt/source` export condition,
 * so no package has to be built before its dependants are tested.
 *
 * Limits are for a test that is stuck, never a verdict on speed: the suite runs on loaded
 * two-core machines, beside other suites. A test's own waits (`waitFor`, `AbortSignal.timeout`)
 * stay under `testTimeout`, so that a stuck test says what it was waiting for.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

export function packageTestConfig(overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ['@bt/source', 'module', 'node', 'import', 'default'] },
    ssr: { resolve: { conditions: ['@bt/source', 'node', 'import', 'default'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
      testTimeout: 180_000,
      hookTimeout: 120_000,
      ...overrides,
    },
  });
}
