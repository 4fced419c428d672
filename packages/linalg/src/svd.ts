/**
 * Thin singular value decomposition in float64 (the role of LAPACK's gesvd in
 * FAISS's OPQ Procrustes step and ITQ): A = U · diag(S) · Vᵀ.
 *
 * Method: the rows of the short side are first rotated onto the eigenvectors
 * of their Gram matrix (symmetricEigen), which leaves them almost orthogonal;
 * one-sided (Hestenes) Jacobi sweeps then orthogonalise them to working
 * precision, usually in one or two sweeps. One-sided Jacobi is accurate for
 * small singular values too.
 */
import { MetalFaissError, denseKernels, describeValue } from '@metalfaiss/metal-kernels';
import { symmetricEigen } from './eigen';

export interface SvdResult {
  /** m x r, row-major; columns are the left singular vectors (r = min(m, n)) */
  U: Float64Array;
  /** r singular values, descending */
  S: Float64Array;
  /** n x r, row-major; columns are the right singular vectors */
  V: Float64Array;
  /** r = min(m, n) */
  rank: number;
}

/**
 * Thin SVD of the m x n row-major matrix a. Runs on the native kernel when
 * the addon is loaded (`implementation: 'typescript'` forces the reference).
 * @throws MetalFaissError INVALID_ARGUMENT for a bad shape or non-finite values
 */
export function svd(a: Float64Array | Float32Array, m: number, n: number, implementation: 'auto' | 'typescript' = 'auto'): SvdResult {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 1 || n < 1) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected integers m, n >= 1 for svd, received ${describeValue(m)} x ${describeValue(n)}`);
  }
  if (!(a instanceof Float64Array || a instanceof Float32Array) || a.length !== m * n) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a Float64Array or Float32Array of length ${m * n} (m * n) for svd, received ${describeValue(a)}`);
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected finite values in svd's matrix, received ${a[i]} at index ${i}`);
    }
  }
  // X: p rows of length q, p <= q (the short side as rows).
  const wide = m <= n;
  const p = wide ? m : n;
  const q = wide ? n : m;
  const x = new Float64Array(p * q);
  if (wide) x.set(a);
  else for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) x[j * q + i] = a[i * n + j];

  let y: Float64Array;
  let J: Float64Array;
  const native = implementation === 'typescript' ? undefined : denseKernels()?.svdRows;
  if (native) {
    J = new Float64Array(p * p);
    try {
      native(x, p, q, J);
    } catch (cause) {
      throw new MetalFaissError('NATIVE', `svd failed: ${(cause as Error).message}`, { cause });
    }
    y = x;
  } else {
    ({ y, J } = preconditionedJacobi(x, p, q));
  }
  // Singular values = row norms of Y; sort descending.
  const norms = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let k = 0; k < q; k++) s += y[i * q + k] ** 2;
    norms[i] = Math.sqrt(s);
  }
  // rows at rounding-noise level (rank deficiency) are exact zeros: their
  // long-side vectors are completed orthonormally below
  let maxNorm = 0;
  for (let i = 0; i < p; i++) maxNorm = Math.max(maxNorm, norms[i]);
  for (let i = 0; i < p; i++) if (norms[i] <= maxNorm * 1e-13) norms[i] = 0;
  const order = Array.from({ length: p }, (_, i) => i).sort((i, j) => norms[j] - norms[i] || i - j);
  const S = new Float64Array(p);
  // Short-side vectors: column r of (Jᵀ) = row order[r] of J; long-side: Y row / norm.
  const shortVec = new Float64Array(p * p); // p x p, column r
  const longVec = new Float64Array(q * p); // q x p, column r
  for (let r = 0; r < p; r++) {
    const src = order[r];
    S[r] = norms[src];
    for (let i = 0; i < p; i++) shortVec[i * p + r] = J[src * p + i];
    const inv = norms[src] > 0 ? 1 / norms[src] : 0;
    for (let k = 0; k < q; k++) longVec[k * p + r] = y[src * q + k] * inv;
  }
  completeZeroColumns(longVec, q, p, S);
  return wide ? { U: shortVec, S, V: longVec, rank: p } : { U: longVec, S, V: shortVec, rank: p };
}

