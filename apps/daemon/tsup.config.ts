import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.ts';

export default defineConfig(
  packageConfig({
    entry: { btd: 'src/btd.ts' },
    platform: 'node',
    target: 'node20',
    dts: false,
    banner: { js: '#!/usr/bin/env node' },
  }),
);
