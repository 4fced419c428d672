/**
 * Grouped (per-group top-2) and bounded (pruned, Yinyang) k-means
 * assignment: native against the TypeScript reference on integer data (exact
 * distances: bit for bit), the bounded assignment against the full one
 * (kmeansAssign) through Lloyd iterations on every SIMD level (bit for bit),
 * lower bounds checked against exact float64 distances, async twins,
 * validation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  MetalFaissError, getNumThreads, kmeansAssign, kmeansAssignBounded, kmeansAssignBoundedAsync, kmeansAssignGroups,
  kmeansAssignGroupsAsync, kmeansUpdate, setNumThreads,
  type KmeansAssignBoundedArgs, type KmeansAssignGroupsArgs,
} from '../src/index';
import { loadAddon } from '../src/loader';
import { kmeansAssignReference } from '../src/reference/kmeans';
import { kmeansAssignBoundedReference, kmeansAssignGroupsReference } from '../src/reference/kmeans-bounded';
import { randomFloats, randomInts, rng } from './helpers';

const addon = loadAddon().addon;
const threads = getNumThreads();
const levels = addon ? addon.info().simdLevels : ['reference'];
afterAll(() => {
  setNumThreads(threads);
  if (addon && levels[0]) addon.setSimd(levels[0]);
});
function useLevel(level: string): void {
  if (addon && level !== 'reference') addon.setSimd(level);
}

/** t groups of g slots over k centroids in a shuffled order, with some empty slots. */
function shuffledGroups(k: number, g: number, seed: number): { groups: Int32Array; t: number } {
  const r = rng(seed);
  const ids = Array.from({ length: k }, (_, i) => i);
  for (let i = k - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  // fill each group to g - 1 slots where possible so that -1 slots appear in the middle and at the end
  const per = Math.max(1, g - 1);
  const t = Math.ceil(k / per);
  const groups = new Int32Array(t * g).fill(-1);
  for (let q = 0; q < k; q++) {
    const j = Math.floor(q / per);
    const s = q % per;
    groups[j * g + (s === 0 || g === 1 ? s : s + 1 < g ? s + 1 : s)] = ids[q];
  }
  return { groups, t };
}

function groupsArgs(x: Float32Array, n: number, d: number, c: Float32Array, k: number, groups: Int32Array, t: number, g: number, extra: Partial<KmeansAssignGroupsArgs> = {}): KmeansAssignGroupsArgs {
  return { x, n, d, centroids: c, k, groups, t, g, best: new Float32Array(n * t), labels: new BigInt64Array(n * t), second: new Float32Array(n * t), ...extra };
}

describe('kmeansAssignGroups (per-group top-2)', () => {
  const shapes = [
    { n: 1, d: 3, k: 1, g: 1 },
    { n: 37, d: 5, k: 40, g: 7 },
    { n: 300, d: 33, k: 70, g: 32 },
    { n: 700, d: 100, k: 257, g: 40 },
  ];
  for (const level of levels) {
    for (const s of shapes) {
      it(`[simd=${level}] equals the reference on integer data (ties included): n=${s.n} d=${s.d} k=${s.k} g=${s.g}`, () => {
        useLevel(level);
        const x = randomInts(s.n * s.d, s.n + 3, 4);
        const c = randomInts(s.k * s.d, s.k + 4, 4);
        const { groups, t } = shuffledGroups(s.k, s.g, s.k + s.g);
        const mask = Uint8Array.from({ length: s.n * t }, (_, i) => (i % 3 === 1 ? 0 : 1));
        for (const th of [1, 2]) {
          setNumThreads(th);
          for (const m of [null, mask]) {
            const got = groupsArgs(x, s.n, s.d, c, s.k, groups, t, s.g, { mask: m });
            const want = groupsArgs(x, s.n, s.d, c, s.k, groups, t, s.g, { mask: m });
            got.best.fill(-7);
            want.best.fill(-7);
            kmeansAssignGroups(got);
            kmeansAssignGroupsReference(want);
            expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
            expect(Array.from(got.best)).toEqual(Array.from(want.best));
            expect(Array.from(got.second)).toEqual(Array.from(want.second));
          }
        }
      });
    }
  }

  it('one group holding every centroid is the top-2 assignment; masked pairs stay untouched; async', async () => {
    const n = 500, d = 24, k = 90;
    const x = randomFloats(n * d, 5);
    const c = randomFloats(k * d, 6);
    const groups = Int32Array.from({ length: k }, (_, i) => k - 1 - i);
    const a = groupsArgs(x, n, d, c, k, groups, 1, k);
    kmeansAssignGroups(a);
    const full = { x, n, d, centroids: c, k, metric: 1 as const, distances: new Float32Array(n), labels: new BigInt64Array(n) };
    kmeansAssign(full);
    // the nearest is kmeansAssign's (same scores, bit for bit); the second is the next distance
    expect(Array.from(a.labels)).toEqual(Array.from(full.labels));
    expect(Array.from(a.best)).toEqual(Array.from(full.distances));
    const ref = groupsArgs(x, n, d, c, k, groups, 1, k);
    kmeansAssignGroupsReference(ref);
    for (let i = 0; i < n; i++) {
      expect(a.second[i]).toBeGreaterThanOrEqual(a.best[i]);
      expect(Math.abs(a.second[i] - ref.second[i])).toBeLessThanOrEqual(1e-5 * (1 + ref.second[i]));
    }
    const b = groupsArgs(x, n, d, c, k, groups, 1, k);
    await kmeansAssignGroupsAsync(b);
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(Array.from(b.second)).toEqual(Array.from(a.second));
    const m = groupsArgs(x, n, d, c, k, groups, 1, k, { mask: Uint8Array.from({ length: n }, (_, i) => i & 1) });
    m.best.fill(3);
    kmeansAssignGroups(m);
    for (let i = 0; i < n; i++) expect(m.best[i]).toBe(i & 1 ? a.best[i] : 3);
  });
});

// ---------------------------------------------------------------------------

/** Per group, the largest L2 move (not squared) of its centroids, with a little slack. */
function groupDrift(prev: Float32Array, cur: Float32Array, d: number, groups: Int32Array, t: number, g: number): Float64Array {
  const drift = new Float64Array(t);
  for (let j = 0; j < t; j++) {
    for (let s = 0; s < g; s++) {
      const c = groups[j * g + s];
      if (c < 0) continue;
      let q = 0;
      for (let u = 0; u < d; u++) q += (cur[c * d + u] - prev[c * d + u]) ** 2;
      drift[j] = Math.max(drift[j], Math.sqrt(q) * (1 + 1e-9));
    }
  }
  return drift;
}

/** Every lower bound is at most the exact distance to the group's centroids other than the assigned one. */
function expectValidBounds(a: KmeansAssignBoundedArgs): void {
  const { x, n, d, centroids: c, groups, t, g, labels, lower } = a;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < t; j++) {
      let m = Infinity;
      for (let s = 0; s < g; s++) {
        const id = groups[j * g + s];
        if (id < 0 || BigInt(id) === labels[i]) continue;
        let q = 0;
        for (let u = 0; u < d; u++) q += (x[i * d + u] - c[id * d + u]) ** 2;
        m = Math.min(m, Math.sqrt(q));
      }
      if (!(lower[i * t + j] <= m * (1 + 1e-12))) {
        throw new Error(`lower bound ${lower[i * t + j]} of point ${i}, group ${j} exceeds the distance ${m}`);
      }
    }
  }
}

