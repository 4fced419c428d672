/**
 * Scalar-quantizer kernels: codes byte-identical to FAISS 1.7.3's, decoding
 * bit-identical, search results equal to FAISS's IndexScalarQuantizer given
 * the same trained parameters, and the native kernels (every SIMD level)
 * against the TypeScript reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  MetalFaissError,
  sqCodeSize,
  sqDecode,
  sqEncode,
  sqNative,
  sqReference,
  sqSearch,
  sqTrainedSize,
  type SqKernels,
  type SqQtype,
} from '../src/index';
import { loadAddon } from '../src/loader';
import { data, exactScore, expectSameTopk, f32, faissAvailable, i64, rng, runFaiss, u8 } from './pq-sq-oracle';

const QTYPES: SqQtype[] = [0, 1, 2, 3, 4, 5, 6];
const hasFaiss = faissAvailable('scalar quantizer');
const addon = loadAddon().addon;
const levels: string[] = addon ? addon.info().simdLevels : [];
afterAll(() => {
  if (addon && levels[0]) addon.setSimd(levels[0]);
});

/** Values FAISS's fp16 and 8bit_direct conversions treat specially. */
function specials(d: number): Float32Array {
  const v = [
    1 + 2 ** -11, 1 + 3 * 2 ** -11, -(1 + 2 ** -11), 2049, 65504, 65519, 65520, 1e6, 6e-8, 3e-8, 1e-7, -0.0, 0,
    -1.5, 300, 255.9, 3e9, -3e9, 0.5, 1.5, 2.5, -0.5, 256, 257.5, 1e10, -200, 100, 1, 254.99998, 12.75,
  ];
  const x = new Float32Array(Math.ceil(v.length / d) * d);
  for (let i = 0; i < x.length; i++) x[i] = v[i % v.length];
  return x;
}

function trainedFor(qtype: SqQtype, d: number, seed: number): Float32Array {
  const r = rng(seed);
  const t = new Float32Array(sqTrainedSize(qtype, d));
  const half = t.length / 2;
  for (let i = 0; i < half; i++) {
    t[i] = -3 - r() * 2; // vmin
    t[half + i] = i % 7 === 3 ? 0 : 5 + r() * 4; // vdiff (some 0: FAISS encodes those components as level 0)
  }
  return t;
}

