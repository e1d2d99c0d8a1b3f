import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.ts';

// Two entries (the main one and `./node`, the HTTP side) sharing one chunk of common code.
export default defineConfig(
  packageConfig({ platform: 'node', entry: ['src/index.ts', 'src/node.ts'], splitting: true }),
);