interface LloydRun {
  /** per iteration: labels / distances of the bounded and of the full assignment */
  equalLabels: boolean[];
  equalDistances: boolean[];
  evaluated: number[];
}

/**
 * Lloyd iterations with the bounded assignment (native or reference), each
 * checked against the full assignment (kmeansAssign, or its reference) on
 * the same centroids; the centroids move by the full assignment's means.
 */
function lloyd(x: Float32Array, n: number, d: number, k: number, g: number, iters: number, reference: boolean, checkBounds: boolean): LloydRun {
  const { groups, t } = shuffledGroups(k, g, k * 7 + g);
  let c = x.slice(0, k * d);
  const labels = new BigInt64Array(n);
  const lower = new Float32Array(n * t);
  const distances = new Float32Array(n);
  const out: LloydRun = { equalLabels: [], equalDistances: [], evaluated: [] };
  let prev: Float32Array | null = null;
  for (let it = 0; it < iters; it++) {
    const a: KmeansAssignBoundedArgs = {
      x, n, d, centroids: c, k, groups, t, g, drift: prev ? groupDrift(prev, c, d, groups, t, g) : null, labels, lower, distances,
    };
    const st = reference ? kmeansAssignBoundedReference(a) : kmeansAssignBounded(a);
    const full = { x, n, d, centroids: c, k, metric: 1 as const, distances: new Float32Array(n), labels: new BigInt64Array(n) };
    if (reference) kmeansAssignReference(full);
    else kmeansAssign(full);
    out.equalLabels.push(Array.from(labels).every((l, i) => l === full.labels[i]));
    out.equalDistances.push(Array.from(distances).every((v, i) => Object.is(v, full.distances[i])));
    out.evaluated.push(st.evaluated / (n * t));
    if (checkBounds) expectValidBounds(a);
    prev = c;
    const next = new Float32Array(k * d);
    const counts = new Float32Array(k);
    kmeansUpdate({ x, n, d, k, assign: full.labels, centroids: next, counts });
    for (let j = 0; j < k; j++) if (counts[j] === 0) next.set(c.subarray(j * d, (j + 1) * d), j * d);
    c = next;
  }
  return out;
}

