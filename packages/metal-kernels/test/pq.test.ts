/**
 * Product-quantizer kernels: codes equal to FAISS's given the same centroids
 * (near-ties apart), decoding and tables equal to FAISS's, and the native
 * kernels (every SIMD level) against the TypeScript reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  MetalFaissError,
  pqCodeSize,
  pqComputeCodes,
  pqNative,
  pqReference,
  pqSearch,
  pqTransposeCentroids,
  type PqKernels,
} from '../src/index';
import { pqIndexAt } from '../src/reference/pq';
import { loadAddon } from '../src/loader';
import { data, f32, faissAvailable, rng, runFaiss, u8 } from './pq-sq-oracle';

const hasFaiss = faissAvailable('product quantizer');
const addon = loadAddon().addon;
const levels: string[] = addon ? addon.info().simdLevels : [];
afterAll(() => {
  if (addon && levels[0]) addon.setSimd(levels[0]);
});

function subDistance(x: Float32Array, xo: number, centroids: Float32Array, m: number, j: number, ksub: number, dsub: number): number {
  let s = 0;
  for (let t = 0; t < dsub; t++) {
    const v = x[xo + m * dsub + t] - centroids[(m * ksub + j) * dsub + t];
    s += v * v;
  }
  return s;
}

/** Codes equal except where the two centroids are (near-)equidistant from the sub-vector. */
function expectCodesClose(got: Uint8Array, want: Uint8Array, x: Float32Array, n: number, d: number, M: number, nbits: number, centroids: Float32Array): number {
  const cs = pqCodeSize(M, nbits);
  const ksub = 2 ** nbits;
  const dsub = d / M;
  let diff = 0;
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < M; m++) {
      const a = pqIndexAt(got, i * cs, m, nbits);
      const b = pqIndexAt(want, i * cs, m, nbits);
      if (a === b) continue;
      diff++;
      const da = subDistance(x, i * d, centroids, m, a, ksub, dsub);
      const db = subDistance(x, i * d, centroids, m, b, ksub, dsub);
      expect(Math.abs(da - db), `vector ${i} sub-quantizer ${m}: ${a} (${da}) vs ${b} (${db})`).toBeLessThanOrEqual(1e-5 * (1 + db));
    }
  }
  return diff;
}

function randomCentroids(d: number, nbits: number, seed: number): Float32Array {
  return data(2 ** nbits, d, seed);
}

