/**
 * The native kernels against the TypeScript reference, on every SIMD level
 * this CPU supports (switched in-process through the addon; the env override
 * METALFAISS_SIMD is covered in child-process.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getNativeBackend, referenceBackend, type MetricCode } from '../src/index';
import { loadAddon } from '../src/loader';
import { expectArrayClose, expectKnnClose, expectKnnEqual, knnArgs, randomFloats, randomInts } from './helpers';

const loaded = loadAddon();
const addon = loaded.addon;
const native = getNativeBackend();
const levels = addon ? addon.info().simdLevels : [];
const best = levels[0];

afterAll(() => {
  if (addon && best) addon.setSimd(best);
});

describe.skipIf(!addon)('native addon', () => {
  it('loads and reports its SIMD level', () => {
    expect(native).not.toBeNull();
    const info = native!.info();
    expect(info.backend).toBe('native');
    expect(['avx512', 'avx2', 'neon', 'scalar']).toContain(info.simd);
    expect(info.simd).toBe(best);
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });
});

// nq values straddle the streaming / GEMM switch (streamMaxQueries) and the panel widths.
const streamMax = addon ? (addon.info() as { streamMaxQueries?: number }).streamMaxQueries ?? 8 : 8;
const shapes: Array<{ nq: number; nb: number; d: number; k: number }> = [
  { nq: 1, nb: 200, d: 1, k: 5 },
  { nq: 3, nb: 37, d: 3, k: 10 },
  { nq: streamMax, nb: 101, d: 17, k: 7 },
  { nq: streamMax + 1, nb: 131, d: 17, k: 7 },
  { nq: 45, nb: 301, d: 100, k: 12 },
  { nq: 33, nb: 257, d: 784, k: 10 },
  { nq: 70, nb: 64, d: 31, k: 1 },
];

for (const level of levels) {
  describe(`native vs reference [simd=${level}]`, () => {
    const use = () => addon!.setSimd(level);

    for (const s of shapes) {
      for (const metric of [1, 0] as MetricCode[]) {
        it(`knn float data nq=${s.nq} nb=${s.nb} d=${s.d} k=${s.k} metric=${metric}`, () => {
          use();
          const seed = s.nq * 1000 + s.d * 7 + metric;
          const xq = randomFloats(s.nq * s.d, seed);
          const xb = randomFloats(s.nb * s.d, seed + 1);
          const got = knnArgs(xq, xb, s.nq, s.nb, s.d, s.k, metric);
          const want = knnArgs(xq, xb, s.nq, s.nb, s.d, s.k, metric);
          native!.knn(got);
          referenceBackend.knn(want);
          expectKnnClose(got, want, { xq, xb, ...s, metric });
        });
      }
    }

    for (const metric of [1, 0] as MetricCode[]) {
      it(`knn exact on integer data with duplicates: ties go to the lower index (metric=${metric})`, () => {
        use();
        const d = 19;
        for (const nq of [1, 5, 40]) {
          const nb = 150;
          const xb = randomInts(nb * d, 11 + nq, 3);
          // duplicate rows: every row 50..99 repeats row (j - 50)
          xb.copyWithin(50 * d, 0, 50 * d);
          const xq = randomInts(nq * d, 12 + nq, 3);
          xq.set(xb.subarray(0, d)); // the first query equals database rows 0 and 50
          const got = knnArgs(xq, xb, nq, nb, d, 20, metric, { labelOffset: 1000 });
          const want = knnArgs(xq, xb, nq, nb, d, 20, metric, { labelOffset: 1000 });
          native!.knn(got);
          referenceBackend.knn(want);
          expectKnnEqual(got, want);
          if (metric === 1) {
            expect(got.labels[0]).toBe(1000n);
            expect(got.labels[1]).toBe(1050n);
            expect(got.distances[0]).toBe(0);
          }
        }
      });
    }

    it('an inner product of exactly 0 is reported as +0 (knn, rangeSearch)', () => {
      use();
      for (const nq of [1, 20]) {
        const d = 2;
        const xq = new Float32Array(nq * d);
        for (let i = 0; i < nq; i++) xq[i * d] = 1; // (1, 0)
        const xb = new Float32Array([0, 1, 0, 2, 0, 3]); // orthogonal to every query
        const got = knnArgs(xq, xb, nq, 3, d, 2, 0);
        const want = knnArgs(xq, xb, nq, 3, d, 2, 0);
        native!.knn(got);
        referenceBackend.knn(want);
        expectKnnEqual(got, want);
        expect(Object.is(got.distances[0], 0)).toBe(true);
        const r = native!.rangeSearch({ xq, xb, nq, nb: 3, d, radius: -1, metric: 0 });
        expect(r.distances.length).toBe(3 * nq);
        expect(Object.is(r.distances[0], 0)).toBe(true);
      }
    });

    it('accepts views with offsets and SharedArrayBuffer-backed arrays', () => {
      use();
      const d = 9;
      const nq = 6;
      const nb = 40;
      const sab = new SharedArrayBuffer(4 * (3 + nq * d));
      const xq = new Float32Array(sab, 12, nq * d);
      xq.set(randomInts(nq * d, 77));
      const big = randomInts((nb + 5) * d, 78);
      const xb = big.subarray(2 * d, (2 + nb) * d);
      const got = knnArgs(xq, xb, nq, nb, d, 5, 1, {
        distances: new Float32Array(new SharedArrayBuffer(4 * nq * 5)),
        labels: new BigInt64Array(new SharedArrayBuffer(8 * nq * 5)),
      });
      const want = knnArgs(xq, xb, nq, nb, d, 5, 1);
      native!.knn(got);
      referenceBackend.knn(want);
      expectKnnEqual(got, want);
    });

    it('knn with nb < k pads with -1 and +/-Infinity', () => {
      use();
      for (const nq of [1, 20]) {
        for (const metric of [1, 0] as MetricCode[]) {
          const d = 5;
          const xq = randomInts(nq * d, 5);
          const xb = randomInts(3 * d, 6);
          const got = knnArgs(xq, xb, nq, 3, d, 6, metric);
          const want = knnArgs(xq, xb, nq, 3, d, 6, metric);
          native!.knn(got);
          referenceBackend.knn(want);
          expectKnnEqual(got, want);
          expect(got.labels[5]).toBe(-1n);
          expect(got.distances[5]).toBe(metric === 1 ? Infinity : -Infinity);
        }
      }
    });

    it('knn with nb = 0 is all padding, nq = 0 is a no-op', () => {
      use();
      const got = knnArgs(new Float32Array(8), new Float32Array(0), 2, 0, 4, 3, 1);
      native!.knn(got);
      expect(Array.from(got.labels)).toEqual([-1n, -1n, -1n, -1n, -1n, -1n]);
      expect(Array.from(got.distances)).toEqual(new Array(6).fill(Infinity));
      native!.knn(knnArgs(new Float32Array(0), new Float32Array(8), 0, 2, 4, 3, 1));
    });

    it('knn with large k (500) on both paths', () => {
      use();
      const d = 24;
      const nb = 700;
      for (const nq of [2, 50]) {
        for (const metric of [1, 0] as MetricCode[]) {
          const xq = randomInts(nq * d, 21 + nq, 6);
          const xb = randomInts(nb * d, 22 + nq, 6);
          const got = knnArgs(xq, xb, nq, nb, d, 500, metric);
          const want = knnArgs(xq, xb, nq, nb, d, 500, metric);
          native!.knn(got);
          referenceBackend.knn(want);
          expectKnnEqual(got, want);
        }
      }
    });

    it('knn uses given xbNorms (L2) with the same results', () => {
      use();
      const nq = 30;
      const nb = 90;
      const d = 40;
      const xq = randomInts(nq * d, 31);
      const xb = randomInts(nb * d, 32);
      const xbNorms = new Float32Array(nb);
      referenceBackend.normsL2Sqr(xb, nb, d, xbNorms);
      const got = knnArgs(xq, xb, nq, nb, d, 8, 1, { xbNorms, labelOffset: 7 });
      const want = knnArgs(xq, xb, nq, nb, d, 8, 1, { labelOffset: 7 });
      native!.knn(got);
      referenceBackend.knn(want);
      expectKnnEqual(got, want);
    });

    it('pairwiseDistances matches on both paths and metrics', () => {
      use();
      for (const [nq, nb, d] of [
        [1, 50, 3],
        [streamMax, 20, 17],
        [37, 45, 100],
        [3, 7, 784],
      ]) {
        for (const metric of [1, 0] as MetricCode[]) {
          const xq = randomFloats(nq * d, nq + d);
          const xb = randomFloats(nb * d, nb + d);
          const got = new Float32Array(nq * nb);
          const want = new Float32Array(nq * nb);
          native!.pairwiseDistances({ xq, xb, nq, nb, d, metric, out: got });
          referenceBackend.pairwiseDistances({ xq, xb, nq, nb, d, metric, out: want });
          // |x|,|y| <= sqrt(d): errors scale with d
          expectArrayClose(got, want, () => 4e-6 * d + 1e-6);
        }
      }
    });

    it('normsL2Sqr matches', () => {
      use();
      for (const [n, d] of [
        [1, 1],
        [100, 17],
        [513, 784],
      ]) {
        const x = randomFloats(n * d, n * d);
        const got = new Float32Array(n);
        const want = new Float32Array(n);
        native!.normsL2Sqr(x, n, d, got);
        referenceBackend.normsL2Sqr(x, n, d, want);
        expectArrayClose(got, want, (i) => 1e-6 * want[i] + 1e-7);
      }
    });

    for (const metric of [1, 0] as MetricCode[]) {
      it(`rangeSearch exact on integer data, strict radius (metric=${metric})`, () => {
        use();
        const d = 12;
        const nb = 333;
        for (const nq of [1, 4, 41]) {
          const xq = randomInts(nq * d, 41 + nq, 4);
          const xb = randomInts(nb * d, 42 + nq, 4);
          // integer distances: a radius equal to a distance that occurs tests strictness
          const radius = metric === 1 ? 30 : 40;
          const args = { xq, xb, nq, nb, d, radius, metric, labelOffset: 5 };
          const got = native!.rangeSearch(args);
          const want = referenceBackend.rangeSearch(args);
          expect(Array.from(got.lims)).toEqual(Array.from(want.lims));
          expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
          expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
          expect(got.labels.length).toBeGreaterThan(0);
          for (let i = 0; i < got.distances.length; i++) {
            if (metric === 1) expect(got.distances[i]).toBeLessThan(radius);
            else expect(got.distances[i]).toBeGreaterThan(radius);
          }
        }
      });
    }

    it('rangeSearch with nothing in range, and an infinite radius', () => {
      use();
      const d = 8;
      const xq = randomFloats(20 * d, 1);
      const xb = randomFloats(30 * d, 2);
      const none = native!.rangeSearch({ xq, xb, nq: 20, nb: 30, d, radius: 0, metric: 1 });
      expect(none.labels.length).toBe(0);
      expect(Array.from(none.lims)).toEqual(new Array(21).fill(0n));
      const all = native!.rangeSearch({ xq, xb, nq: 20, nb: 30, d, radius: Infinity, metric: 1 });
      expect(all.lims[20]).toBe(600n);
      expect(Array.from(all.labels.subarray(0, 30))).toEqual(Array.from({ length: 30 }, (_, j) => BigInt(j)));
    });

    for (const largest of [true, false]) {
      it(`topk ${largest ? 'largest' : 'smallest'} with ties, padding and non-finite values`, () => {
        use();
        for (const [n, m, k] of [
          [1, 1, 1],
          [5, 100, 10],
          [40, 17, 20],
          [3, 1000, 300],
          [2, 0, 3],
        ]) {
          const values = randomInts(n * m, n + m + k, 5);
          if (n * m > 4) {
            values[0] = NaN;
            values[1] = Infinity;
            values[2] = -Infinity;
          }
          const got = { values, n, m, k, largest, outValues: new Float32Array(n * k), outIndices: new BigInt64Array(n * k) };
          const want = { values, n, m, k, largest, outValues: new Float32Array(n * k), outIndices: new BigInt64Array(n * k) };
          native!.topk(got);
          referenceBackend.topk(want);
          expect(Array.from(got.outIndices)).toEqual(Array.from(want.outIndices));
          expect(Array.from(got.outValues)).toEqual(Array.from(want.outValues));
        }
      });
    }
  });
}
