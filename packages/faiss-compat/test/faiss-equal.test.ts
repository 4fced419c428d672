/**
 * Results equal to FAISS's: the same searches run by real FAISS and by us.
 * Labels must be equal except where the two candidates are exact ties (their
 * float64 distances are equal); distances agree within float tolerance.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { asF32, asI64, faissAvailable, runFaiss } from './faiss-oracle';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return x;
}

function exact(xq: Float32Array, xb: Float32Array, d: number, q: number, b: number, metric: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const x = xq[q * d + j];
    const y = xb[b * d + j];
    s += metric === 1 ? (x - y) * (x - y) : x * y;
  }
  return s;
}

function compare(
  xq: Float32Array, xb: Float32Array, d: number, k: number, metric: number,
  ours: [Float32Array, BigInt64Array], theirs: [Float32Array, BigInt64Array], tieTolerance = 1e-6,
): number {
  const [D, I] = ours;
  const [FD, FI] = theirs;
  let mismatches = 0;
  for (let i = 0; i < I.length; i++) {
    const q = Math.floor(i / k);
    expect(Math.abs(D[i] - FD[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(FD[i])));
    if (I[i] !== FI[i]) {
      mismatches++;
      const a = exact(xq, xb, d, q, Number(I[i]), metric);
      const b = exact(xq, xb, d, q, Number(FI[i]), metric);
      // a mismatch is only allowed between (near-)exact ties
      expect(Math.abs(a - b)).toBeLessThanOrEqual(tieTolerance * Math.max(1, Math.abs(a)));
    }
  }
  return mismatches;
}

const script = `
xb = load('xb', 'float32').reshape(-1, int(load('shape', 'int32')[0]))
xq = load('xq', 'float32').reshape(-1, xb.shape[1])
k = int(load('shape', 'int32')[1]); metric = int(load('shape', 'int32')[2])
index = faiss.IndexFlat(xb.shape[1], metric)
index.add(xb)
Dv, Iv = index.search(xq, k)
save('D', Dv); save('I', Iv)
`;

describe.skipIf(!faissAvailable())('IndexFlat equals FAISS', () => {
  for (const metric of [faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT]) {
    for (const [nq, label] of [[1, 'one query (FAISS direct path)'], [200, 'a batch (FAISS BLAS path)']] as const) {
      it(`random data, metric ${metric}, ${label}`, () => {
        const d = 100;
        const k = 10;
        const xb = rand(4000 * d, 7);
        const xq = rand(nq * d, 8);
        const out = runFaiss(script, { xb, xq, shape: new Int32Array([d, k, metric]) }, ['D', 'I']);
        const index = new faiss.IndexFlat(d, metric);
        index.add(xb);
        const ours = index.search(xq, k);
        const m = compare(xq, xb, d, k, metric, ours, [asF32(out.D), asI64(out.I)]);
        expect(m).toBe(0);
      });
    }
  }

  const fmnist = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
  it.skipIf(!existsSync(fmnist))('Fashion-MNIST 60000 x 784, 100 queries, k = 10 (labels equal except exact ties)', () => {
    const load = (p: string) => {
      const raw = gunzipSync(readFileSync(p));
      const n = raw.readUInt32BE(4);
      const px = raw.readUInt32BE(8) * raw.readUInt32BE(12);
      return Float32Array.from(raw.subarray(16, 16 + n * px));
    };
    const xb = load(fmnist);
    const xq = load('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz').subarray(0, 100 * 784);
    const d = 784;
    const k = 10;
    const out = runFaiss(script, { xb, xq, shape: new Int32Array([d, k, 1]) }, ['D', 'I']);
    const index = new faiss.IndexFlatL2(d);
    index.add(xb);
    const ours = index.search(xq, k);
    // FAISS's batch path computes |x|^2 + |y|^2 - 2 x.y in float32, whose rounding
    // (about 1e-6 of |x|^2 + |y|^2, i.e. a few units here) can reorder candidates
    // whose exact integer distances differ by less than that: those count as ties.
    const m = compare(xq, xb, d, k, 1, ours, [asF32(out.D), asI64(out.I)], 1e-5);
    expect(m).toBeLessThanOrEqual(5);
  });
});
