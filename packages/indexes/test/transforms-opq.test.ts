/** OPQMatrix: the alternation lowers the PQ error; FAISS comparison of the objective. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetalFaissError, OPQMatrix } from '../src/index';
import { pqEncodeDecode, pqKmeans, pqKmeansStepReference } from '../src/transforms/pq-kmeans';
import { denseKernels } from '@metalfaiss/metal-kernels';
import { randomVectors } from './helpers';

const faiss = spawnSync('/usr/bin/python3', ['-c', 'import faiss, numpy'], { encoding: 'utf8' }).status === 0;

/** Correlated data: PQ on the raw axes is poor, a rotation helps. */
function correlated(n: number, d: number, seed: number): Float32Array {
  const z = randomVectors(n, d, seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let t = 0; t <= j; t++) s += z[i * d + t] / (1 + t);
      x[i * d + j] = s;
    }
  }
  return x;
}

/** Mean squared error of a fresh 8-bit PQ (25 k-means iterations, as FAISS's default) on y. */
function freshPqError(y: Float32Array, n: number, d: number, M: number): number {
  const c = pqKmeans(y, n, M, 256, d / M, { niter: 25 });
  const { recons } = pqEncodeDecode(y, n, M, 256, d / M, c);
  let e = 0;
  for (let i = 0; i < y.length; i++) e += (y[i] - recons[i]) ** 2;
  return e / n;
}

describe('multi-sub-space k-means (OPQ\'s PQ training)', () => {
  it('native step equals the TypeScript reference; k-means lowers the error; a user PQ receives the centroids', async () => {
    const n = 700;
    const x = randomVectors(n, 12, 3);
    const c = x.slice(0, 3 * 8 * 4); // M = 3, ksub = 8, dsub = 4
    const a1 = new Int32Array(n * 3);
    const s1 = new Float64Array(3 * 8 * 4);
    const c1 = new Float64Array(3 * 8);
    const o1 = pqKmeansStepReference(x, { n, M: 3, ksub: 8, dsub: 4 }, c, a1, s1, c1);
    const native = denseKernels()?.pqKmeansStep;
    if (native) {
      const a2 = new Int32Array(n * 3);
      const s2 = new Float64Array(3 * 8 * 4);
      const c2 = new Float64Array(3 * 8);
      const o2 = native(x, n, 3, 8, 4, c, a2, s2, c2);
      expect(a2).toEqual(a1);
      expect(c2).toEqual(c1);
      for (let i = 0; i < s1.length; i++) expect(s2[i]).toBeCloseTo(s1[i], 9);
      expect(o2).toBeCloseTo(o1, 3);
    }
    const e1 = freshPqError(x, n, 12, 3);
    const cInit = pqKmeans(x, n, 3, 256, 4, { niter: 0 });
    const { recons } = pqEncodeDecode(x, n, 3, 256, 4, cInit);
    let e0 = 0;
    for (let i = 0; i < x.length; i++) e0 += (x[i] - recons[i]) ** 2;
    expect(e1).toBeLessThan(e0 / n);
    const got: Float32Array[] = [];
    const opq = new OPQMatrix(16, 4);
    opq.niter = 2;
    opq.niterPq0 = 3;
    opq.pq = { d: 16, M: 4, nbits: 6, setCentroids: (cc) => got.push(cc) };
    await opq.train(randomVectors(2000, 16, 4));
    expect(got[0].length).toBe(4 * 64 * 4);
    expect(opq.pqCentroids).toBe(got[0]);
  });
});

describe('OPQMatrix', () => {
  const d = 16;
  const x = correlated(3000, d, 1);

  it('lowers the PQ reconstruction error over its iterations; rows stay orthonormal', async () => {
    const errs: number[] = [];
    const opq = new OPQMatrix(d, 4);
    opq.niter = 6;
    opq.niterPq0 = 10;
    opq.onProgress = (p) => errs.push(p.pqError);
    await opq.train(x);
    expect(opq.isTrained).toBe(true);
    expect(opq.isOrthonormal).toBe(true);
    expect(errs.length).toBe(6);
    expect(errs[5]).toBeLessThan(errs[0]);
    const g = opq.A;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += g[i * d + k] * g[j * d + k];
      expect(s).toBeCloseTo(i === j ? 1 : 0, 4);
    }
    // reversible (orthonormal)
    const y = opq.applySync(x.subarray(0, d));
    const back = opq.reverseTransform(y);
    for (let i = 0; i < d; i++) expect(back[i]).toBeCloseTo(x[i], 4);
  });

  it('reduces dimension (OPQ4_8) and pads (dOut > dIn); sync training equals async', async () => {
    const a = new OPQMatrix(d, 4, 8);
    a.niter = 3;
    a.niterPq0 = 5;
    await a.train(x);
    expect(a.A.length).toBe(8 * d);
    const b = new OPQMatrix(d, 4, 8);
    b.niter = 3;
    b.niterPq0 = 5;
    b.trainSync(x);
    for (let i = 0; i < a.A.length; i++) expect(b.A[i]).toBeCloseTo(a.A[i], 4);
    const up = new OPQMatrix(12, 4, 16);
    up.niter = 2;
    up.niterPq0 = 3;
    await up.train(x.subarray(0, 12 * 1000).map((v) => v));
    expect(up.A.length).toBe(16 * 12);
  });

  it('rejects bad parameters and keeps an untrained matrix untrained', async () => {
    expect(() => new OPQMatrix(d, 5)).toThrow(MetalFaissError);
    const o = new OPQMatrix(d, 4);
    await expect(o.train(x.subarray(0, 100 * d))).rejects.toThrow(/at least ksub = 256/);
    expect(o.isTrained).toBe(false);
    o.pq = { d: 8, M: 4, nbits: 8, setCentroids: () => {} };
    await expect(o.train(x)).rejects.toThrow(/ProductQuantizer of d = 16/);
    expect(o.isTrained).toBe(false);
  });

  it.skipIf(!faiss)('reaches FAISS\'s objective on the same data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mf-opq-'));
    try {
      writeFileSync(join(dir, 'x.bin'), Buffer.from(x.buffer));
      const r = spawnSync('/usr/bin/python3', ['-c', `
import faiss, numpy as np
faiss.omp_set_num_threads(1)  # FAISS's OpenMP threads spin on a busy 2-core machine
x = np.fromfile('${dir}/x.bin', dtype='float32').reshape(-1, ${d})
o = faiss.OPQMatrix(${d}, 4); o.niter = 8; o.train(x)
y = o.apply_py(x); pq = faiss.ProductQuantizer(${d}, 4, 8); pq.train(y)
r = pq.decode(pq.compute_codes(y))
print(((y - r) ** 2).sum() / len(x))
`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const theirs = Number(r.stdout.trim());
      const opq = new OPQMatrix(d, 4);
      opq.niter = 8;
      await opq.train(x);
      // the same final measurement: a fresh PQ on the rotated data
      const ours = freshPqError(opq.applySync(x), 3000, d, 4);
      expect(ours).toBeLessThan(theirs * 1.03);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