/** Clustered data: points around `centers` random centers. */
function blobs(n: number, d: number, centers: number, seed: number): Float32Array {
  const r = rng(seed);
  const cc = Float32Array.from({ length: centers * d }, () => r() * 10);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const b = Math.floor(r() * centers);
    for (let u = 0; u < d; u++) x[i * d + u] = cc[b * d + u] + (r() + r() - 1);
  }
  return x;
}

describe('kmeansAssignBounded', () => {
  for (const level of levels) {
    it(`[simd=${level}] equals kmeansAssign bit for bit through Lloyd iterations, with valid bounds, pruning most pairs`, () => {
      useLevel(level);
      for (const th of [1, 2]) {
        setNumThreads(th);
        for (const s of [
          { n: 1500, d: 20, k: 60, g: 8, centers: 25 },
          { n: 1200, d: 35, k: 100, g: 32, centers: 40 },
          { n: 400, d: 17, k: 9, g: 16, centers: 5 },
        ]) {
          const x = blobs(s.n, s.d, s.centers, s.n + s.k);
          const run = lloyd(x, s.n, s.d, s.k, s.g, 8, false, th === 1);
          expect(run.equalLabels).toEqual(run.equalLabels.map(() => true));
          expect(run.equalDistances).toEqual(run.equalDistances.map(() => true));
          expect(run.evaluated[0]).toBe(1);
          expect(Math.min(...run.evaluated.slice(1))).toBeLessThan(0.6);
        }
      }
    });
  }

  it('the reference equals the kmeansAssign reference through Lloyd iterations, with valid bounds', () => {
    const x = blobs(500, 12, 10, 77);
    const run = lloyd(x, 500, 12, 30, 8, 6, true, true);
    expect(run.equalLabels.every(Boolean)).toBe(true);
    expect(run.equalDistances.every(Boolean)).toBe(true);
    expect(Math.min(...run.evaluated.slice(1))).toBeLessThan(0.8);
  });

  it('native equals the reference on integer data (exact distances): labels, distances, statistics and bounds', () => {
    const n = 600, d = 16, k = 50, g = 8;
    const x = randomInts(n * d, 8, 6);
    const { groups, t } = shuffledGroups(k, g, 3);
    const r = rng(11);
    let c = randomInts(k * d, 9, 6);
    const state = () => ({ labels: new BigInt64Array(n), lower: new Float32Array(n * t), distances: new Float32Array(n) });
    const nat = state();
    const ref = state();
    let prev: Float32Array | null = null;
    for (let it = 0; it < 5; it++) {
      const drift = prev ? groupDrift(prev, c, d, groups, t, g) : null;
      const sn = kmeansAssignBounded({ x, n, d, centroids: c, k, groups, t, g, drift, ...nat });
      const sr = kmeansAssignBoundedReference({ x, n, d, centroids: c, k, groups, t, g, drift, ...ref });
      expect(Array.from(nat.labels)).toEqual(Array.from(ref.labels));
      expect(Array.from(nat.distances)).toEqual(Array.from(ref.distances));
      expect(sn).toEqual(sr);
      for (let e = 0; e < n * t; e++) {
        if (nat.lower[e] !== ref.lower[e]) expect(Math.abs(nat.lower[e] - ref.lower[e])).toBeLessThanOrEqual(1e-6 * (1 + ref.lower[e]));
      }
      // integer moves keep every distance exact
      prev = c;
      c = c.map((v) => (r() < 0.1 ? v + (r() < 0.5 ? 1 : -1) : v));
    }
  });

  it('async form gives the same result; unmoved centroids prune every point', async () => {
    const n = 800, d = 10, k = 40, g = 8;
    const x = blobs(n, d, 12, 4);
    const { groups, t } = shuffledGroups(k, g, 8);
    const c = x.slice(0, k * d);
    const a = { labels: new BigInt64Array(n), lower: new Float32Array(n * t), distances: new Float32Array(n) };
    const b = { labels: new BigInt64Array(n), lower: new Float32Array(n * t), distances: new Float32Array(n) };
    kmeansAssignBounded({ x, n, d, centroids: c, k, groups, t, g, drift: null, ...a });
    const st = await kmeansAssignBoundedAsync({ x, n, d, centroids: c, k, groups, t, g, drift: null, ...b });
    expect(st).toEqual({ pruned: 0, evaluated: n * t });
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(Array.from(b.lower)).toEqual(Array.from(a.lower));
    const again = kmeansAssignBounded({ x, n, d, centroids: c, k, groups, t, g, drift: new Float64Array(t), ...a });
    expect(again.pruned).toBeGreaterThan(0.9 * n);
    expect(Array.from(a.distances)).toEqual(Array.from(b.distances));
    // an infinite drift searches everything again
    const all = kmeansAssignBounded({ x, n, d, centroids: c, k, groups, t, g, drift: new Float64Array(t).fill(Infinity), ...a });
    expect(all).toEqual({ pruned: 0, evaluated: n * t });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
  });
});