describe.skipIf(!hasFaiss)('scalar quantizer against FAISS 1.7.3', () => {
  for (const d of [37, 32]) {
    it(`codes and decoded vectors are identical to FAISS's for every qtype (d=${d})`, () => {
      const xt = data(400, d, 1);
      const base = data(150, d, 2);
      const sp = specials(d);
      const x = new Float32Array(base.length + sp.length + 40 * d);
      x.set(base);
      x.set(sp, base.length);
      const r = rng(3);
      for (let i = base.length + sp.length; i < x.length; i++) x[i] = r() * 300 - 20; // 8bit_direct range and beyond
      const n = x.length / d;
      const out = runFaiss(
        `
d = ${d}
xt = load('xt', 'float32').reshape(-1, d); x = load('x', 'float32').reshape(-1, d)
for qt in range(7):
    sq = faiss.ScalarQuantizer(d, qt)
    sq.train(xt)
    c = sq.compute_codes(x)
    save('codes%d' % qt, c); save('dec%d' % qt, sq.decode(c)); save('trained%d' % qt, faiss.vector_to_array(sq.trained).astype('float32'))
`,
        { xt, x },
        QTYPES.flatMap((q) => [`codes${q}`, `dec${q}`, `trained${q}`]),
      );
      const impls: SqKernels[] = [sqReference, ...(sqNative() ? [sqNative()!] : [])];
      for (const qtype of QTYPES) {
        const trained = f32(out[`trained${qtype}`]);
        expect(trained.length).toBe(sqTrainedSize(qtype, d));
        const want = u8(out[`codes${qtype}`]);
        expect(want.length).toBe(n * sqCodeSize(qtype, d));
        const wantDec = f32(out[`dec${qtype}`]);
        for (const impl of impls) {
          const codes = new Uint8Array(want.length).fill(0xa5); // stale bytes must be overwritten
          impl.sqEncode({ qtype, d, trained, x, n, codes });
          const bad = codes.findIndex((b, i) => b !== want[i]);
          expect(bad, `${impl.name} qtype ${qtype}: first differing byte ${bad} (row ${Math.floor(bad / sqCodeSize(qtype, d))})`).toBe(-1);
          const dec = new Float32Array(n * d);
          impl.sqDecode({ qtype, d, trained, codes: want, n, out: dec });
          const badDec = dec.findIndex((v, i) => !Object.is(v, wantDec[i]));
          expect(badDec, `${impl.name} qtype ${qtype}: decoded value ${badDec}: ${dec[badDec]} vs ${wantDec[badDec]}`).toBe(-1);
        }
      }
    });
  }

  for (const metric of [1, 0]) {
    it(`search equals FAISS's IndexScalarQuantizer given its trained parameters (metric=${metric})`, () => {
      for (const d of [37, 32]) {
        const nb = 700;
        const nq = 25;
        const k = 8;
        const xt = data(500, d, 11);
        const xb = data(nb, d, 12);
        const xq = data(nq, d, 13);
        for (let i = 0; i < xb.length; i++) xb[i] = Math.abs(xb[i]) * 20; // 8bit_direct-friendly, still fine for the others
        for (let i = 0; i < xq.length; i++) xq[i] = Math.abs(xq[i]) * 20;
        for (let i = 0; i < xt.length; i++) xt[i] = Math.abs(xt[i]) * 20;
        const out = runFaiss(
          `
d = ${d}; k = ${k}
xt = load('xt', 'float32').reshape(-1, d); xb = load('xb', 'float32').reshape(-1, d); xq = load('xq', 'float32').reshape(-1, d)
for qt in range(7):
    index = faiss.IndexScalarQuantizer(d, qt, ${metric})
    index.train(xt); index.add(xb)
    Dv, Iv = index.search(xq, k)
    save('D%d' % qt, Dv); save('I%d' % qt, Iv)
    save('codes%d' % qt, faiss.vector_to_array(index.codes)); save('trained%d' % qt, faiss.vector_to_array(index.sq.trained).astype('float32'))
`,
          { xt, xb, xq },
          QTYPES.flatMap((q) => [`D${q}`, `I${q}`, `codes${q}`, `trained${q}`]),
        );
        for (const qtype of QTYPES) {
          const trained = f32(out[`trained${qtype}`]);
          const codes = u8(out[`codes${qtype}`]);
          const want = { distances: f32(out[`D${qtype}`]), labels: i64(out[`I${qtype}`]) };
          const dec = new Float32Array(nb * d);
          sqDecode({ qtype, d, trained, codes, n: nb, out: dec });
          for (const impl of [sqReference, ...(sqNative() ? [sqNative()!] : [])]) {
            const got = { distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
            impl.sqSearch({ qtype, d, trained, codes, nb, xq, nq, k, metric: metric as 0 | 1, ...got });
            const integer = qtype === 5 && d % 16 === 0;
            expectSameTopk(
              got,
              want,
              nq,
              k,
              (q, l) => {
                if (!integer) return exactScore(metric, xq, q * d, dec, Number(l) * d, d);
                // FAISS's integer path: query truncated to bytes
                const qb = Float32Array.from(xq.subarray(q * d, (q + 1) * d), (v) => Math.trunc(v) & 255);
                return exactScore(metric, qb, 0, dec, Number(l) * d, d);
              },
              () => 2e-5 * d * 4000,
            );
          }
        }
      }
    });
  }
});

// ---------------------------------------------------------------- native vs reference

function sameRange(a: { lims: BigInt64Array; distances: Float32Array; labels: BigInt64Array }, b: typeof a, tol: number): void {
  expect(Array.from(a.lims)).toEqual(Array.from(b.lims));
  for (let q = 0; q + 1 < a.lims.length; q++) {
    const s = Number(a.lims[q]);
    const e = Number(a.lims[q + 1]);
    const m = new Map<bigint, number>();
    for (let i = s; i < e; i++) m.set(b.labels[i], b.distances[i]);
    for (let i = s; i < e; i++) {
      expect(m.has(a.labels[i])).toBe(true);
      expect(Math.abs(m.get(a.labels[i])! - a.distances[i])).toBeLessThanOrEqual(tol);
    }
  }
}

for (const level of levels) {
  describe(`native scalar-quantizer kernels vs reference [simd=${level}]`, () => {
    const shapes = [
      { d: 1, nb: 40, nq: 3 },
      { d: 16, nb: 131, nq: 1 },
      { d: 37, nb: 257, nq: 9 },
      { d: 64, nb: 100, nq: 5 },
      { d: 200, nb: 60, nq: 7 },
    ];
    for (const { d, nb, nq } of shapes) {
      it(`encode, decode, search and rangeSearch, every qtype, d=${d} nb=${nb} nq=${nq}`, () => {
        addon!.setSimd(level);
        const native = sqNative()!;
        expect(native).not.toBeNull();
        const x = data(nb, d, 21 + d);
        for (let i = 0; i < 3 * d && i < x.length; i++) x[i] *= 3; // out of the trained range
        const xq = data(nq, d, 22 + d);
        for (const qtype of QTYPES) {
          const trained = trainedFor(qtype, d, 5 + qtype);
          const cs = sqCodeSize(qtype, d);
          const src = qtype === 5 ? Float32Array.from(x, (v) => Math.abs(v) * 20) : x;
          const c1 = new Uint8Array(nb * cs);
          const c2 = new Uint8Array(nb * cs);
          native.sqEncode({ qtype, d, trained, x: src, n: nb, codes: c1 });
          sqReference.sqEncode({ qtype, d, trained, x: src, n: nb, codes: c2 });
          expect(Array.from(c1)).toEqual(Array.from(c2));
          const d1 = new Float32Array(nb * d);
          const d2 = new Float32Array(nb * d);
          native.sqDecode({ qtype, d, trained, codes: c1, n: nb, out: d1 });
          sqReference.sqDecode({ qtype, d, trained, codes: c1, n: nb, out: d2 });
          expect(Array.from(d1)).toEqual(Array.from(d2));
          const q = qtype === 5 ? Float32Array.from(xq, (v) => Math.abs(v) * 20) : xq;
          const mask = new Uint8Array(nb).map((_, i) => (i % 5 === 2 ? 0 : 1));
          for (const metric of [1, 0] as const) {
            for (const k of [1, 10, nb + 3]) {
              const args = { qtype, d, trained, codes: c1, nb, xq: q, nq, k, metric };
              const a = { distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
              const b = { distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
              native.sqSearch({ ...args, ...a, mask, labelOffset: 7 });
              sqReference.sqSearch({ ...args, ...b, mask, labelOffset: 7 });
              let scale = 0;
              for (let i = 0; i < b.distances.length; i++) if (Number.isFinite(b.distances[i])) scale = Math.max(scale, Math.abs(b.distances[i]));
              const tol = 1e-5 * (scale + d) + 1e-4;
              expectSameTopk(a, b, nq, k, (qi, l) => exactScore(metric, q, qi * d, d2, (Number(l) - 7) * d, d), () => tol * 10);
              for (let i = 0; i < a.labels.length; i++) if (a.labels[i] >= 0n) expect(mask[Number(a.labels[i]) - 7]).toBe(1);
            }
            const probe = { distances: new Float32Array(nq), labels: new BigInt64Array(nq) };
            sqReference.sqSearch({ qtype, d, trained, codes: c1, nb, xq: q, nq, k: 1, metric, ...probe });
            const radius = metric === 1 ? probe.distances[0] * 1.5 + 1 : probe.distances[0] * 0.5;
            const ra = native.sqRangeSearch({ qtype, d, trained, codes: c1, nb, xq: q, nq, radius, metric });
            const rb = sqReference.sqRangeSearch({ qtype, d, trained, codes: c1, nb, xq: q, nq, radius, metric });
            sameRange(ra, rb, 1e-3 * (Math.abs(radius) + d));
          }
        }
      });
    }

    it('IVF scan over lists (by_residual and not, L2 and IP, masks) matches the reference', () => {
      addon!.setSimd(level);
      const native = sqNative()!;
      const d = 24;
      const nlist = 6;
      const r = rng(99);
      const centroids = data(nlist, d, 31);
      const sizes = new Int32Array([5, 0, 17, 40, 1, 9]);
      for (const qtype of QTYPES) {
        const trained = trainedFor(qtype, d, 40 + qtype);
        const cs = sqCodeSize(qtype, d);
        const codes: Uint8Array[] = [];
        const ids: BigInt64Array[] = [];
        const masks: Array<Uint8Array | null> = [];
        let next = 1000n;
        for (let l = 0; l < nlist; l++) {
          const n = sizes[l];
          const x = data(n + 2, d, 50 + l); // 2 spare entries: buffers longer than the list
          const c = new Uint8Array((n + 2) * cs);
          native.sqEncode({ qtype, d, trained, x, n: n + 2, codes: c });
          codes.push(c);
          ids.push(BigInt64Array.from({ length: n + 2 }, () => (next += BigInt(1 + Math.floor(r() * 3)))));
          masks.push(l % 2 ? null : Uint8Array.from({ length: n + 2 }, (_, i) => (i % 3 === 1 ? 0 : 1)));
        }
        const nq = 7;
        const nprobe = 3;
        const xq = data(nq, d, 61);
        const coarse = BigInt64Array.from({ length: nq * nprobe }, (_, i) => (i % 5 === 4 ? -1n : BigInt((i * 7 + 3) % nlist)));
        const coarseDis = Float32Array.from({ length: nq * nprobe }, () => r() * 3);
        for (const metric of [1, 0] as const) {
          for (const byResidual of [true, false]) {
            const base = { qtype, d, trained, metric, byResidual, lists: { codes, ids, sizes }, masks, centroids, xq, nq, nprobe, coarse, coarseDis };
            const k = 6;
            const a = { distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
            const b = { distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
            native.sqIvfSearch({ ...base, k, ...a });
            sqReference.sqIvfSearch({ ...base, k, ...b });
            for (let i = 0; i < a.labels.length; i++) {
              if (b.labels[i] === -1n) expect(a.labels[i]).toBe(-1n);
              else expect(Math.abs(a.distances[i] - b.distances[i])).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(b.distances[i])));
            }
            // between the 3rd and 4th results of query 0: no candidate sits on the boundary
            const radius = (b.distances[2] + b.distances[3]) / 2;
            if (!Number.isFinite(radius)) continue;
            sameRange(
              native.sqIvfRangeSearch({ ...base, radius }),
              sqReference.sqIvfRangeSearch({ ...base, radius }),
              1e-3 * (1 + Math.abs(radius)),
            );
          }
        }
      }
    });
  });
}

describe('scalar-quantizer kernel validation', () => {
  it('rejects bad arguments with MetalFaissError before any work', () => {
    const trained = new Float32Array(8);
    const x = new Float32Array(8);
    const codes = new Uint8Array(8);
    const bad = [
      () => sqEncode({ qtype: 9 as SqQtype, d: 4, trained, x, n: 2, codes }),
      () => sqEncode({ qtype: 0, d: 4, trained: new Float32Array(3), x, n: 2, codes }),
      () => sqEncode({ qtype: 0, d: 4, trained, x: new Float32Array(7), n: 2, codes }),
      () => sqEncode({ qtype: 0, d: 4, trained, x, n: 2, codes: new Uint8Array(7) }),
      () => sqEncode({ qtype: 0, d: 4, trained: Float32Array.of(0, 0, 0, 0, NaN, 1, 1, 1), x, n: 2, codes }),
      () => sqSearch({ qtype: 0, d: 4, trained, codes, nb: 2, xq: x, nq: 2, k: 0, metric: 1, distances: new Float32Array(0), labels: new BigInt64Array(0) }),
      () => sqSearch({ qtype: 0, d: 4, trained, codes, nb: 2, xq: x, nq: 2, k: 1, metric: 3 as 1, distances: new Float32Array(2), labels: new BigInt64Array(2) }),
    ];
    for (const f of bad) expect(f).toThrow(MetalFaissError);
    const before = Array.from(codes);
    expect(() => sqEncode({ qtype: 0, d: 4, trained, x: new Float32Array(7), n: 2, codes })).toThrow(/n \* d/);
    expect(Array.from(codes)).toEqual(before);
  });
});