describe.skipIf(!hasFaiss)('product quantizer against FAISS 1.7.3', () => {
  const cases = [
    { d: 32, M: 8, nbits: 8, train: true },
    { d: 30, M: 5, nbits: 6, train: true },
    { d: 24, M: 6, nbits: 4, train: true },
    { d: 64, M: 2, nbits: 8, train: true }, // dsub 32: FAISS encodes through BLAS tables
    { d: 16, M: 4, nbits: 12, train: false },
    { d: 12, M: 3, nbits: 16, train: false },
    { d: 10, M: 10, nbits: 3, train: false },
  ];
  for (const c of cases) {
    it(`codes, decode and tables match FAISS (d=${c.d} M=${c.M} nbits=${c.nbits})`, () => {
      const n = c.nbits >= 12 ? 40 : 500; // the reference scans every centroid
      const x = data(n, c.d, 3);
      const xt = data(3000, c.d, 4);
      const cent = randomCentroids(c.d, c.nbits, 5);
      const out = runFaiss(
        `
d, M, nbits, n = ${c.d}, ${c.M}, ${c.nbits}, ${n}
x = load('x', 'float32').reshape(-1, d)
pq = faiss.ProductQuantizer(d, M, nbits)
if ${c.train ? 'True' : 'False'}:
    pq.cp.niter = 5
    pq.train(load('xt', 'float32').reshape(-1, d))
else:
    faiss.copy_array_to_vector(load('cent', 'float32'), pq.centroids)
save('centroids', faiss.vector_to_array(pq.centroids))
codes = pq.compute_codes(x)
save('codes', codes); save('dec', pq.decode(codes))
t = np.empty((n, M * pq.ksub), dtype='float32'); pq.compute_distance_tables(n, faiss.swig_ptr(x), faiss.swig_ptr(t)); save('tl2', t)
t2 = np.empty((n, M * pq.ksub), dtype='float32'); pq.compute_inner_prod_tables(n, faiss.swig_ptr(x), faiss.swig_ptr(t2)); save('tip', t2)
`,
        { x, xt, cent },
        ['centroids', 'codes', 'dec', 'tl2', 'tip'],
      );
      const centroids = f32(out.centroids);
      const want = u8(out.codes);
      const wantDec = f32(out.dec);
      const base = { d: c.d, M: c.M, nbits: c.nbits, centroids };
      const impls: PqKernels[] = [pqReference, ...(pqNative() ? [pqNative()!] : [])];
      for (const impl of impls) {
        for (const centroidsT of [null, pqTransposeCentroids(c.d, c.M, c.nbits, centroids)]) {
          const codes = new Uint8Array(n * pqCodeSize(c.M, c.nbits)).fill(0xff);
          impl.pqComputeCodes({ ...base, centroidsT, x, n, codes });
          const diff = expectCodesClose(codes, want, x, n, c.d, c.M, c.nbits, centroids);
          expect(diff, `${impl.name}: differing sub-codes`).toBeLessThanOrEqual(Math.max(1, n * c.M * 0.002));
        }
        const dec = new Float32Array(n * c.d);
        impl.pqDecode({ ...base, codes: want, n, out: dec });
        expect(Array.from(dec)).toEqual(Array.from(wantDec));
        for (const [metric, name] of [[1, 'tl2'], [0, 'tip']] as const) {
          const tab = new Float32Array(n * c.M * 2 ** c.nbits);
          impl.pqTables({ ...base, x, n, metric, out: tab });
          const w = f32(out[name]);
          for (let i = 0; i < tab.length; i++) {
            if (!(Math.abs(tab[i] - w[i]) <= 1e-4 * (1 + Math.abs(w[i])))) expect.fail(`${impl.name} ${name}[${i}] = ${tab[i]}, FAISS ${w[i]}`);
          }
        }
      }
    });
  }
});

// ---------------------------------------------------------------- native vs reference

function sameTopk(a: { distances: Float32Array; labels: BigInt64Array }, b: typeof a, tol: (v: number) => number): void {
  for (let i = 0; i < a.labels.length; i++) {
    if (b.labels[i] === -1n) {
      expect(a.labels[i]).toBe(-1n);
      continue;
    }
    if (!(Math.abs(a.distances[i] - b.distances[i]) <= tol(b.distances[i]))) expect.fail(`rank ${i}: ${a.distances[i]} vs ${b.distances[i]}`);
  }
}

function sameRange(a: { lims: BigInt64Array; distances: Float32Array; labels: BigInt64Array }, b: typeof a, tol: number): void {
  expect(Array.from(a.lims)).toEqual(Array.from(b.lims));
  for (let q = 0; q + 1 < a.lims.length; q++) {
    const m = new Map<bigint, number>();
    for (let i = Number(b.lims[q]); i < Number(b.lims[q + 1]); i++) m.set(b.labels[i], b.distances[i]);
    for (let i = Number(a.lims[q]); i < Number(a.lims[q + 1]); i++) {
      expect(m.has(a.labels[i])).toBe(true);
      expect(Math.abs(m.get(a.labels[i])! - a.distances[i])).toBeLessThanOrEqual(tol);
    }
  }
}

