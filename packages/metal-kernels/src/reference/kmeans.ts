/**
 * Reference k-means centroid update: float64 sums in vector order, one
 * division and one rounding to float32 per component. The native kernel sums
 * in the same order and precision, so both agree bit for bit.
 */
import type { KmeansAssignArgs, KmeansUpdateArgs } from '../kmeans';
import { innerProduct, l2Sqr } from './distances';

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

/**
 * Reference assignment: every distance in float64, rounded to float32 once
 * (the same score as the knn reference), nearest (L2) / largest (inner
 * product), ties to the lower centroid index. Assumes validated arguments.
 */
export function kmeansAssignReference(args: KmeansAssignArgs): void {
  const { x, n, d, centroids, k, metric, distances, labels } = args;
  const ids = args.ids ?? null;
  for (let i = 0; i < n; i++) {
    let best = metric === 1 ? Infinity : -Infinity;
    let arg = -1;
    for (let c = 0; c < k; c++) {
      const s = Math.fround(metric === 1 ? l2Sqr(x, i, centroids, c, d) : innerProduct(x, i, centroids, c, d));
      if (metric === 1 ? s < best : s > best) {
        best = s;
        arg = c;
      }
    }
    distances[i] = best;
    labels[i] = arg < 0 ? -1n : ids ? ids[arg] : BigInt(arg);
  }
}
