/**
 * Householder QR with LAPACK's conventions (dgeqr2 + dorg2r), in float64:
 * the orthonormalisation FAISS's `matrix_qr` performs for random rotations
 * and OPQ's initial rotation.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';

/**
 * FAISS's `matrix_qr(m, n, a)`: `a` holds n vectors of length m (column-major
 * m x n, i.e. n contiguous rows of m values; n <= m). They are replaced, in
 * place, by the first n columns of Q from a Householder QR, with LAPACK's
 * sign convention (R's diagonal is -sign(alpha) * norm), so the result equals
 * LAPACK's up to rounding.
 * @throws MetalFaissError INVALID_ARGUMENT for n > m or a wrong length
 */
export function matrixQR(m: number, n: number, a: Float32Array | Float64Array): void {
  if (!Number.isInteger(m) || !Number.isInteger(n) || n < 0 || m < n) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected integers 0 <= n <= m for matrixQR, received m = ${describeValue(m)}, n = ${describeValue(n)}`);
  }
  if (!(a instanceof Float32Array || a instanceof Float64Array) || a.length !== m * n) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a Float32Array or Float64Array of length ${m * n} (m * n) for matrixQR, received ${describeValue(a)}`);
  }
  const w = Float64Array.from(a);
  const tau = new Float64Array(n);
  // Factor: column j is row j of w.
  for (let j = 0; j < n; j++) {
    const cj = j * m;
    const alpha = w[cj + j];
    let xn = 0;
    for (let k = j + 1; k < m; k++) xn += w[cj + k] * w[cj + k];
    if (xn === 0) {
      tau[j] = 0;
    } else {
      const norm = Math.sqrt(alpha * alpha + xn);
      const beta = alpha >= 0 ? -norm : norm;
      tau[j] = (beta - alpha) / beta;
      const scale = 1 / (alpha - beta);
      for (let k = j + 1; k < m; k++) w[cj + k] *= scale;
      w[cj + j] = beta;
      // apply H_j to the remaining columns
      for (let c = j + 1; c < n; c++) {
        const cc = c * m;
        let s = w[cc + j];
        for (let k = j + 1; k < m; k++) s += w[cj + k] * w[cc + k];
        s *= tau[j];
        w[cc + j] -= s;
        for (let k = j + 1; k < m; k++) w[cc + k] -= s * w[cj + k];
      }
    }
  }
  // Form Q's first n columns: Q = H_0 ... H_{n-1} · I[:, :n] (dorg2r).
  const q = new Float64Array(m * n);
  for (let j = n - 1; j >= 0; j--) {
    const cj = j * m;
    const qj = j * m;
    // column j of Q before H_j: e_j; apply H_j to columns j..n-1
    if (j < n - 1) {
      for (let c = j + 1; c < n; c++) {
        const qc = c * m;
        let s = q[qc + j];
        for (let k = j + 1; k < m; k++) s += w[cj + k] * q[qc + k];
        s *= tau[j];
        q[qc + j] -= s;
        for (let k = j + 1; k < m; k++) q[qc + k] -= s * w[cj + k];
      }
    }
    q[qj + j] = 1 - tau[j];
    for (let k = j + 1; k < m; k++) q[qj + k] = -tau[j] * w[cj + k];
    for (let k = 0; k < j; k++) q[qj + k] = 0;
  }
  for (let i = 0; i < a.length; i++) a[i] = q[i];
}