for (const level of levels) {
  describe(`native product-quantizer kernels vs reference [simd=${level}]`, () => {
    const shapes = [
      { d: 8, M: 4, nbits: 8, nb: 300, nq: 5 },
      { d: 24, M: 6, nbits: 5, nb: 150, nq: 3 },
      { d: 12, M: 3, nbits: 16, nb: 40, nq: 2 },
      { d: 49, M: 7, nbits: 4, nb: 77, nq: 1 },
      { d: 32, M: 16, nbits: 8, nb: 500, nq: 9 },
    ];
    for (const s of shapes) {
      it(`codes, tables, search and rangeSearch d=${s.d} M=${s.M} nbits=${s.nbits}`, () => {
        addon!.setSimd(level);
        const native = pqNative()!;
        const centroids = randomCentroids(s.d, s.nbits, 7);
        const base = { d: s.d, M: s.M, nbits: s.nbits, centroids };
        const x = data(s.nb, s.d, 8);
        const cs = pqCodeSize(s.M, s.nbits);
        const c1 = new Uint8Array(s.nb * cs);
        const c2 = new Uint8Array(s.nb * cs);
        native.pqComputeCodes({ ...base, x, n: s.nb, codes: c1 });
        pqReference.pqComputeCodes({ ...base, x, n: s.nb, codes: c2 });
        expectCodesClose(c1, c2, x, s.nb, s.d, s.M, s.nbits, centroids);
        const xq = data(s.nq, s.d, 9);
        const mask = Uint8Array.from({ length: s.nb }, (_, i) => (i % 7 === 3 ? 0 : 1));
        for (const metric of [1, 0] as const) {
          for (const k of [1, 10, s.nb + 2]) {
            const a = { distances: new Float32Array(s.nq * k), labels: new BigInt64Array(s.nq * k) };
            const b = { distances: new Float32Array(s.nq * k), labels: new BigInt64Array(s.nq * k) };
            const args = { ...base, codes: c1, nb: s.nb, xq, nq: s.nq, k, metric, mask, labelOffset: 3 };
            native.pqSearch({ ...args, ...a });
            pqReference.pqSearch({ ...args, ...b });
            sameTopk(a, b, (v) => 1e-4 * (1 + Math.abs(v)));
            for (const l of a.labels) if (l >= 0n) expect(mask[Number(l) - 3]).toBe(1);
          }
          const one = { distances: new Float32Array(s.nq * 4), labels: new BigInt64Array(s.nq * 4) };
          pqReference.pqSearch({ ...base, codes: c1, nb: s.nb, xq, nq: s.nq, k: 4, metric, ...one });
          const radius = (one.distances[1] + one.distances[2]) / 2;
          const args = { ...base, codes: c1, nb: s.nb, xq, nq: s.nq, radius, metric };
          sameRange(native.pqRangeSearch(args), pqReference.pqRangeSearch(args), 1e-3 * (1 + Math.abs(radius)));
        }
      });
    }

    it('assignment to the nearest of k centroids', () => {
      addon!.setSimd(level);
      const native = pqNative()!;
      for (const [n, d, k] of [[130, 49, 256], [7, 3, 64], [33, 8, 5], [10, 16, 1024]] as const) {
        const x = data(n, d, 40 + d);
        const centroids = data(k, d, 41 + k);
        const a = { labels: new BigInt64Array(n), distances: new Float32Array(n) };
        const b = { labels: new BigInt64Array(n), distances: new Float32Array(n) };
        native.pqAssign({ x, n, d, centroids, k, ...a });
        pqReference.pqAssign({ x, n, d, centroids, k, ...b });
        for (let i = 0; i < n; i++) {
          expect(Math.abs(a.distances[i] - b.distances[i])).toBeLessThanOrEqual(1e-4 * (1 + b.distances[i]));
          if (a.labels[i] !== b.labels[i]) {
            // a near-tie: the native choice is (almost) as close
            let s = 0;
            for (let t = 0; t < d; t++) s += (x[i * d + t] - centroids[Number(a.labels[i]) * d + t]) ** 2;
            expect(Math.abs(s - b.distances[i])).toBeLessThanOrEqual(1e-4 * (1 + b.distances[i]));
          }
        }
      }
    });

    for (const [d, M, nbits] of [[16, 4, 6], [32, 16, 8]] as const) it(`precomputed table and IVF scans, d=${d} M=${M} nbits=${nbits} (every mode, masks, buffers longer than the lists)`, () => {
      addon!.setSimd(level);
      const native = pqNative()!;
      const centroids = randomCentroids(d, nbits, 11);
      const base = { d, M, nbits, centroids, centroidsT: pqTransposeCentroids(d, M, nbits, centroids) };
      const nlist = 5;
      const coarseCentroids = data(nlist, d, 12);
      const tab = M * 2 ** nbits;
      const p1 = new Float32Array(nlist * tab);
      const p2 = new Float32Array(nlist * tab);
      native.pqPrecomputeTable({ ...base, coarse: coarseCentroids, nlist, out: p1 });
      pqReference.pqPrecomputeTable({ ...base, coarse: coarseCentroids, nlist, out: p2 });
      for (let i = 0; i < p1.length; i++) expect(Math.abs(p1[i] - p2[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(p2[i])));
      const sizes = new Int32Array([30, 0, 1, 57, 12]); // 16-code blocks and tails
      const cs = pqCodeSize(M, nbits);
      const r = rng(13);
      const codes: Uint8Array[] = [];
      const ids: BigInt64Array[] = [];
      const masks: Array<Uint8Array | null> = [];
      for (let l = 0; l < nlist; l++) {
        const n = sizes[l] + 3;
        const c = new Uint8Array(n * cs);
        native.pqComputeCodes({ ...base, x: data(n, d, 20 + l), n, codes: c });
        codes.push(c);
        ids.push(BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r() * 1e6))));
        masks.push(l === 3 ? Uint8Array.from({ length: n }, (_, i) => (i % 4 ? 1 : 0)) : null);
      }
      const nq = 6;
      const nprobe = 3;
      const xq = data(nq, d, 30);
      const coarse = BigInt64Array.from({ length: nq * nprobe }, (_, i) => (i % 7 === 6 ? -1n : BigInt((i * 3 + 1) % nlist)));
      const coarseDis = Float32Array.from({ length: nq * nprobe }, () => r() * 5);
      for (const metric of [1, 0] as const) {
        for (const [byResidual, precomputed] of [[true, p1], [true, null], [false, null]] as const) {
          if (metric === 0 && precomputed) continue;
          const common = { ...base, metric, byResidual, precomputed, coarseCentroids, lists: { codes, ids, sizes }, masks, xq, nq, nprobe, coarse, coarseDis };
          const k = 7;
          const a = { distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
          const b = { distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
          native.pqIvfSearch({ ...common, k, ...a });
          pqReference.pqIvfSearch({ ...common, k, ...b });
          sameTopk(a, b, (v) => 1e-3 * (1 + Math.abs(v)));
          const radius = (b.distances[2] + b.distances[3]) / 2;
          sameRange(native.pqIvfRangeSearch({ ...common, radius }), pqReference.pqIvfRangeSearch({ ...common, radius }), 1e-3 * (1 + Math.abs(radius)));
        }
      }
    });
  });
}

describe('product-quantizer kernel validation', () => {
  it('rejects bad arguments with MetalFaissError', () => {
    const centroids = new Float32Array(8 * 256);
    const x = new Float32Array(16);
    expect(() => pqComputeCodes({ d: 8, M: 3, nbits: 8, centroids, x, n: 2, codes: new Uint8Array(6) })).toThrow(/M to divide d/);
    expect(() => pqComputeCodes({ d: 8, M: 4, nbits: 17, centroids, x, n: 2, codes: new Uint8Array(8) })).toThrow(MetalFaissError);
    expect(() => pqComputeCodes({ d: 8, M: 4, nbits: 8, centroids: new Float32Array(10), x, n: 2, codes: new Uint8Array(8) })).toThrow(MetalFaissError);
    expect(() => pqComputeCodes({ d: 8, M: 4, nbits: 8, centroids, x, n: 2, codes: new Uint8Array(7) })).toThrow(MetalFaissError);
    expect(() => pqSearch({ d: 8, M: 4, nbits: 8, centroids, codes: new Uint8Array(8), nb: 2, xq: x, nq: 2, k: 0, metric: 1, distances: new Float32Array(0), labels: new BigInt64Array(0) })).toThrow(MetalFaissError);
  });
});
