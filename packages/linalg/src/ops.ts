/**
 * Dense operations over row-major matrices, delegating to the kernels.
 */
import {
  METRIC_INNER_PRODUCT,
  METRIC_L2,
  MetalFaissError,
  normsL2Sqr,
  pairwiseDistances,
  pairwiseDistancesAsync,
} from '@metalfaiss/metal-kernels';
import { Matrix } from './matrix';

function sameCols(a: Matrix, b: Matrix, what: string): void {
  if (a.cols !== b.cols) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected matrices with equal column counts for ${what}, received ${a.cols} and ${b.cols}`);
  }
}

/** Squared L2 norm of every row (length rows). */
export function rowNormsSqr(x: Matrix): Float32Array {
  const out = new Float32Array(x.rows);
  normsL2Sqr(x.data, x.rows, x.cols, out);
  return out;
}

/** L2 norm of every row (length rows). */
export function rowNorms(x: Matrix): Float32Array {
  const out = rowNormsSqr(x);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]);
  return out;
}

/**
 * Normalises every row of a row-major n x d array to unit L2 norm, in place
 * (FAISS's fvec_renorm_L2: rows of norm 0 are left as they are).
 */
export function normalizeL2(x: Float32Array, d: number): void {
  if (!(x instanceof Float32Array)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected Float32Array for x, received ${typeof x}`);
  }
  if (!Number.isInteger(d) || d < 1 || x.length % d !== 0) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected a length that is a multiple of d = ${d} for x, received ${x.length}`);
  }
  const n = x.length / d;
  const norms = new Float32Array(n);
  normsL2Sqr(x, n, d, norms);
  for (let i = 0; i < n; i++) {
    const nr = Math.sqrt(norms[i]);
    if (nr > 0) {
      const inv = 1 / nr;
      for (let j = i * d; j < (i + 1) * d; j++) x[j] *= inv;
    }
  }
}

/** A · Bᵀ: the inner products of every row of a with every row of b (a.rows x b.rows). */
export function innerProducts(a: Matrix, b: Matrix): Matrix {
  sameCols(a, b, 'innerProducts');
  const out = Matrix.zeros(a.rows, b.rows);
  pairwiseDistances({ xq: a.data, xb: b.data, nq: a.rows, nb: b.rows, d: a.cols, metric: METRIC_INNER_PRODUCT, out: out.data });
  return out;
}

/** Squared L2 distances of every row of a to every row of b (a.rows x b.rows). */
export function l2SqrDistances(a: Matrix, b: Matrix): Matrix {
  sameCols(a, b, 'l2SqrDistances');
  const out = Matrix.zeros(a.rows, b.rows);
  pairwiseDistances({ xq: a.data, xb: b.data, nq: a.rows, nb: b.rows, d: a.cols, metric: METRIC_L2, out: out.data });
  return out;
}

/** Promise form of innerProducts, computed off the event loop. */
export async function innerProductsAsync(a: Matrix, b: Matrix): Promise<Matrix> {
  sameCols(a, b, 'innerProductsAsync');
  const out = Matrix.zeros(a.rows, b.rows);
  await pairwiseDistancesAsync({ xq: a.data, xb: b.data, nq: a.rows, nb: b.rows, d: a.cols, metric: METRIC_INNER_PRODUCT, out: out.data });
  return out;
}

/**
 * The matrix product A · B (a.rows x b.cols), computed as A · (Bᵀ)ᵀ with the
 * inner-product kernel.
 */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected a.cols === b.rows for matmul, received ${a.cols} and ${b.rows}`);
  }
  return innerProducts(a, b.transpose());
}
