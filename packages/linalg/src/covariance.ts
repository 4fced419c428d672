/**
 * Means and scatter (unnormalised covariance) matrices of row-major float32
 * data, as FAISS's PCAMatrix forms them: Σ_i (x_i - μ)(x_i - μ)ᵀ, NOT divided
 * by n (FAISS's eigenvalues are those of this sum). Computed on the native
 * GEMM kernel over centred, transposed blocks, accumulated in float64.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { gemmAtB } from './gemm';

function checkData(x: unknown, n: number, d: number, what: string): Float32Array {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(d) || d < 1) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected integers n >= 0 and d >= 1 for ${what}, received n = ${describeValue(n)}, d = ${describeValue(d)}`);
  }
  if (!(x instanceof Float32Array) || x.length !== n * d) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected a Float32Array of length ${n * d} (n * d) for ${what}, received ${describeValue(x)}`);
  }
  return x;
}

/** The mean of the n rows (float64, length d). */
export function columnMeans(x: Float32Array, n: number, d: number): Float64Array {
  checkData(x, n, d, 'columnMeans');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) mean[j] += x[o + j];
  }
  if (n > 0) for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

/**
 * Σ_i (x_i - mean)(x_i - mean)ᵀ, a d x d float64 matrix. With `mean`
 * omitted the rows are not centred (Σ x_i x_iᵀ).
 */
export function scatterMatrix(x: Float32Array, n: number, d: number, mean?: ArrayLike<number>): Float64Array {
  checkData(x, n, d, 'scatterMatrix');
  if (mean !== undefined && mean.length !== d) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${d} values for mean in scatterMatrix, received ${mean.length}`);
  }
  const c = mean ? Float32Array.from(mean) : undefined;
  const s = gemmAtB(x, n, d, x, d, { centerA: c, centerB: c });
  // symmetrise (the kernel's two triangles agree up to rounding)
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (s[i * d + j] + s[j * d + i]);
      s[i * d + j] = v;
      s[j * d + i] = v;
    }
  }
  return s;
}
