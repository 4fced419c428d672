/**
 * Vector transforms: behaviour, and equality with real FAISS (1.7.3 through
 * /usr/bin/python3) where FAISS is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CenteringTransform,
  ITQTransform,
  LinearTransform,
  MetalFaissError,
  NormalizationTransform,
  PCAMatrix,
  RandomRotationMatrix,
  RemapDimensionsTransform,
  floatRandn,
} from '../src/index';
import { randomVectors } from './helpers';

const faiss = spawnSync('/usr/bin/python3', ['-c', 'import faiss, numpy'], { encoding: 'utf8' }).status === 0;
if (!faiss) console.warn('FAISS comparisons skipped: install python3-faiss (apt-get install -y python3-faiss) to enable them');

/** Runs a FAISS script; inputs become <name>.bin, outputs are read back as Float32Array. */
function py(script: string, inputs: Record<string, Float32Array>, outputs: string[]): Record<string, Float32Array> {
  const dir = mkdtempSync(join(tmpdir(), 'mf-tr-'));
  try {
    for (const [k, v] of Object.entries(inputs)) writeFileSync(join(dir, `${k}.bin`), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    const pre = `import faiss, numpy as np\nD=${JSON.stringify(dir)}\ndef load(n, d): return np.fromfile(D+'/'+n+'.bin', dtype='float32').reshape(-1, d)\ndef save(n, a): np.ascontiguousarray(a, dtype='float32').tofile(D+'/'+n+'.out')\n`;
    const r = spawnSync('/usr/bin/python3', ['-c', pre + script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const out: Record<string, Float32Array> = {};
    for (const o of outputs) {
      const b = readFileSync(join(dir, `${o}.out`));
      out[o] = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Data with a decaying spectrum: x = z · diag(scales) · R, plus an offset. */
function structured(n: number, d: number, seed: number): Float32Array {
  const z = randomVectors(n, d, seed);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) z[i * d + j] = z[i * d + j] * (1 / (1 + j)) + 0.3;
  return z;
}

describe('random numbers and rotations', () => {
  it.skipIf(!faiss)('floatRandn equals faiss.randn bit for bit', () => {
    const ours = [floatRandn(100, 1234), floatRandn(5000, 7)];
    const ref = py("save('a', faiss.randn(100, 1234)); save('b', faiss.randn(5000, 7))", {}, ['a', 'b']);
    expect(ours[0]).toEqual(ref.a);
    expect(ours[1]).toEqual(ref.b);
  });

  it('RandomRotationMatrix is orthonormal, reversible and deterministic', () => {
    const rr = new RandomRotationMatrix(24, 16);
    expect(rr.isTrained).toBe(false);
    expect(() => rr.applySync(new Float32Array(24))).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
    rr.trainSync(new Float32Array(24));
    const x = randomVectors(5, 24, 1);
    const y = rr.applySync(x);
    expect(y.length).toBe(5 * 16);
    const again = new RandomRotationMatrix(24, 16);
    again.init(12345);
    expect(again.A).toEqual(rr.A);
    expect(rr.isOrthonormal).toBe(true);
    // reverse maps back into the row space: applying again gives y
    const back = rr.reverseTransform(y);
    const y2 = rr.applySync(back);
    for (let i = 0; i < y.length; i++) expect(y2[i]).toBeCloseTo(y[i], 5);
    const square = new RandomRotationMatrix(16, 16);
    square.init(3);
    const xs = randomVectors(4, 16, 2);
    const rs = square.reverseTransform(square.applySync(xs));
    for (let i = 0; i < xs.length; i++) expect(rs[i]).toBeCloseTo(xs[i], 5);
  });

  it.skipIf(!faiss)('RandomRotationMatrix equals FAISS for d_out <= d_in and d_out > d_in', () => {
    const cases: Array<[number, number, number]> = [[32, 32, 12345], [40, 16, 5], [12, 20, 9]];
    const script = cases
      .map(([a, b, s], i) => `r = faiss.RandomRotationMatrix(${a}, ${b}); r.init(${s}); save('m${i}', faiss.vector_to_array(r.A))`)
      .join('\n');
    const ref = py(script, {}, cases.map((_, i) => `m${i}`));
    cases.forEach(([a, b, s], i) => {
      const r = new RandomRotationMatrix(a, b);
      r.init(s);
      expect(r.A.length).toBe(ref[`m${i}`].length);
      for (let j = 0; j < r.A.length; j++) expect(Math.abs(r.A[j] - ref[`m${i}`][j])).toBeLessThan(2e-5);
    });
  });
});

describe('PCAMatrix', () => {
  const d = 20;
  const n = 3000;
  const x = structured(n, d, 3);

  it('finds the principal axes: orthonormal, descending eigenvalues, centred output', () => {
    const pca = new PCAMatrix(d, 8);
    pca.trainSync(x);
    expect(pca.isTrained).toBe(true);
    expect(pca.PCAMat.length).toBe(d * d);
    for (let i = 1; i < d; i++) expect(pca.eigenvalues[i]).toBeLessThanOrEqual(pca.eigenvalues[i - 1]);
    const y = pca.applySync(x);
    // output mean ~ 0, output variances = eigenvalues / n, uncorrelated
    for (let j = 0; j < 8; j++) {
      let m = 0;
      let v = 0;
      for (let i = 0; i < n; i++) m += y[i * 8 + j];
      for (let i = 0; i < n; i++) v += (y[i * 8 + j] - m / n) ** 2;
      expect(Math.abs(m / n)).toBeLessThan(1e-4);
      expect(v).toBeCloseTo(pca.eigenvalues[j], 0);
    }
    expect(pca.isOrthonormal).toBe(true);
    const rec = pca.reverseTransform(y.subarray(0, 8));
    expect(rec.length).toBe(d);
  });

  it('whitening, random rotation, balanced bins and n < d_in', async () => {
    const w = new PCAMatrix(d, 6, -0.5);
    await w.train(x);
    const y = w.applySync(x);
    let v = 0;
    for (let i = 0; i < n; i++) v += y[i * 6] ** 2;
    expect(v).toBeCloseTo(1, 3); // whitened: unit total variance per axis (eigenvalues are sums)
    expect(w.isOrthonormal).toBe(false);
    expect(() => w.reverseTransform(y.subarray(0, 6))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    const rr = new PCAMatrix(d, 6, 0, true);
    rr.trainSync(x);
    const plain = new PCAMatrix(d, 6);
    plain.trainSync(x);
    // a rotation of the same subspace: equal norms of outputs
    const a = rr.applySync(x.subarray(0, d));
    const b = plain.applySync(x.subarray(0, d));
    expect(Math.hypot(...a)).toBeCloseTo(Math.hypot(...b), 4);
    const bb = new PCAMatrix(d, 8);
    bb.balancedBins = 2;
    bb.trainSync(x);
    expect(bb.A.length).toBe(8 * d);
    const few = new PCAMatrix(d, 4);
    few.trainSync(x.subarray(0, 10 * d));
    expect(few.PCAMat.length).toBe(10 * d);
    const yf = few.applySync(x.subarray(0, 10 * d));
    expect(yf.length).toBe(40);
  });

  it('rejects bad input and leaves an untrained PCA untrained', () => {
    const pca = new PCAMatrix(d, 8);
    expect(() => pca.trainSync(new Float32Array(7))).toThrow(MetalFaissError);
    expect(() => pca.trainSync(x.subarray(0, 3 * d))).toThrow(/at least dOut = 8/);
    expect(pca.isTrained).toBe(false);
    expect(() => new PCAMatrix(4, 8)).toThrow(/dOut <= dIn/);
    expect(() => pca.applySync(x)).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
  });

  it.skipIf(!faiss)('equals FAISS: eigenvalues, mean and the projection (up to axis signs)', () => {
    const ref = py(
      `x = load('x', ${d}); p = faiss.PCAMatrix(${d}, 8); p.train(x)
save('ev', faiss.vector_to_array(p.eigenvalues)); save('mean', faiss.vector_to_array(p.mean)); save('y', p.apply_py(x[:50]))
w = faiss.PCAMatrix(${d}, 8, -0.5); w.train(x); save('yw', w.apply_py(x[:50]))`,
      { x },
      ['ev', 'mean', 'y', 'yw'],
    );
    const pca = new PCAMatrix(d, 8);
    pca.trainSync(x);
    for (let i = 0; i < d; i++) expect(pca.eigenvalues[i] / ref.ev[0]).toBeCloseTo(ref.ev[i] / ref.ev[0], 4);
    for (let i = 0; i < d; i++) expect(pca.mean[i]).toBeCloseTo(ref.mean[i], 5);
    const w = new PCAMatrix(d, 8, -0.5);
    w.trainSync(x);
    for (const [ours, theirs] of [[pca.applySync(x.subarray(0, 50 * d)), ref.y], [w.applySync(x.subarray(0, 50 * d)), ref.yw]]) {
      for (let j = 0; j < 8; j++) {
        const sign = Math.sign(ours[j]) === Math.sign(theirs[j]) ? 1 : -1;
        for (let i = 0; i < 50; i++) expect(sign * ours[i * 8 + j]).toBeCloseTo(theirs[i * 8 + j], 2);
      }
    }
  });
});

describe('simple transforms', () => {
  it('CenteringTransform, NormalizationTransform, RemapDimensionsTransform', () => {
    const x = structured(100, 6, 4);
    const c = new CenteringTransform(6);
    expect(c.isTrained).toBe(false);
    c.trainSync(x);
    const y = c.applySync(x);
    for (let j = 0; j < 6; j++) {
      let s = 0;
      for (let i = 0; i < 100; i++) s += y[i * 6 + j];
      expect(Math.abs(s)).toBeLessThan(1e-4);
    }
    const back = c.reverseTransform(y);
    for (let i = 0; i < x.length; i++) expect(back[i]).toBeCloseTo(x[i], 5);
    const nt = new NormalizationTransform(6);
    const z = nt.applySync(x);
    expect(Math.hypot(...z.subarray(0, 6))).toBeCloseTo(1, 6);
    expect(nt.reverseTransform(z)).toEqual(z);
    expect(() => new NormalizationTransform(6, 1).applySync(x)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    const r = new RemapDimensionsTransform(3, 5, [2, -1, 0, 1, -1]);
    expect(Array.from(r.applySync([[1, 2, 3]]))).toEqual([3, 0, 1, 2, 0]);
    expect(Array.from(r.reverseTransform(new Float32Array([3, 0, 1, 2, 0])))).toEqual([1, 2, 3]);
    expect(Array.from(new RemapDimensionsTransform(4, 2, true).map)).toEqual([0, 2]);
    expect(() => new RemapDimensionsTransform(3, 2, [3, 0])).toThrow(MetalFaissError);
  });

  it('LinearTransform with explicit A and b', () => {
    const lt = new LinearTransform(3, 2, true);
    expect(() => lt.setMatrix([1, 2, 3], [0, 0])).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    lt.setMatrix([1, 0, 0, 0, 1, 0], [10, 20]);
    expect(Array.from(lt.applySync([[1, 2, 3]]))).toEqual([11, 22]);
    expect(lt.isOrthonormal).toBe(true);
    expect(Array.from(lt.reverseTransform(new Float32Array([11, 22])))).toEqual([1, 2, 0]);
  });

  it('ITQTransform gives balanced, decorrelated binary-friendly outputs', () => {
    const x = structured(2000, 16, 6);
    const t = new ITQTransform(16, 8, true);
    t.itq.maxIter = 10;
    t.trainSync(x);
    const y = t.applySync(x);
    expect(y.length).toBe(2000 * 8);
    expect(t.pcaThenItq.isTrained).toBe(true);
    expect(() => t.trainSync(x)).toThrow(/untrained/);
    expect(() => new ITQTransform(16, 8, false)).toThrow(MetalFaissError);
  });

  it.skipIf(!faiss)('CenteringTransform and ITQTransform (without PCA, whose axis signs are arbitrary) equal FAISS', () => {
    const x = structured(3000, 16, 8);
    const ref = py(
      `x = load('x', 16); c = faiss.CenteringTransform(16); c.train(x); save('c', c.apply_py(x[:20]))
t = faiss.ITQTransform(16, 16, False); t.train(x); save('t', t.apply_py(x[:20])); save('A', faiss.vector_to_array(t.pca_then_itq.A))`,
      { x },
      ['c', 't', 'A'],
    );
    const c = new CenteringTransform(16);
    c.trainSync(x);
    const cy = c.applySync(x.subarray(0, 20 * 16));
    for (let i = 0; i < cy.length; i++) expect(cy[i]).toBeCloseTo(ref.c[i], 5);
    // FAISS's own ITQ update depends on LAPACK's singular-vector signs, so the
    // learnt rotations are compared by their objective: ours is at least as good.
    const loss = (A: Float32Array): number => {
      const xn = new Float32Array(x.length);
      const mean = new Float64Array(16);
      for (let i = 0; i < 3000; i++) for (let j = 0; j < 16; j++) mean[j] += x[i * 16 + j] / 3000;
      let total = 0;
      for (let i = 0; i < 3000; i++) {
        let nr = 0;
        for (let j = 0; j < 16; j++) nr += (x[i * 16 + j] - mean[j]) ** 2;
        nr = Math.sqrt(nr);
        for (let j = 0; j < 16; j++) xn[i * 16 + j] = (x[i * 16 + j] - mean[j]) / nr;
        for (let r = 0; r < 16; r++) {
          let s = 0;
          for (let j = 0; j < 16; j++) s += A[r * 16 + j] * xn[i * 16 + j];
          total += (Math.sign(s) * 0.25 - s) ** 2; // unit vectors: code scale 1/sqrt(16)
        }
      }
      return total;
    };
    const t = new ITQTransform(16, 16, false);
    t.trainSync(x);
    const start = new ITQTransform(16, 16, false);
    start.itq.maxIter = 0;
    start.trainSync(x);
    expect(loss(t.pcaThenItq.A)).toBeLessThan(loss(start.pcaThenItq.A));
    expect(loss(t.pcaThenItq.A)).toBeLessThanOrEqual(loss(ref.A) * 1.001);
  });
});
