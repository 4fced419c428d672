import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { columnMeans, gemmAB, gemmABt, gemmAtB, matrixQR, scatterMatrix, transpose } from '../src/index';

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    a[i] = s / 2147483647 - 0.5;
  }
  return a;
}

const numpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('matrixQR', () => {
  it('orthonormalises the vectors, spanning the same nested subspaces', () => {
    const m = 12;
    const n = 5;
    const a = rand(m * n, 3);
    const orig = Float64Array.from(a);
    matrixQR(m, n, a);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let k = 0; k < m; k++) dot += a[i * m + k] * a[j * m + k];
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 6);
      }
      // q_i is orthogonal to original vectors j > i ... equivalently a_j (j <= i) lies in span(q_0..q_i)
      for (let j = 0; j <= i; j++) {
        const v = orig.subarray(j * m, (j + 1) * m);
        const resid = Float64Array.from(v);
        for (let r = 0; r <= i; r++) {
          let dot = 0;
          for (let k = 0; k < m; k++) dot += v[k] * a[r * m + k];
          for (let k = 0; k < m; k++) resid[k] -= dot * a[r * m + k];
        }
        for (let k = 0; k < m; k++) expect(Math.abs(resid[k])).toBeLessThan(1e-5);
      }
    }
  });

  it.skipIf(!numpy)('equals LAPACK (numpy.linalg.qr, Householder) including signs', () => {
    const m = 9;
    const n = 4;
    const a = rand(m * n, 17);
    const arr = JSON.stringify(Array.from(a));
    const py = `import numpy as np, json\na=np.array(json.loads('${arr}'),dtype=np.float64).reshape(${n},${m}).T\nq,r=np.linalg.qr(a)\nprint(json.dumps(q.T.ravel().tolist()))`;
    const out = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' });
    const ref = JSON.parse(out.stdout) as number[];
    const ours = Float64Array.from(a);
    matrixQR(m, n, ours);
    for (let i = 0; i < ref.length; i++) expect(ours[i]).toBeCloseTo(ref[i], 10);
  });

  it('rejects n > m', () => {
    expect(() => matrixQR(2, 3, new Float32Array(6))).toThrow(MetalFaissError);
  });
});

describe('gemm and scatter matrices', () => {
  it('gemmABt / gemmAB / gemmAtB equal the naive products', () => {
    const m = 7;
    const k = 33;
    const n = 5;
    const a = rand(m * k, 1);
    const b = rand(n * k, 2);
    const c = gemmABt(a, m, k, b, n);
    const bt = transpose(b, n, k);
    const c2 = gemmAB(a, m, k, bt, n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t];
      expect(c[i * n + j]).toBeCloseTo(s, 5);
      expect(c2[i * n + j]).toBeCloseTo(s, 5);
    }
    // Aᵀ B over r = 1000 rows, blocked in 128-row blocks
    const r = 1000;
    const x = rand(r * m, 3);
    const y = rand(r * n, 4);
    const g = gemmAtB(x, r, m, y, n, { blockRows: 128 });
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < r; t++) s += x[t * m + i] * y[t * n + j];
      expect(g[i * n + j]).toBeCloseTo(s, 4);
    }
  });

  it('scatterMatrix equals the centred sum of outer products', () => {
    const n = 500;
    const d = 9;
    const x = rand(n * d, 5);
    for (let i = 0; i < x.length; i++) x[i] += 3; // an offset the centring must remove
    const mean = columnMeans(x, n, d);
    const s = scatterMatrix(x, n, d, mean);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      let acc = 0;
      for (let t = 0; t < n; t++) acc += (x[t * d + i] - mean[i]) * (x[t * d + j] - mean[j]);
      expect(s[i * d + j]).toBeCloseTo(acc, 3);
      expect(s[i * d + j]).toBe(s[j * d + i]);
    }
  });

  it('rejects mismatched shapes', () => {
    expect(() => gemmABt(new Float32Array(6), 2, 3, new Float32Array(5), 2)).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    expect(() => scatterMatrix(new Float32Array(6), 2, 3, [1, 2])).toThrow(MetalFaissError);
  });
});