/** Precondition X <- E X with E the eigenvectors of X Xᵀ (rows), J = E; then one-sided Jacobi sweeps. */
function preconditionedJacobi(x: Float64Array, p: number, q: number): { y: Float64Array; J: Float64Array } {
  const gram = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const xi = x.subarray(i * q, (i + 1) * q);
    for (let j = 0; j <= i; j++) {
      const xj = x.subarray(j * q, (j + 1) * q);
      let s = 0;
      for (let k = 0; k < q; k++) s += xi[k] * xj[k];
      gram[i * p + j] = s;
      gram[j * p + i] = s;
    }
  }
  const { vectors: J } = symmetricEigen(gram, p, { canonicalSigns: false });
  const y = new Float64Array(p * q);
  for (let i = 0; i < p; i++) {
    const yi = i * q;
    for (let j = 0; j < p; j++) {
      const c = J[i * p + j];
      if (c === 0) continue;
      const xj = j * q;
      for (let k = 0; k < q; k++) y[yi + k] += c * x[xj + k];
    }
  }
  jacobiSweeps(y, p, q, J);
  return { y, J };
}

/** One-sided Jacobi: rotates pairs of rows of y (p x q) until all are orthogonal; applies the same rotations to J. */
function jacobiSweeps(y: Float64Array, p: number, q: number, J: Float64Array): void {
  const tol = 1e-15;
  // rows below this squared norm are rounding noise of a rank-deficient matrix: left alone
  let total = 0;
  for (let i = 0; i < p * q; i++) total += y[i] * y[i];
  const tiny = total * 1e-28;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let i = 0; i < p - 1; i++) {
      const yi = i * q;
      for (let j = i + 1; j < p; j++) {
        const yj = j * q;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < q; k++) {
          const u = y[yi + k];
          const v = y[yj + k];
          alpha += u * u;
          beta += v * v;
          gamma += u * v;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta) || alpha <= tiny || beta <= tiny) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let k = 0; k < q; k++) {
          const u = y[yi + k];
          const v = y[yj + k];
          y[yi + k] = c * u - s * v;
          y[yj + k] = s * u + c * v;
        }
        const ji = i * p;
        const jj = j * p;
        for (let k = 0; k < p; k++) {
          const u = J[ji + k];
          const v = J[jj + k];
          J[ji + k] = c * u - s * v;
          J[jj + k] = s * u + c * v;
        }
      }
    }
    if (!rotated) return;
  }
  throw new MetalFaissError('NATIVE', `svd: one-sided Jacobi did not converge for a ${p} x ${q} matrix`);
}

/**
 * Columns of the long-side factor for zero singular values are zero after
 * normalisation; replace them with unit vectors orthogonal to the others
 * (Gram-Schmidt against the canonical basis) so the factor stays orthonormal.
 */
function completeZeroColumns(v: Float64Array, q: number, p: number, S: Float64Array): void {
  let basis = 0;
  for (let r = 0; r < p; r++) {
    if (S[r] > 0) continue;
    for (; basis < q; basis++) {
      const col = new Float64Array(q);
      col[basis] = 1;
      for (let c = 0; c < p; c++) {
        if (c === r || (S[c] === 0 && c > r)) continue;
        let dot = 0;
        for (let k = 0; k < q; k++) dot += v[k * p + c] * col[k];
        for (let k = 0; k < q; k++) col[k] -= dot * v[k * p + c];
      }
      let nrm = 0;
      for (let k = 0; k < q; k++) nrm += col[k] * col[k];
      nrm = Math.sqrt(nrm);
      if (nrm > 1e-8) {
        for (let k = 0; k < q; k++) v[k * p + r] = col[k] / nrm;
        basis++;
        break;
      }
    }
  }
}

/**
 * The orthogonal polar factor U · Vᵀ of an m x n matrix (m x n, row-major):
 * the solution of the orthogonal Procrustes problem used by OPQ and ITQ.
 */
export function polarFactor(a: Float64Array | Float32Array, m: number, n: number): Float64Array {
  const { U, V, rank } = svd(a, m, n);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < rank; r++) s += U[i * rank + r] * V[j * rank + r];
      out[i * n + j] = s;
    }
  }
  return out;
}