describe('bounded assignment edge cases', () => {
  it('no points, one centroid, one dimension, non-finite scores', () => {
    const z = { labels: new BigInt64Array(0), lower: new Float32Array(0), distances: new Float32Array(0) };
    expect(kmeansAssignBounded({ x: new Float32Array(0), n: 0, d: 3, centroids: new Float32Array(3), k: 1, groups: Int32Array.from([0]), t: 1, g: 1, drift: null, ...z })).toEqual({ pruned: 0, evaluated: 0 });
    // one centroid: no other centroid to bound, nothing is ever searched again
    const n = 50;
    const x = randomFloats(n, 3);
    const one = { labels: new BigInt64Array(n), lower: new Float32Array(n), distances: new Float32Array(n) };
    kmeansAssignBounded({ x, n, d: 1, centroids: Float32Array.from([0.25]), k: 1, groups: Int32Array.from([0, -1]), t: 1, g: 2, drift: null, ...one });
    expect(Array.from(one.lower)).toEqual(new Array(n).fill(Infinity));
    const st = kmeansAssignBounded({ x, n, d: 1, centroids: Float32Array.from([0.5]), k: 1, groups: Int32Array.from([0, -1]), t: 1, g: 2, drift: Float64Array.from([0.25]), ...one });
    expect(st).toEqual({ pruned: n, evaluated: 0 });
    for (let i = 0; i < n; i++) expect(one.distances[i]).toBeCloseTo((x[i] - 0.5) ** 2, 5);
    // d = 1, k = 5, one group per centroid
    const c = Float32Array.from([-0.8, -0.3, 0.1, 0.4, 0.9]);
    const five = { labels: new BigInt64Array(n), lower: new Float32Array(n * 5), distances: new Float32Array(n) };
    const groups = Int32Array.from([4, 3, 2, 1, 0]);
    kmeansAssignBounded({ x, n, d: 1, centroids: c, k: 5, groups, t: 5, g: 1, drift: null, ...five });
    const c2 = c.map((v, j) => v + (j === 2 ? 0.05 : 0));
    kmeansAssignBounded({ x, n, d: 1, centroids: c2, k: 5, groups, t: 5, g: 1, drift: Float64Array.from([0, 0, 0.05 * (1 + 1e-6), 0, 0]), ...five });
    const full = { x, n, d: 1, centroids: c2, k: 5, metric: 1 as const, distances: new Float32Array(n), labels: new BigInt64Array(n) };
    kmeansAssign(full);
    expect(Array.from(five.labels)).toEqual(Array.from(full.labels));
    expect(Array.from(five.distances)).toEqual(Array.from(full.distances));
    // overflowing norms: no pruning, the full search's answer (-1 where nothing compares)
    const big = Float32Array.from([3e38, 1, 2, -3e38]);
    const bb = { labels: new BigInt64Array(4), lower: new Float32Array(4), distances: new Float32Array(4) };
    kmeansAssignBounded({ x: big, n: 4, d: 1, centroids: Float32Array.from([0, 3e38]), k: 2, groups: Int32Array.from([0, 1]), t: 1, g: 2, drift: null, ...bb });
    const bf = { x: big, n: 4, d: 1, centroids: Float32Array.from([0, 3e38]), k: 2, metric: 1 as const, distances: new Float32Array(4), labels: new BigInt64Array(4) };
    kmeansAssign(bf);
    expect(Array.from(bb.labels)).toEqual(Array.from(bf.labels));
    expect(Array.from(bb.distances)).toEqual(Array.from(bf.distances));
  });
});

