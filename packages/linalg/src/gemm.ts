/**
 * Dense float32 matrix products on the native GEMM kernel (the
 * inner-product form of `pairwiseDistances`, which computes A · Bᵀ with
 * packed, tiled, multi-threaded micro-kernels). All matrices are row-major.
 *
 * - gemmABt: A (m x k) · Bᵀ (B is n x k)         -> m x n
 * - gemmAB:  A (m x k) · B (k x n)               -> m x n
 * - gemmAtB: Aᵀ · B with A (r x m), B (r x n)    -> m x n, reduced over r
 *   rows in blocks (each block transposed, then A·Bᵀ), accumulated in float64:
 *   this is how covariance matrices and OPQ's Xᵀ·Y are formed.
 */
import {
  METRIC_INNER_PRODUCT,
  MetalFaissError,
  describeValue,
  pairwiseDistances,
  pairwiseDistancesAsync,
} from '@metalfaiss/metal-kernels';

function checkDims(what: string, dims: Record<string, number>): void {
  for (const [name, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a non-negative integer for ${name} in ${what}, received ${describeValue(v)}`);
    }
  }
}

function checkArray(what: string, name: string, x: unknown, length: number): Float32Array {
  if (!(x instanceof Float32Array) || x.length !== length) {
    throw new MetalFaissError(
      'DIMENSION_MISMATCH',
      `expected a Float32Array of length ${length} for ${name} in ${what}, received ${describeValue(x)}`,
    );
  }
  return x;
}

/** out (m x n) = A (m x k) · Bᵀ (B: n x k). */
export function gemmABt(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out?: Float32Array): Float32Array {
  checkDims('gemmABt', { m, k, n });
  checkArray('gemmABt', 'a', a, m * k);
  checkArray('gemmABt', 'b', b, n * k);
  const o = out ? checkArray('gemmABt', 'out', out, m * n) : new Float32Array(m * n);
  if (m === 0 || n === 0) return o;
  if (k === 0) {
    o.fill(0);
    return o;
  }
  pairwiseDistances({ xq: a, xb: b, nq: m, nb: n, d: k, metric: METRIC_INNER_PRODUCT, out: o });
  return o;
}

/** Promise form of gemmABt, computed off the event loop. */
export async function gemmABtAsync(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out?: Float32Array): Promise<Float32Array> {
  checkDims('gemmABtAsync', { m, k, n });
  checkArray('gemmABtAsync', 'a', a, m * k);
  checkArray('gemmABtAsync', 'b', b, n * k);
  const o = out ? checkArray('gemmABtAsync', 'out', out, m * n) : new Float32Array(m * n);
  if (m === 0 || n === 0) return o;
  if (k === 0) {
    o.fill(0);
    return o;
  }
  await pairwiseDistancesAsync({ xq: a, xb: b, nq: m, nb: n, d: k, metric: METRIC_INNER_PRODUCT, out: o });
  return o;
}

/** The transpose of a rows x cols row-major matrix (cols x rows). */
export function transpose(x: Float32Array, rows: number, cols: number, out?: Float32Array): Float32Array {
  const o = out ?? new Float32Array(rows * cols);
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        const src = i * cols;
        for (let j = j0; j < j1; j++) o[j * rows + i] = x[src + j];
      }
    }
  }
  return o;
}

/** out (m x n) = A (m x k) · B (k x n). */
export function gemmAB(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out?: Float32Array): Float32Array {
  checkDims('gemmAB', { m, k, n });
  checkArray('gemmAB', 'b', b, k * n);
  return gemmABt(a, m, k, transpose(b, k, n), n, out);
}

export interface GemmAtBOptions {
  /** rows per block (default: about 16 MB of transposed data per operand) */
  blockRows?: number;
  /** subtracted from every row of A before multiplying (length m) */
  centerA?: ArrayLike<number>;
  /** subtracted from every row of B before multiplying (length n) */
  centerB?: ArrayLike<number>;
}

/**
 * Aᵀ · B (m x n, float64) for A (r x m) and B (r x n): Σ_t A[t]ᵀ B[t]. Pass
 * the same array for a and b (with m === n) to get a Gram/scatter matrix;
 * the transposition is then done once per block.
 */
export function gemmAtB(a: Float32Array, r: number, m: number, b: Float32Array, n: number, options: GemmAtBOptions = {}): Float64Array {
  checkDims('gemmAtB', { r, m, n });
  checkArray('gemmAtB', 'a', a, r * m);
  checkArray('gemmAtB', 'b', b, r * n);
  const same = a === b && m === n && options.centerA === options.centerB;
  const out = new Float64Array(m * n);
  if (r === 0 || m === 0 || n === 0) return out;
  const blockRows = options.blockRows ?? Math.max(256, Math.min(r, Math.floor((4 << 20) / Math.max(m, n))));
  const at = new Float32Array(m * blockRows);
  const bt = same ? at : new Float32Array(n * blockRows);
  const part = new Float32Array(m * n);
  const rowA = new Float32Array(m);
  const rowB = new Float32Array(n);
  for (let t0 = 0; t0 < r; t0 += blockRows) {
    const rb = Math.min(blockRows, r - t0);
    const atv = at.subarray(0, m * rb);
    const btv = bt.subarray(0, n * rb);
    transposeBlock(a, t0, rb, m, atv, options.centerA, rowA);
    if (!same) transposeBlock(b, t0, rb, n, btv, options.centerB, rowB);
    pairwiseDistances({ xq: atv, xb: btv, nq: m, nb: n, d: rb, metric: METRIC_INNER_PRODUCT, out: part });
    for (let i = 0; i < out.length; i++) out[i] += part[i];
  }
  return out;
}

function transposeBlock(
  x: Float32Array,
  t0: number,
  rb: number,
  cols: number,
  out: Float32Array,
  center: ArrayLike<number> | undefined,
  row: Float32Array,
): void {
  if (center && center.length !== cols) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${cols} values for the centring vector in gemmAtB, received ${center.length}`);
  }
  const B = 64;
  for (let i0 = 0; i0 < rb; i0 += B) {
    const i1 = Math.min(rb, i0 + B);
    for (let i = i0; i < i1; i++) {
      const src = (t0 + i) * cols;
      if (center) {
        for (let j = 0; j < cols; j++) row[j] = x[src + j] - center[j];
        for (let j = 0; j < cols; j++) out[j * rb + i] = row[j];
      } else {
        for (let j = 0; j < cols; j++) out[j * rb + i] = x[src + j];
      }
    }
  }
}
