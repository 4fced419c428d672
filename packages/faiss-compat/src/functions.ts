import * as mk from '@metalfaiss/metal-kernels';
import { asMatrix, normalizeL2, type VectorsInput } from '@metalfaiss/linalg';
import * as ix from '@metalfaiss/indexes';
import type { SearchResultTuple } from './base';

export const METRIC_INNER_PRODUCT = 0;
export const METRIC_L2 = 1;

/**
 * `faiss.normalize_L2(x)`: L2-normalises the rows of x in place. An array of
 * rows carries its own d; a flat Float32Array needs d: `normalize_L2(x, d)`.
 */
export function normalize_L2(x: Float32Array | number[][], d?: number): void {
  if (Array.isArray(x)) {
    if (x.length === 0) return;
    const dim = x[0]?.length;
    const m = asMatrix(x, dim, { name: 'x' });
    normalizeL2(m.data, dim);
    for (let i = 0; i < x.length; i++) for (let j = 0; j < dim; j++) x[i][j] = m.data[i * dim + j];
    return;
  }
  if (!(x instanceof Float32Array)) {
    throw new mk.MetalFaissError(
      'INVALID_ARGUMENT',
      `expected Float32Array or an array of rows for x (normalize_L2 works in place), received ${mk.describeValue(x)}`,
    );
  }
  if (d === undefined) {
    throw new mk.MetalFaissError('INVALID_ARGUMENT', 'expected the dimension d for normalize_L2(x, d): a flat Float32Array does not carry its row length');
  }
  normalizeL2(x, d);
}

/** `faiss.knn(xq, xb, k, metric)`: exact k nearest neighbours, returns [D, I]. */
export function knn(xq: VectorsInput, xb: VectorsInput, k: number, metric: number = METRIC_L2, d?: number): SearchResultTuple {
  const dim = d ?? inferDim(xq, xb);
  const q = asMatrix(xq, dim, { name: 'xq' });
  const b = asMatrix(xb, dim, { name: 'xb' });
  ix.checkK(k);
  const m = ix.parseMetric(metric as ix.MetricType);
  const D = new Float32Array(q.rows * k);
  const I = new BigInt64Array(q.rows * k);
  mk.knn({ xq: q.data, xb: b.data, nq: q.rows, nb: b.rows, d: dim, k, metric: m, distances: D, labels: I });
  return [D, I];
}

function inferDim(xq: VectorsInput, xb: VectorsInput): number {
  for (const x of [xq, xb]) {
    if (Array.isArray(x) && x.length > 0 && x[0] && typeof (x[0] as ArrayLike<number>).length === 'number') {
      return (x[0] as ArrayLike<number>).length;
    }
  }
  throw new mk.MetalFaissError(
    'INVALID_ARGUMENT',
    'expected the dimension d as the 5th argument of knn(xq, xb, k, metric, d) when both inputs are flat Float32Arrays',
  );
}

/** `faiss.omp_set_num_threads(n)`: threads used by the kernels. */
export function omp_set_num_threads(n: number): void {
  mk.setNumThreads(n);
}

/** `faiss.omp_get_max_threads()` */
export function omp_get_max_threads(): number {
  return mk.getNumThreads();
}
