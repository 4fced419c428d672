/**
 * The k-means centroid update (FAISS's compute_centroids): every centroid
 * becomes the (weighted) mean of the vectors assigned to it. The assignment
 * step itself is the `knn` kernel with k = 1.
 *
 * Native form: split over threads by centroid ranges (each thread reads the
 * whole assignment and sums only the vectors of its own centroids, so no two
 * threads write the same sum), float64 accumulation, one rounding to float32.
 */
import { MetalFaissError } from './errors';
import { checkArgsObject, checkBigInt64, checkFloat32, checkInteger, checkNoOverlap } from './validate';
import { deferred, guard, guardAsync, ivfAddon } from './ivf-native';
import { kmeansUpdateReference } from './reference/kmeans';

export interface KmeansUpdateArgs {
  /** training vectors, Float32Array of length n * d */
  x: Float32Array;
  n: number;
  d: number;
  /** number of centroids, >= 1 */
  k: number;
  /** the centroid of every vector: BigInt64Array of length n, values in [0, k) */
  assign: BigInt64Array;
  /** optional per-vector weights, Float32Array of length n (default: all 1) */
  weights?: Float32Array | null;
  /**
   * output, Float32Array of length k * d: centroid c = sum of w_i x_i over
   * its vectors divided by the sum of their w_i; all zeros for a centroid
   * with no vector (the caller splits such clusters)
   */
  centroids: Float32Array;
  /** output, Float32Array of length k: the weight sum (vector count) of each centroid (FAISS's hassign) */
  counts: Float32Array;
}

/** Validates the arguments; throws MetalFaissError INVALID_ARGUMENT / DIMENSION_MISMATCH. */
export function validateKmeansUpdate(args: KmeansUpdateArgs): void {
  checkArgsObject('args', args);
  const n = checkInteger('n', args.n, 0);
  const d = checkInteger('d', args.d, 1);
  const k = checkInteger('k', args.k, 1, 2 ** 31 - 1);
  if (!Number.isSafeInteger(n * d) || !Number.isSafeInteger(k * d)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected n * d and k * d to be safe integers, received n = ${n}, k = ${k}, d = ${d}`);
  }
  checkFloat32('x', args.x, n * d, `n * d = ${n} * ${d}`);
  const assign = checkBigInt64('assign', args.assign, n, `n = ${n}`);
  const inputs: Array<[string, ArrayBufferView]> = [['x', args.x], ['assign', assign]];
  if (args.weights !== undefined && args.weights !== null) {
    checkFloat32('weights', args.weights, n, `n = ${n}`);
    inputs.push(['weights', args.weights]);
  }
  checkFloat32('centroids', args.centroids, k * d, `k * d = ${k} * ${d}`);
  checkFloat32('counts', args.counts, k, `k = ${k}`);
  checkNoOverlap([['centroids', args.centroids], ['counts', args.counts]], inputs);
  const kb = BigInt(k);
  for (let i = 0; i < n; i++) {
    const a = assign[i];
    if (a < 0n || a >= kb) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected centroid numbers in [0, ${k}) in assign, received ${a} at assign[${i}]`);
    }
  }
}

/** Computes new centroids from an assignment (see KmeansUpdateArgs). */
export function kmeansUpdate(args: KmeansUpdateArgs): void {
  validateKmeansUpdate(args);
  const addon = ivfAddon();
  if (!addon) {
    kmeansUpdateReference(args);
    return;
  }
  guard('kmeansUpdate', () =>
    addon.kmeansUpdate(args.x, args.n, args.d, args.k, args.assign, args.weights ?? null, args.centroids, args.counts),
  );
}

/** Like kmeansUpdate, computed off the JS thread (native backend). */
export async function kmeansUpdateAsync(args: KmeansUpdateArgs): Promise<void> {
  validateKmeansUpdate(args);
  const addon = ivfAddon();
  if (!addon) return deferred(() => kmeansUpdateReference(args));
  return guardAsync('kmeansUpdateAsync', () =>
    addon.kmeansUpdateAsync(args.x, args.n, args.d, args.k, args.assign, args.weights ?? null, args.centroids, args.counts),
  );
}
