import { createRequire } from 'node:module';

// src/version.ts and dist/index.* both sit one level below package.json.
const require = createRequire(import.meta.url);
export const packageVersion: string = (require('../package.json') as { version: string }).version;
