/**
 * The k-means centroid update: native against the TypeScript reference (the
 * same float64 summation order, so bit for bit), async form, validation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  MetalFaissError, getNumThreads, kmeansAssign, kmeansAssignAsync, kmeansUpdate, kmeansUpdateAsync, knn, setNumThreads,
  type KmeansAssignArgs, type KmeansUpdateArgs,
} from '../src/index';
import { loadAddon } from '../src/loader';
import { kmeansAssignReference, kmeansUpdateReference } from '../src/reference/kmeans';
import { randomFloats, randomInts, rng } from './helpers';

const addon = loadAddon().addon;
const threads = getNumThreads();
afterAll(() => setNumThreads(threads));

function args(n: number, d: number, k: number, seed: number, weighted: boolean, emptyEvery = 0): KmeansUpdateArgs {
  const r = rng(seed);
  const assign = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    let c = Math.floor(r() * k);
    if (emptyEvery > 0 && c % emptyEvery === 0) c = (c + 1) % k; // leave some centroids empty
    assign[i] = BigInt(c);
  }
  return {
    x: randomFloats(n * d, seed + 1),
    n,
    d,
    k,
    assign,
    weights: weighted ? Float32Array.from({ length: n }, () => 0.25 + r()) : undefined,
    centroids: new Float32Array(k * d),
    counts: new Float32Array(k),
  };
}

function fresh(a: KmeansUpdateArgs): KmeansUpdateArgs {
  return { ...a, centroids: new Float32Array(a.k * a.d), counts: new Float32Array(a.k) };
}

describe('kmeansUpdate', () => {
  const shapes = [
    { n: 1, d: 1, k: 1 },
    { n: 100, d: 3, k: 7 },
    { n: 2000, d: 37, k: 50 },
    { n: 5000, d: 128, k: 300 },
  ];
  for (const s of shapes) {
    for (const weighted of [false, true]) {
      it(`native equals the reference bit for bit: n=${s.n} d=${s.d} k=${s.k}${weighted ? ' weighted' : ''}`, () => {
        for (const t of [1, 2]) {
          setNumThreads(t);
          const a = args(s.n, s.d, s.k, s.n + s.k, weighted, 5);
          const want = fresh(a);
          kmeansUpdateReference(want);
          kmeansUpdate(a);
          expect(Array.from(a.counts)).toEqual(Array.from(want.counts));
          expect(Array.from(a.centroids)).toEqual(Array.from(want.centroids));
        }
      });
    }
  }

  it('computes means and counts, zeros for empty centroids', () => {
    const x = Float32Array.from([0, 0, 2, 2, 10, 10, 4, 6]);
    const a: KmeansUpdateArgs = { x, n: 4, d: 2, k: 3, assign: BigInt64Array.from([0n, 0n, 2n, 0n]), centroids: new Float32Array(6).fill(7), counts: new Float32Array(3) };
    kmeansUpdate(a);
    expect(Array.from(a.centroids)).toEqual([2, Math.fround(8 / 3), 0, 0, 10, 10]);
    expect(Array.from(a.counts)).toEqual([3, 0, 1]);
    const w = { ...a, weights: Float32Array.from([1, 3, 1, 0]), centroids: new Float32Array(6), counts: new Float32Array(3) };
    kmeansUpdate(w);
    expect(Array.from(w.centroids)).toEqual([1.5, 1.5, 0, 0, 10, 10]);
    expect(Array.from(w.counts)).toEqual([4, 0, 1]);
  });

  it('async form gives the same result', async () => {
    const a = args(3000, 64, 40, 9, false);
    const b = fresh(a);
    kmeansUpdate(b);
    await kmeansUpdateAsync(a);
    expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
  });

  it.skipIf(!addon)('the addon exposes the kernel', () => {
    expect(typeof (addon as unknown as Record<string, unknown>).kmeansUpdate).toBe('function');
  });
});

describe('kmeansUpdate validation', () => {
  const bad = (patch: Partial<KmeansUpdateArgs>, code: string, re: RegExp) => {
    const a = { ...args(10, 4, 3, 1, false), ...patch };
    const before = Array.from(a.centroids);
    let err: unknown;
    try {
      kmeansUpdate(a);
    } catch (e) {
      err = e;
    }
    expect(MetalFaissError.isInstance(err)).toBe(true);
    expect((err as MetalFaissError).code).toBe(code);
    expect((err as Error).message).toMatch(re);
    expect(Array.from(a.centroids)).toEqual(before);
  };
  it('refuses bad arguments with clear errors and leaves outputs untouched', async () => {
    bad({ assign: BigInt64Array.from([0n, 1n, 2n, 3n, 0n, 0n, 0n, 0n, 0n, 0n]) }, 'INVALID_ARGUMENT', /\[0, 3\).*received 3 at assign\[3\]/);
    bad({ assign: new BigInt64Array(9) }, 'DIMENSION_MISMATCH', /assign/);
    bad({ x: new Float32Array(39) }, 'DIMENSION_MISMATCH', /n \* d = 10 \* 4/);
    bad({ k: 0 }, 'INVALID_ARGUMENT', /for k/);
    bad({ centroids: new Float32Array(11) }, 'DIMENSION_MISMATCH', /centroids/);
    bad({ weights: new Float32Array(3) }, 'DIMENSION_MISMATCH', /weights/);
    bad({ counts: new Float64Array(3) as unknown as Float32Array }, 'INVALID_ARGUMENT', /Float32Array/);
    const a = args(10, 4, 3, 1, false);
    a.centroids = new Float32Array(a.x.buffer, 0, 12);
    expect(() => kmeansUpdate(a)).toThrow(/share memory/);
    await expect(kmeansUpdateAsync({ ...args(10, 4, 3, 1, false), k: -1 })).rejects.toThrow(/for k/);
  });
});

describe('kmeansAssign', () => {
  const levels = addon ? addon.info().simdLevels : ['reference'];
  const best = levels[0];
  afterAll(() => {
    if (addon && best) addon.setSimd(best);
  });
  const assignArgs = (x: Float32Array, n: number, d: number, c: Float32Array, k: number, metric: 0 | 1, extra: Partial<KmeansAssignArgs> = {}): KmeansAssignArgs => ({
    x, n, d, centroids: c, k, metric, distances: new Float32Array(n), labels: new BigInt64Array(n), ...extra,
  });
  const shapes = [
    { n: 1, d: 3, k: 1 },
    { n: 37, d: 5, k: 40 },
    { n: 500, d: 33, k: 70 },
    { n: 1300, d: 100, k: 257 },
  ];
  for (const level of levels) {
    for (const s of shapes) {
      for (const metric of [1, 0] as const) {
        it(`[simd=${level}] equals the reference on integer data (ties included): n=${s.n} d=${s.d} k=${s.k} metric=${metric}`, () => {
          if (addon && level !== 'reference') addon.setSimd(level);
          const x = randomInts(s.n * s.d, s.n + 1, 4);
          const c = randomInts(s.k * s.d, s.k + 2, 4);
          for (const t of [1, 2]) {
            setNumThreads(t);
            const got = assignArgs(x, s.n, s.d, c, s.k, metric);
            const want = assignArgs(x, s.n, s.d, c, s.k, metric);
            kmeansAssign(got);
            kmeansAssignReference(want);
            expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
            expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
          }
        });
      }
    }
  }

  it('agrees with knn (k = 1) on float data; ids and point norms are honoured; async', async () => {
    const n = 2000, d = 64, k = 300;
    const x = randomFloats(n * d, 31);
    const c = randomFloats(k * d, 32);
    for (const metric of [1, 0] as const) {
      const a = assignArgs(x, n, d, c, k, metric);
      kmeansAssign(a);
      const kd = new Float32Array(n);
      const kl = new BigInt64Array(n);
      knn({ xq: x, xb: c, nq: n, nb: k, d, k: 1, metric, distances: kd, labels: kl });
      let differ = 0;
      for (let i = 0; i < n; i++) {
        expect(Math.abs(a.distances[i] - kd[i])).toBeLessThanOrEqual(2e-5 * (Math.abs(kd[i]) + d));
        if (a.labels[i] !== kl[i]) differ++;
      }
      expect(differ).toBeLessThanOrEqual(2); // near ties only
      const b = assignArgs(x, n, d, c, k, metric);
      await kmeansAssignAsync(b);
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    }
    const ids = BigInt64Array.from({ length: k }, (_, i) => BigInt(i * 3 + 5));
    const norms = new Float32Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) norms[i] += x[i * d + j] ** 2;
    const plain = assignArgs(x, n, d, c, k, 1);
    kmeansAssign(plain);
    const withIds = assignArgs(x, n, d, c, k, 1, { ids, xNorms: norms });
    kmeansAssign(withIds);
    expect(Array.from(withIds.labels)).toEqual(Array.from(plain.labels, (l) => l * 3n + 5n));
    for (let i = 0; i < n; i++) expect(Math.abs(withIds.distances[i] - plain.distances[i])).toBeLessThanOrEqual(1e-3);
  });

  it('validates its arguments', () => {
    const x = new Float32Array(12);
    const c = new Float32Array(8);
    expect(() => kmeansAssign(assignArgs(x, 3, 4, c, 2, 1, { ids: new BigInt64Array(3) }))).toThrow(/ids/);
    expect(() => kmeansAssign(assignArgs(x, 3, 4, c, 0, 1))).toThrow(/for k/);
    expect(() => kmeansAssign(assignArgs(x, 3, 4, new Float32Array(7), 2, 1))).toThrow(/centroids/);
    expect(() => kmeansAssign({ ...assignArgs(x, 3, 4, c, 2, 1), distances: new Float32Array(2) })).toThrow(/distances/);
    expect(() => kmeansAssign(assignArgs(x, 3, 4, c, 2, 2 as never))).toThrow(/metric/);
  });
});
