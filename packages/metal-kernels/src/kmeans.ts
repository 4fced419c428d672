/**
 * The two k-means steps.
 *
 * - `kmeansAssign`: the nearest centroid of every point, i.e. `knn` with
 *   k = 1 (same distances, ties to the lower index), specialised for many
 *   points and few centroids: the centroids are packed once into the GEMM
 *   micro-kernel's panels, the points are read in place (never repacked) and
 *   the argmin is fused into the epilogue; blocked so that a block of points
 *   and a chunk of panels stay in L2; point blocks split over the threads.
 *   Optional `ids` report a centroid subset's own numbers.
 * - `kmeansUpdate` (FAISS's compute_centroids): every centroid becomes the
 *   (weighted) mean of its points; split over threads by centroid ranges (each
 *   thread reads the whole assignment and sums only its own centroids' points),
 *   float64 accumulation, one rounding to float32.
 */
import { MetalFaissError } from './errors';
import { checkArgsObject, checkBigInt64, checkFloat32, checkInteger, checkMetric, checkNoOverlap } from './validate';
import { deferred, guard, guardAsync, ivfAddon } from './ivf-native';
import { kmeansAssignReference, kmeansUpdateReference } from './reference/kmeans';
import type { MetricCode } from './backend';

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
  // read the 64-bit numbers through their 32-bit words (little-endian): no BigInts
  const w = new Int32Array(assign.buffer, assign.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const lo = w[2 * i];
    if (w[2 * i + 1] !== 0 || lo < 0 || lo >= k) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected centroid numbers in [0, ${k}) in assign, received ${assign[i]} at assign[${i}]`);
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

export interface KmeansAssignArgs {
  /** points, Float32Array of length n * d */
  x: Float32Array;
  n: number;
  d: number;
  /** centroids, Float32Array of length k * d */
  centroids: Float32Array;
  /** number of centroids, 1 .. 2^24 - 1 */
  k: number;
  /** 1 = squared L2 (nearest), 0 = inner product (largest) */
  metric: MetricCode;
  /** optional squared norms of the points (L2), Float32Array of length n; computed when absent */
  xNorms?: Float32Array | null;
  /** optional ids reported for the centroids (a subset's numbers), BigInt64Array of length k, increasing */
  ids?: BigInt64Array | null;
  /** output, Float32Array of length n: squared distance (L2) / inner product to the chosen centroid */
  distances: Float32Array;
  /** output, BigInt64Array of length n: the chosen centroid (its id), ties to the lower index */
  labels: BigInt64Array;
}

export function validateKmeansAssign(args: KmeansAssignArgs): void {
  checkArgsObject('args', args);
  const n = checkInteger('n', args.n, 0);
  const d = checkInteger('d', args.d, 1, 2 ** 24);
  const k = checkInteger('k', args.k, 1, 2 ** 24 - 1);
  checkMetric(args.metric);
  if (!Number.isSafeInteger(n * d) || !Number.isSafeInteger(k * d)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected n * d and k * d to be safe integers, received n = ${n}, k = ${k}, d = ${d}`);
  }
  checkFloat32('x', args.x, n * d, `n * d = ${n} * ${d}`);
  checkFloat32('centroids', args.centroids, k * d, `k * d = ${k} * ${d}`);
  const inputs: Array<[string, ArrayBufferView]> = [['x', args.x], ['centroids', args.centroids]];
  if (args.xNorms !== undefined && args.xNorms !== null) {
    checkFloat32('xNorms', args.xNorms, n, `n = ${n}`);
    inputs.push(['xNorms', args.xNorms]);
  }
  if (args.ids !== undefined && args.ids !== null) {
    checkBigInt64('ids', args.ids, k, `k = ${k}`);
    inputs.push(['ids', args.ids]);
  }
  checkFloat32('distances', args.distances, n, `n = ${n}`);
  checkBigInt64('labels', args.labels, n, `n = ${n}`);
  checkNoOverlap([['distances', args.distances], ['labels', args.labels]], inputs);
}

/** The nearest centroid of every point (see KmeansAssignArgs). */
export function kmeansAssign(args: KmeansAssignArgs): void {
  validateKmeansAssign(args);
  const addon = ivfAddon();
  if (!addon) {
    kmeansAssignReference(args);
    return;
  }
  guard('kmeansAssign', () =>
    addon.kmeansAssign(args.x, args.n, args.d, args.centroids, args.k, args.metric, args.xNorms ?? null, args.ids ?? null, args.distances, args.labels),
  );
}

/** Like kmeansAssign, computed off the JS thread (native backend). */
export async function kmeansAssignAsync(args: KmeansAssignArgs): Promise<void> {
  validateKmeansAssign(args);
  const addon = ivfAddon();
  if (!addon) return deferred(() => kmeansAssignReference(args));
  return guardAsync('kmeansAssignAsync', () =>
    addon.kmeansAssignAsync(args.x, args.n, args.d, args.centroids, args.k, args.metric, args.xNorms ?? null, args.ids ?? null, args.distances, args.labels),
  );
}
export * from './kmeans-bounded';