describe('bounded / grouped assignment validation', () => {
  const n = 6, d = 3, k = 4, t = 2, g = 2;
  const base = (): KmeansAssignBoundedArgs => ({
    x: randomFloats(n * d, 1), n, d, centroids: randomFloats(k * d, 2), k, groups: Int32Array.from([0, 1, 2, 3]), t, g,
    drift: new Float64Array(t), labels: new BigInt64Array(n), lower: new Float32Array(n * t), distances: new Float32Array(n).fill(5),
  });
  const bad = (patch: Partial<KmeansAssignBoundedArgs>, code: string, re: RegExp) => {
    const a = { ...base(), ...patch };
    let err: unknown;
    try {
      kmeansAssignBounded(a);
    } catch (e) {
      err = e;
    }
    expect(MetalFaissError.isInstance(err), String(err)).toBe(true);
    expect((err as MetalFaissError).code).toBe(code);
    expect((err as Error).message).toMatch(re);
    expect(Array.from(a.distances)).toEqual(new Array(n).fill(5));
  };
  it('refuses bad arguments with clear errors and leaves outputs untouched', async () => {
    bad({ groups: Int32Array.from([0, 1, 2, 2]) }, 'INVALID_ARGUMENT', /centroid 2 twice/);
    bad({ groups: Int32Array.from([0, 1, 2, -1]) }, 'INVALID_ARGUMENT', /without centroid 3/);
    bad({ groups: Int32Array.from([0, 1, 2, 4]) }, 'INVALID_ARGUMENT', /\[0, 4\) or -1 in groups, received 4/);
    bad({ groups: new Int32Array(3) }, 'DIMENSION_MISMATCH', /groups/);
    bad({ drift: Float64Array.from([0, Number.NaN]) }, 'INVALID_ARGUMENT', /drift\[1\]/);
    bad({ drift: Float64Array.from([0, -1]) }, 'INVALID_ARGUMENT', /drifts >= 0/);
    bad({ drift: new Float64Array(3) }, 'DIMENSION_MISMATCH', /drift/);
    bad({ labels: BigInt64Array.from([0n, 1n, 4n, 0n, 0n, 0n]) }, 'INVALID_ARGUMENT', /\[0, 4\) in labels .* received 4 at labels\[2\]/);
    bad({ labels: BigInt64Array.from([0n, -1n, 0n, 0n, 0n, 0n]) }, 'INVALID_ARGUMENT', /received -1 at labels\[1\]/);
    bad({ lower: new Float32Array(n) }, 'DIMENSION_MISMATCH', /lower/);
    bad({ x: new Float32Array(5) }, 'DIMENSION_MISMATCH', /n \* d = 6 \* 3/);
    bad({ t: 0 }, 'INVALID_ARGUMENT', /for t/);
    const lower = new Float32Array(n * t);
    expect(() => kmeansAssignBounded({ ...base(), lower, distances: new Float32Array(lower.buffer, 0, n) })).toThrow(/share memory/);
    await expect(kmeansAssignBoundedAsync({ ...base(), k: 0 })).rejects.toThrow(/for k/);
    // the first call ignores the labels it is given
    expect(() => kmeansAssignBounded({ ...base(), drift: null, labels: BigInt64Array.from([9n, 9n, 9n, 9n, 9n, 9n]) })).not.toThrow();
    const ga = groupsArgs(randomFloats(n * d, 1), n, d, randomFloats(k * d, 2), k, Int32Array.from([0, -1, 2, -1]), t, g);
    expect(() => kmeansAssignGroups(ga)).not.toThrow(); // groups may leave centroids out
    expect(() => kmeansAssignGroups({ ...ga, mask: new Uint8Array(3) })).toThrow(/mask/);
    expect(() => kmeansAssignGroups({ ...ga, labels: new BigInt64Array(3) })).toThrow(/labels/);
    expect(() => kmeansAssignGroups({ ...ga, groups: Int32Array.from([0, 0, 1, 2]) })).toThrow(/twice/);
  });

  it.skipIf(!addon)('the addon exposes the kernels', () => {
    const a = addon as unknown as Record<string, unknown>;
    for (const name of ['kmeansAssignGroups', 'kmeansAssignGroupsAsync', 'kmeansAssignBounded', 'kmeansAssignBoundedAsync']) {
      expect(typeof a[name]).toBe('function');
    }
  });
});
