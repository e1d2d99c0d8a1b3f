import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.ts';

// The pure entry (any runtime) and `./node` (the address lookup of Node's UDP sockets).
export default defineConfig(
  packageConfig({ platform: 'node', entry: ['src/index.ts', 'src/node.ts'] }),
);
