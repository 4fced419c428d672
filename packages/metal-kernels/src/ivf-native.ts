/**
 * The k-means / IVF kernel modules' (kmeans.ts, ivf.ts) view of the native
 * addon: its functions, and whether the native backend runs them (the glue,
 * error wrapping and deferral are sq-native.ts's, re-exported here). These
 * kernels are not part of KernelBackend (so that the backend contract stays
 * stable); they follow the module-level backend choice (METALFAISS_BACKEND,
 * reference fallback) of index.ts.
 */
import type { RangeSearchOutput } from './backend';
import { familyAddon } from './sq-native';

export { deferred, guard, guardAsync, nativeError } from './sq-native';

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

/**
 * The native addon when the native backend is active and the addon has these
 * kernels; null means "use the reference implementation". Throws
 * BACKEND_UNAVAILABLE when METALFAISS_BACKEND=native and the addon is missing.
 */
export function ivfAddon(): IvfNativeAddon | null {
  return familyAddon<IvfNativeAddon>(['ivfSearchFlat', 'kmeansUpdate', 'kmeansAssign'], 'k-means/IVF');
}
