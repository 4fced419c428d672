import { describe, expect, it } from 'vitest';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { polarFactor, svd } from '../src/index';

function rand(n: number, seed: number): Float64Array {
  const a = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    a[i] = s / 2147483647 - 0.5;
  }
  return a;
}

function check(a: Float64Array, m: number, n: number): void {
  const { U, S, V, rank } = svd(a, m, n);
  const r = Math.min(m, n);
  expect(rank).toBe(r);
  for (let i = 1; i < r; i++) expect(S[i]).toBeLessThanOrEqual(S[i - 1]);
  let err = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += U[i * r + k] * S[k] * V[j * r + k];
      err = Math.max(err, Math.abs(s - a[i * n + j]));
    }
  }
  expect(err).toBeLessThan(1e-12);
  for (const [M, rows] of [[U, m], [V, n]] as const) {
    for (let p = 0; p < r; p++) {
      for (let q = 0; q <= p; q++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += M[i * r + p] * M[i * r + q];
        expect(Math.abs(dot - (p === q ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
  }
}

describe('svd', () => {
  it('reconstructs wide, tall and square matrices with orthonormal factors', () => {
    check(rand(8 * 30, 1), 8, 30);
    check(rand(30 * 8, 2), 30, 8);
    check(rand(25 * 25, 3), 25, 25);
    check(rand(64 * 200, 4), 64, 200);
  });

  it('handles rank-deficient matrices (zero singular values get orthonormal completions)', () => {
    const m = 6;
    const n = 10;
    const u = rand(m, 5);
    const v = rand(n, 6);
    const a = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] = u[i] * v[j];
    check(a, m, n);
    const { S } = svd(a, m, n);
    for (let i = 1; i < m; i++) expect(S[i]).toBeLessThan(1e-12);
    check(new Float64Array(12), 3, 4);
    // zero columns (OPQ pads its inputs with zeros): rank 12 of 16, native and TypeScript
    const z = rand(16 * 16, 8);
    for (let i = 0; i < 16; i++) for (let j = 12; j < 16; j++) z[i * 16 + j] = 0;
    check(z, 16, 16);
    const zt = svd(z, 16, 16, 'typescript');
    expect(zt.S[12]).toBe(0);
  });

  it('native and TypeScript implementations agree', () => {
    const a = rand(20 * 50, 12);
    const n = svd(a, 20, 50);
    const t = svd(a, 20, 50, 'typescript');
    for (let i = 0; i < 20; i++) expect(n.S[i]).toBeCloseTo(t.S[i], 12);
    // the polar factors are unique (full rank)
    const pn = polarFactor(a, 20, 50);
    const u = t.U;
    const v = t.V;
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 50; j++) {
        let s = 0;
        for (let r = 0; r < 20; r++) s += u[i * 20 + r] * v[j * 20 + r];
        expect(pn[i * 50 + j]).toBeCloseTo(s, 10);
      }
    }
  });

  it('matches known singular values', () => {
    const { S } = svd(new Float64Array([3, 0, 0, 0, -4, 0]), 2, 3);
    expect(Array.from(S)).toEqual([4, 3]);
  });

  it('polarFactor solves orthogonal Procrustes (an orthogonal result, identity for SPD input)', () => {
    const n = 5;
    const b = rand(n * n, 9);
    const spd = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
      spd[i * n + j] = s;
    }
    const p = polarFactor(spd, n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(p[i * n + j]).toBeCloseTo(i === j ? 1 : 0, 10);
    const q = polarFactor(rand(4 * 9, 10), 4, 9);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      let dot = 0;
      for (let k = 0; k < 9; k++) dot += q[i * 9 + k] * q[j * 9 + k];
      expect(dot).toBeCloseTo(i === j ? 1 : 0, 10);
    }
  });

  it('rejects bad input', () => {
    expect(() => svd(new Float64Array(5), 2, 3)).toThrow(MetalFaissError);
    expect(() => svd(new Float64Array([1, Infinity]), 1, 2)).toThrow(/finite/);
  });
});
