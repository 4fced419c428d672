/**
 * Symmetric eigen-decomposition in float64 (the role LAPACK's dsyev plays in
 * FAISS's PCAMatrix): Householder reduction to tridiagonal form, then the
 * implicit QL method with Wilkinson-style shifts, accumulating the
 * transformations.
 *
 * Storage is chosen for contiguous inner loops: the working matrix W is kept
 * transposed with respect to the textbook formulation, so every inner loop
 * (the rank-2 updates, the back-accumulation and the Givens rotations of
 * the QL sweeps) runs along a row. On exit row i of W is the eigenvector of
 * eigenvalue i.
 */
import { MetalFaissError, denseKernels, describeValue } from '@metalfaiss/metal-kernels';

export interface SymmetricEigenResult {
  /** the n eigenvalues, in the requested order */
  values: Float64Array;
  /** n x n, row-major: row i is the unit eigenvector of values[i] */
  vectors: Float64Array;
}

export interface SymmetricEigenOptions {
  /** 'descending' (FAISS's PCA order, the default) or 'ascending' (LAPACK's) */
  order?: 'ascending' | 'descending';
  /**
   * Normalise each eigenvector's sign so that its component of largest
   * magnitude is positive (default true), which makes results reproducible
   * across algorithms. FAISS keeps LAPACK's arbitrary signs.
   */
  canonicalSigns?: boolean;
  /**
   * 'auto' (default): the native kernel when the addon is loaded, else the
   * TypeScript implementation; 'typescript' forces the latter (it is the
   * reference the native kernel is tested against).
   */
  implementation?: 'auto' | 'typescript';
}

/**
 * Eigenvalues and eigenvectors of a symmetric n x n matrix (row-major; only
 * the lower triangle is read). The input is not modified.
 *
 * @param a Float64Array or Float32Array of length n * n
 * @throws MetalFaissError INVALID_ARGUMENT (bad shape, non-finite values),
 *   NATIVE (no convergence, which does not happen for finite input in practice)
 */
export function symmetricEigen(a: Float64Array | Float32Array, n: number, options: SymmetricEigenOptions = {}): SymmetricEigenResult {
  const w = prepare(a, n);
  const d = new Float64Array(n);
  const native = options.implementation === 'typescript' ? null : denseKernels();
  if (native) {
    runNative(() => native.symmetricEigen(w, n, d));
  } else {
    const e = new Float64Array(n);
    tridiagonalize(w, n, d, e);
    qlImplicit(w, n, d, e);
  }
  return finish(w, n, d, options);
}

/**
 * Like symmetricEigen; with the native kernel the decomposition runs off the
 * JS thread (the TypeScript fallback computes on it).
 */
export async function symmetricEigenAsync(
  a: Float64Array | Float32Array,
  n: number,
  options: SymmetricEigenOptions = {},
): Promise<SymmetricEigenResult> {
  const native = options.implementation === 'typescript' ? null : denseKernels();
  if (!native) return symmetricEigen(a, n, options);
  const w = prepare(a, n);
  const d = new Float64Array(n);
  try {
    await native.symmetricEigenAsync(w, n, d);
  } catch (cause) {
    throw new MetalFaissError('NATIVE', `symmetricEigen failed: ${(cause as Error).message}`, { cause });
  }
  return finish(w, n, d, options);
}

function runNative(f: () => void): void {
  try {
    f();
  } catch (cause) {
    throw new MetalFaissError('NATIVE', `symmetricEigen failed: ${(cause as Error).message}`, { cause });
  }
}

/** Validates and copies the lower triangle into a full symmetric working matrix. */
function prepare(a: Float64Array | Float32Array, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1 || n > 65536) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer n in [1, 65536] for symmetricEigen, received ${describeValue(n)}`);
  }
  if (!(a instanceof Float64Array || a instanceof Float32Array) || a.length !== n * n) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected a Float64Array or Float32Array of length ${n * n} (n * n) for symmetricEigen's matrix, received ${describeValue(a)}`,
    );
  }
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = a[i * n + j];
      if (!Number.isFinite(v)) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected finite values in symmetricEigen's matrix, received ${v} at (${i}, ${j})`);
      }
      w[i * n + j] = v;
      w[j * n + i] = v;
    }
  }
  return w;
}

/**
 * Householder reduction of the symmetric matrix (in W, transposed storage)
 * to tridiagonal form: diagonal in d, sub-diagonal in e[1..n-1]; W is
 * replaced by the accumulated orthogonal transformation (transposed).
 */
function tridiagonalize(w: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  // Textbook V[r][c] is W[c * n + r] here.
  for (let j = 0; j < n; j++) d[j] = w[j * n + (n - 1)];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = w[j * n + (i - 1)];
        w[j * n + i] = 0;
        w[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // e = A d (A: the leading i x i block, lower triangle in W's upper part)
      for (let j = 0; j < i; j++) {
        f = d[j];
        const rowJ = j * n;
        w[i * n + j] = f;
        g = e[j] + w[rowJ + j] * f;
        for (let k = j + 1; k < i; k++) {
          const v = w[rowJ + k];
          g += v * d[k];
          e[k] += v * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      // rank-2 update of the leading block
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        const rowJ = j * n;
        for (let k = j; k < i; k++) w[rowJ + k] -= f * e[k] + g * d[k];
        d[j] = w[rowJ + (i - 1)];
        w[rowJ + i] = 0;
      }
    }
    d[i] = h;
  }
  // accumulate the transformations
  for (let i = 0; i < n - 1; i++) {
    w[i * n + (n - 1)] = w[i * n + i];
    w[i * n + i] = 1;
    const h = d[i + 1];
    const rowI1 = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = w[rowI1 + k] / h;
      for (let j = 0; j <= i; j++) {
        const rowJ = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += w[rowI1 + k] * w[rowJ + k];
        for (let k = 0; k <= i; k++) w[rowJ + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) w[rowI1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j * n + (n - 1)];
    w[j * n + (n - 1)] = 0;
  }
  w[(n - 1) * n + (n - 1)] = 1;
  e[0] = 0;
}

/** Implicit QL iterations on the tridiagonal (d, e), rotating W's rows. */
function qlImplicit(w: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m === n) m = n - 1;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) {
          throw new MetalFaissError('NATIVE', `symmetricEigen: the QL iteration did not converge for eigenvalue ${l} of ${n}`);
        }
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          // rotate eigenvector rows i and i + 1
          const ri = i * n;
          const ri1 = ri + n;
          for (let k = 0; k < n; k++) {
            const hk = w[ri1 + k];
            const vk = w[ri + k];
            w[ri1 + k] = s * vk + c * hk;
            w[ri + k] = c * vk - s * hk;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

function finish(w: Float64Array, n: number, d: Float64Array, options: SymmetricEigenOptions): SymmetricEigenResult {
  const descending = (options.order ?? 'descending') === 'descending';
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => (descending ? d[j] - d[i] : d[i] - d[j]) || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  const canonical = options.canonicalSigns !== false;
  for (let r = 0; r < n; r++) {
    const src = order[r];
    values[r] = d[src];
    const row = w.subarray(src * n, (src + 1) * n);
    let sign = 1;
    if (canonical) {
      let best = 0;
      for (let k = 0; k < n; k++) {
        if (Math.abs(row[k]) > Math.abs(best)) best = row[k];
      }
      if (best < 0) sign = -1;
    }
    const dst = r * n;
    for (let k = 0; k < n; k++) vectors[dst + k] = sign * row[k];
  }
  return { values, vectors };
}
