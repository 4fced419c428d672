import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // configs build in parallel: keep the CLI's output out of this one's clean
    clean: ['!cli.js', '!cli.js.map'],
    shims: true,
    target: 'node20',
    platform: 'node',
  },
  {
    // the `metalfaiss` command (bin): ESM only, executable, with a shebang
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    shims: true,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
