/**
 * Finds and loads the native addon (`metal_kernels.node`) and decides which
 * backend the module-level functions use.
 *
 * Search order (node-gyp-build): prebuilds/<platform>-<arch>/, then
 * build/Release/, then build/Debug/, all relative to the package root.
 *
 * Environment (debug overrides only):
 * - METALFAISS_BACKEND=reference: skip the addon, use the TypeScript reference.
 * - METALFAISS_BACKEND=native: require the addon; calls throw BACKEND_UNAVAILABLE if it cannot load.
 * - METALFAISS_SIMD=avx2|scalar|...: cap the SIMD level of the native kernels.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RangeSearchOutput } from './backend';

/** The raw surface of the addon (arguments are validated in TypeScript first). */
export interface NativeAddon {
  version: string;
  info(): { simd: string; threads: number; simdLevels: string[] };
  setSimd(level: string): string;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  normsL2Sqr(x: Float32Array, n: number, d: number, out: Float32Array): void;
  normsL2SqrAsync(x: Float32Array, n: number, d: number, out: Float32Array): Promise<void>;
  pairwise(xq: Float32Array, xb: Float32Array, nq: number, nb: number, d: number, metric: number, out: Float32Array): void;
  pairwiseAsync(
    xq: Float32Array, xb: Float32Array, nq: number, nb: number, d: number, metric: number, out: Float32Array,
  ): Promise<void>;
  knn(
    xq: Float32Array, xb: Float32Array, nq: number, nb: number, d: number, k: number, metric: number,
    distances: Float32Array, labels: BigInt64Array, xbNorms: Float32Array | null, labelOffset: number,
  ): void;
  knnAsync(
    xq: Float32Array, xb: Float32Array, nq: number, nb: number, d: number, k: number, metric: number,
    distances: Float32Array, labels: BigInt64Array, xbNorms: Float32Array | null, labelOffset: number,
  ): Promise<void>;
  rangeSearch(
    xq: Float32Array, xb: Float32Array, nq: number, nb: number, d: number, radius: number, metric: number,
    labelOffset: number,
  ): RangeSearchOutput;
  rangeSearchAsync(
    xq: Float32Array, xb: Float32Array, nq: number, nb: number, d: number, radius: number, metric: number,
    labelOffset: number,
  ): Promise<RangeSearchOutput>;
  topk(
    values: Float32Array, n: number, m: number, k: number, largest: boolean,
    outValues: Float32Array, outIndices: BigInt64Array,
  ): void;
  topkAsync(
    values: Float32Array, n: number, m: number, k: number, largest: boolean,
    outValues: Float32Array, outIndices: BigInt64Array,
  ): Promise<void>;
}

export interface AddonLoadResult {
  addon: NativeAddon | null;
  /** The directories searched, in order. */
  tried: string[];
  /** Why loading failed (undefined on success). */
  error?: string;
  /** A problem with METALFAISS_SIMD, if any (the addon still loaded). */
  simdWarning?: string;
}

/** The package root: src/ and dist/ both sit directly below it. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

export function candidatePaths(root = packageRoot()): string[] {
  return [
    path.join(root, 'prebuilds', `${process.platform}-${process.arch}`),
    path.join(root, 'build', 'Release'),
    path.join(root, 'build', 'Debug'),
  ];
}

let cached: AddonLoadResult | undefined;

/** Loads the addon once; never throws. */
export function loadAddon(): AddonLoadResult {
  if (cached) return cached;
  const root = packageRoot();
  const tried = candidatePaths(root);
  try {
    const require = createRequire(import.meta.url);
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    const addon = nodeGypBuild(root) as NativeAddon;
    if (typeof addon?.knn !== 'function' || typeof addon?.info !== 'function') {
      throw new Error('the loaded module does not export the metal-kernels functions (stale build?)');
    }
    cached = { addon, tried };
    const simd = process.env.METALFAISS_SIMD;
    if (simd !== undefined && simd !== '') {
      try {
        addon.setSimd(simd);
      } catch (error) {
        cached.simdWarning = `METALFAISS_SIMD=${simd} ignored: ${(error as Error).message}`;
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    cached = { addon: null, tried, error: `${message}. ${loadHelp(root)}` };
  }
  return cached;
}

/** What to do when no binary loads: which prebuilds exist, and how to build from source. */
export function loadHelp(root = packageRoot()): string {
  let prebuilt: string[] = [];
  try {
    prebuilt = readdirSync(path.join(root, 'prebuilds')).filter((p) => existsSync(path.join(root, 'prebuilds', p)));
  } catch {
    prebuilt = [];
  }
  const here = `${process.platform}-${process.arch}`;
  return (
    `What to do: ${prebuilt.length ? `prebuilt binaries ship for ${prebuilt.join(', ')}` : 'this copy has no prebuilt binaries'}` +
    `${prebuilt.includes(here) ? ` (the ${here} one failed to load: an older glibc or libstdc++ than it needs?)` : ` (none for ${here})`}; ` +
    `build from source in ${root} with \`npm install --no-save cmake-js@8.0.0 node-addon-api@8.9.2 && npx cmake-js compile --out build\` ` +
    '(needs CMake >= 3.15 and a C++17 compiler), or in the metalfaiss repository run `pnpm build`'
  );
}
