/**
 * Glue between the k-means / IVF kernel modules (kmeans.ts, ivf.ts) and the
 * native addon: which backend runs them, and native errors rethrown as
 * MetalFaissError. These kernels are not part of KernelBackend (so that the
 * backend contract stays stable); they follow the module-level backend
 * choice (METALFAISS_BACKEND, reference fallback) of index.ts.
 */
import type { RangeSearchOutput } from './backend';
import { MetalFaissError } from './errors';
import { activeBackend } from './index';
import { loadAddon } from './loader';

/** The addon functions of the k-means and IVF kernels (arguments validated in TypeScript first). */
export interface IvfNativeAddon {
  kmeansUpdate(
    x: Float32Array, n: number, d: number, k: number, assign: BigInt64Array, weights: Float32Array | null,
    centroids: Float32Array, counts: Float32Array,
  ): void;
  kmeansUpdateAsync(
    x: Float32Array, n: number, d: number, k: number, assign: BigInt64Array, weights: Float32Array | null,
    centroids: Float32Array, counts: Float32Array,
  ): Promise<void>;
  kmeansAssign(
    x: Float32Array, n: number, d: number, centroids: Float32Array, k: number, metric: number,
    xNorms: Float32Array | null, ids: BigInt64Array | null, distances: Float32Array, labels: BigInt64Array,
  ): void;
  kmeansAssignAsync(
    x: Float32Array, n: number, d: number, centroids: Float32Array, k: number, metric: number,
    xNorms: Float32Array | null, ids: BigInt64Array | null, distances: Float32Array, labels: BigInt64Array,
  ): Promise<void>;
  ivfSearchFlat(
    xq: Float32Array, nq: number, d: number, k: number, metric: number, coarse: BigInt64Array, nprobe: number,
    codes: readonly Uint8Array[], ids: readonly BigInt64Array[], sizes: Int32Array, storePairs: boolean,
    distances: Float32Array, labels: BigInt64Array,
  ): void;
  ivfSearchFlatAsync(
    xq: Float32Array, nq: number, d: number, k: number, metric: number, coarse: BigInt64Array, nprobe: number,
    codes: readonly Uint8Array[], ids: readonly BigInt64Array[], sizes: Int32Array, storePairs: boolean,
    distances: Float32Array, labels: BigInt64Array,
  ): Promise<void>;
  ivfRangeSearchFlat(
    xq: Float32Array, nq: number, d: number, radius: number, metric: number, coarse: BigInt64Array, nprobe: number,
    codes: readonly Uint8Array[], ids: readonly BigInt64Array[], sizes: Int32Array, storePairs: boolean,
  ): RangeSearchOutput;
  ivfRangeSearchFlatAsync(
    xq: Float32Array, nq: number, d: number, radius: number, metric: number, coarse: BigInt64Array, nprobe: number,
    codes: readonly Uint8Array[], ids: readonly BigInt64Array[], sizes: Int32Array, storePairs: boolean,
  ): Promise<RangeSearchOutput>;
}

let staleWarned = false;

/**
 * The native addon when the native backend is active and the addon has these
 * kernels; null means "use the reference implementation". Throws
 * BACKEND_UNAVAILABLE when METALFAISS_BACKEND=native and the addon is missing.
 */
export function ivfAddon(): IvfNativeAddon | null {
  if (activeBackend().name !== 'native') return null;
  const addon = loadAddon().addon as unknown as Partial<IvfNativeAddon> | null;
  if (!addon || typeof addon.ivfSearchFlat !== 'function' || typeof addon.kmeansUpdate !== 'function' || typeof addon.kmeansAssign !== 'function') {
    if (!staleWarned) {
      staleWarned = true;
      process.emitWarning(
        '@metalfaiss/metal-kernels: the native addon has no k-means/IVF kernels (stale build?); ' +
          'they run on the TypeScript reference implementation. Rebuild with `pnpm --filter @metalfaiss/metal-kernels build`.',
        { code: 'METALFAISS_REFERENCE_BACKEND', type: 'MetalFaissWarning' },
      );
    }
    return null;
  }
  return addon as IvfNativeAddon;
}

export function nativeError(kernel: string, error: unknown): MetalFaissError {
  if (MetalFaissError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MetalFaissError('NATIVE', `native kernel ${kernel} failed: ${message}`, { cause: error });
}

export function guard<T>(kernel: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw nativeError(kernel, error);
  }
}

export async function guardAsync<T>(kernel: string, fn: () => Promise<T>): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = fn();
  } catch (error) {
    throw nativeError(kernel, error);
  }
  try {
    return await promise;
  } catch (error) {
    throw nativeError(kernel, error);
  }
}

/** Runs fn on a later turn of the event loop (the reference backend's degraded async form). */
export function deferred<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    });
  });
}
