import { describe, expect, it } from 'vitest';
import { MetalFaissError, denseKernels } from '@metalfaiss/metal-kernels';
import { symmetricEigen, symmetricEigenAsync } from '../src/index';

function randomSymmetric(n: number, seed: number): Float64Array {
  const a = new Float64Array(n * n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      s = (s * 16807) % 2147483647;
      a[i * n + j] = a[j * n + i] = s / 2147483647 - 0.5;
    }
  }
  return a;
}

/** max |A v - lambda v| over all pairs, and max |V Vᵀ - I|. */
function residuals(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array): { eig: number; orth: number } {
  let eig = 0;
  let orth = 0;
  for (let r = 0; r < n; r++) {
    const v = vectors.subarray(r * n, (r + 1) * n);
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += a[i * n + k] * v[k];
      eig = Math.max(eig, Math.abs(acc - values[r] * v[i]));
    }
    for (let s = 0; s <= r; s++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += v[k] * vectors[s * n + k];
      orth = Math.max(orth, Math.abs(dot - (r === s ? 1 : 0)));
    }
  }
  return { eig, orth };
}

describe('symmetricEigen', () => {
  it('decomposes a random symmetric matrix (TypeScript and native agree)', () => {
    const n = 60;
    const a = randomSymmetric(n, 7);
    const ts = symmetricEigen(a, n, { implementation: 'typescript' });
    const r = residuals(a, n, ts.values, ts.vectors);
    expect(r.eig).toBeLessThan(1e-12);
    expect(r.orth).toBeLessThan(1e-12);
    for (let i = 1; i < n; i++) expect(ts.values[i]).toBeLessThanOrEqual(ts.values[i - 1]);
    const auto = symmetricEigen(a, n);
    for (let i = 0; i < n; i++) expect(auto.values[i]).toBeCloseTo(ts.values[i], 12);
    // canonical signs make the vectors comparable (distinct eigenvalues)
    for (let i = 0; i < n * n; i++) expect(Math.abs(auto.vectors[i] - ts.vectors[i])).toBeLessThan(1e-9);
  });

  it('handles known spectra, repeated eigenvalues, ascending order and 1x1', () => {
    // diag(3, 1, 2) rotated: eigenvalues 3, 2, 1
    const a = new Float64Array([2, 1, 0, 1, 2, 0, 0, 0, 2]);
    const r = symmetricEigen(a, 3);
    expect(Array.from(r.values).map((v) => +v.toFixed(12))).toEqual([3, 2, 1]);
    const asc = symmetricEigen(a, 3, { order: 'ascending' });
    expect(Array.from(asc.values).map((v) => +v.toFixed(12))).toEqual([1, 2, 3]);
    const id = new Float64Array(16);
    for (let i = 0; i < 4; i++) id[i * 5] = 5;
    const ri = symmetricEigen(id, 4);
    expect(Array.from(ri.values)).toEqual([5, 5, 5, 5]);
    expect(residuals(id, 4, ri.values, ri.vectors).orth).toBeLessThan(1e-14);
    expect(Array.from(symmetricEigen(new Float32Array([4]), 1).values)).toEqual([4]);
    // low-rank PSD (a scatter matrix of 3 points in 10-d): 7 zero eigenvalues
    const n = 10;
    const pts = randomSymmetric(n, 3).subarray(0, 3 * n);
    const g = new Float64Array(n * n);
    for (let p = 0; p < 3; p++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) g[i * n + j] += pts[p * n + i] * pts[p * n + j];
    const rg = symmetricEigen(g, n);
    const res = residuals(g, n, rg.values, rg.vectors);
    expect(res.eig).toBeLessThan(1e-13);
    expect(res.orth).toBeLessThan(1e-13);
    for (let i = 3; i < n; i++) expect(Math.abs(rg.values[i])).toBeLessThan(1e-14);
  });

  it('n = 784 (PCA of Fashion-MNIST size) is accurate', async () => {
    const n = 784;
    const a = randomSymmetric(n, 11);
    const r = await symmetricEigenAsync(a, n);
    // spot-check residuals on a subset of eigenpairs
    for (const idx of [0, 1, 391, 782, 783]) {
      const v = r.vectors.subarray(idx * n, (idx + 1) * n);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += a[i * n + k] * v[k];
        worst = Math.max(worst, Math.abs(acc - r.values[idx] * v[i]));
      }
      expect(worst).toBeLessThan(1e-11);
    }
    let trace = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      trace += a[i * n + i];
      sum += r.values[i];
    }
    expect(sum).toBeCloseTo(trace, 9);
  });

  it('uses the native kernel when the addon is loaded', () => {
    expect(denseKernels() === null).toBe(process.env.METALFAISS_BACKEND === 'reference');
  });

  it('rejects bad input', () => {
    expect(() => symmetricEigen(new Float64Array(3), 2)).toThrow(MetalFaissError);
    expect(() => symmetricEigen(new Float64Array(4), 0)).toThrow(/integer n/);
    expect(() => symmetricEigen(new Float64Array([1, NaN, NaN, 1]), 2)).toThrow(/finite/);
    expect(() => symmetricEigen([1, 2, 3, 4] as never, 2)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
