/**
 * Reference k-means centroid update: float64 sums in vector order, one
 * division and one rounding to float32 per component. The native kernel sums
 * in the same order and precision, so both agree bit for bit.
 */
import type { KmeansUpdateArgs } from '../kmeans';

/** Assumes validated arguments (see validateKmeansUpdate). */
export function kmeansUpdateReference(args: KmeansUpdateArgs): void {
  const { x, n, d, k, assign, centroids, counts } = args;
  const weights = args.weights ?? null;
  const sums = new Float64Array(k * d);
  const wsum = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = Number(assign[i]);
    const w = weights ? weights[i] : 1;
    wsum[c] += w;
    const o = c * d;
    const xo = i * d;
    if (weights) for (let j = 0; j < d; j++) sums[o + j] += x[xo + j] * w;
    else for (let j = 0; j < d; j++) sums[o + j] += x[xo + j];
  }
  for (let c = 0; c < k; c++) {
    counts[c] = wsum[c];
    const o = c * d;
    if (wsum[c] === 0) {
      centroids.fill(0, o, o + d);
    } else {
      for (let j = 0; j < d; j++) centroids[o + j] = sums[o + j] / wsum[c];
    }
  }
}
