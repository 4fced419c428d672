/**
 * HNSW kernels: with one thread the native insertion builds exactly the
 * reference's graph (both follow FAISS 1.7.3 step for step) and searches
 * return the same results, on every SIMD level and storage kind; with two
 * threads the graph still finds the true neighbours; arguments are checked.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  HNSW_STORAGE_BINARY,
  HNSW_STORAGE_FLAT,
  HNSW_STORAGE_PQ,
  HNSW_STORAGE_SQ,
  MetalFaissError,
  getNativeBackend,
  getNumThreads,
  hnswAdd,
  hnswAddAsync,
  hnswRangeSearch,
  hnswSearch,
  hnswSearchAsync,
  knn,
  referenceGraphKernels,
  setNumThreads,
  type HnswGraphArrays,
  type HnswStorageArrays,
} from '../src/index';
import { loadAddon } from '../src/loader';
import { randomInts, rng } from './helpers';

const native = getNativeBackend();
const addon = loadAddon().addon as unknown as { setSimd(l: string): string; info(): { simdLevels: string[] } } | null;
const levels = addon ? addon.info().simdLevels : [];
const threads0 = getNumThreads();
afterAll(() => {
  if (addon) addon.setSimd(levels[0]);
  setNumThreads(threads0);
});

/** An empty graph with room for n nodes at random levels (M neighbours, 2M at level 0), and FAISS's insertion order. */
function prepareGraph(n: number, M: number, seed: number, withEdges = false): { graph: HnswGraphArrays; order: Int32Array } {
  const r = rng(seed);
  const cum = new Int32Array(7);
  for (let l = 1; l < cum.length; l++) cum[l] = cum[l - 1] + (l === 1 ? 2 * M : M);
  const lv = new Int32Array(n);
  const offsets = new BigInt64Array(n + 1);
  for (let i = 0; i < n; i++) {
    let level = 0;
    while (level < 5 && r() < 1 / M) level++;
    lv[i] = level + 1;
    offsets[i + 1] = offsets[i] + BigInt(cum[level + 1]);
  }
  const neighbors = new Int32Array(Number(offsets[n])).fill(-1);
  const order = Int32Array.from(Array.from({ length: n }, (_, i) => i).sort((a, b) => lv[b] - lv[a] || a - b));
  const graph: HnswGraphArrays = { levels: lv, offsets, neighbors, cum, ntotal: n, entryPoint: -1, maxLevel: -1 };
  if (withEdges) graph.edgeDistances = new Float32Array(neighbors.length).fill(NaN);
  return { graph, order };
}

function cloneGraph(g: HnswGraphArrays): HnswGraphArrays {
  return { ...g, neighbors: g.neighbors.slice(), edgeDistances: g.edgeDistances?.slice() };
}

function storageFor(kind: number, n: number, d: number, seed: number): { storage: HnswStorageArrays; x: Float32Array | Uint8Array; q: Float32Array | Uint8Array } {
  const r = rng(seed);
  if (kind === HNSW_STORAGE_BINARY) {
    const codes = new Uint8Array((n * d) / 8).map(() => Math.floor(r() * 256));
    const q = new Uint8Array((20 * d) / 8).map(() => Math.floor(r() * 256));
    return { storage: { kind: HNSW_STORAGE_BINARY, metric: 1, d, codes }, x: codes, q };
  }
  const x = randomInts(n * d, seed, 8);
  const q = randomInts(20 * d, seed + 1, 8);
  if (kind === HNSW_STORAGE_FLAT) return { storage: { kind: HNSW_STORAGE_FLAT, metric: 1, d, xb: x }, x, q };
  if (kind === HNSW_STORAGE_PQ) {
    const m = 4;
    const pqCentroids = randomInts(m * 256 * (d / m), seed + 2, 8);
    const codes = new Uint8Array(n * m).map(() => Math.floor(r() * 256));
    return { storage: { kind: HNSW_STORAGE_PQ, metric: 1, d, pqM: m, pqCentroids, codes }, x, q };
  }
  // SQ 8-bit direct: codes are the (integer) vectors themselves, so every sum is exact
  const codes = Uint8Array.from(x);
  return { storage: { kind: HNSW_STORAGE_SQ, metric: 1, d, sqType: 5, codes }, x, q };
}

const kinds: Array<[string, number]> = [
  ['flat', HNSW_STORAGE_FLAT],
  ['binary', HNSW_STORAGE_BINARY],
  ['pq', HNSW_STORAGE_PQ],
  ['sq', HNSW_STORAGE_SQ],
];

describe.skipIf(!native)('hnsw kernels: native (1 thread) = reference', () => {
  for (const level of levels) {
    for (const [name, kind] of kinds) {
      it(`builds the same graph and finds the same neighbours (simd=${level}, ${name})`, () => {
        addon!.setSimd(level);
        setNumThreads(1);
        const n = 700;
        const d = kind === HNSW_STORAGE_BINARY ? 64 : 24;
        const M = 6;
        const { storage, x, q } = storageFor(kind, n, d, 40 + kind);
        const { graph, order } = prepareGraph(n, M, 7, kind === HNSW_STORAGE_FLAT);
        const g1 = cloneGraph(graph);
        const g2 = cloneGraph(graph);
        const r1 = hnswAdd({ graph: g1, storage, x, n0: 0, order, efConstruction: 20 });
        const r2 = referenceGraphKernels.hnswAdd({ graph: g2, storage, x, n0: 0, order, efConstruction: 20 });
        expect(r1).toEqual(r2);
        expect(g1.neighbors).toEqual(g2.neighbors);
        if (g1.edgeDistances) expect(g1.edgeDistances).toEqual(g2.edgeDistances);
        const built = { ...g1, entryPoint: r1.entryPoint, maxLevel: r1.maxLevel };
        for (const [bounded, check, ef] of [[true, true, 16], [true, false, 8], [false, true, 12]] as const) {
          const k = 7;
          const nq = 20;
          const a = { distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
          const b = { distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
          const filter = new Uint8Array(n).map((_, i) => (i % 3 === 0 ? 0 : 1));
          hnswSearch({ graph: built, storage, xq: q, nq, k, efSearch: ef, boundedQueue: bounded, checkRelativeDistance: check, filter, ...a });
          referenceGraphKernels.hnswSearch({ graph: built, storage, xq: q, nq, k, efSearch: ef, boundedQueue: bounded, checkRelativeDistance: check, filter, ...b });
          expect(a.labels).toEqual(b.labels);
          expect(a.distances).toEqual(b.distances);
          for (const l of a.labels) if (l >= 0n) expect(Number(l) % 3).not.toBe(0);
        }
        const radius = kind === HNSW_STORAGE_BINARY ? 28 : 120;
        const rr1 = hnswRangeSearch({ graph: built, storage, xq: q, nq: 20, efSearch: 16, radius });
        const rr2 = referenceGraphKernels.hnswRangeSearch({ graph: built, storage, xq: q, nq: 20, efSearch: 16, radius });
        expect(rr1.lims).toEqual(rr2.lims);
        expect(rr1.labels).toEqual(rr2.labels);
        expect(rr1.distances).toEqual(rr2.distances);
      });
    }
  }

  for (const [name, make] of [
    ['uint8', (x: Float32Array) => Uint8Array.from(x)],
    ['int8', (x: Float32Array) => Int8Array.from(x)],
  ] as const) {
    it(`a compact ${name} copy (float and exact integer paths) gives the same graphs and results (every level, both metrics)`, () => {
      setNumThreads(1);
      const n = 600;
      const d = 37; // tails on every level
      const r = rng(5);
      const x = new Float32Array(n * d).map(() => Math.floor(r() * 40) - (name === 'int8' ? 20 : 0));
      const q = new Float32Array(10 * d).map(() => r() * 40 - 20);
      const qi = new Float32Array(10 * d).map(() => Math.floor(r() * 40) - (name === 'int8' ? 20 : 0));
      const norms = new Int32Array(n);
      const sums = new Int32Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
        norms[i] += x[i * d + j] ** 2;
        sums[i] += x[i * d + j];
      }
      for (const level of levels) {
        addon!.setSimd(level);
        for (const [metric, exact] of [[1, false], [0, false], [1, true], [0, true]] as const) {
          const plain: HnswStorageArrays = { kind: HNSW_STORAGE_FLAT, metric, d, xb: x };
          // exact: the integer path (integer queries against the byte copy), whose sums are exact here
          const compact: HnswStorageArrays = exact ? { ...plain, compact: make(x), compactNorms: norms, compactSums: sums } : { ...plain, compact: make(x) };
          const { graph, order } = prepareGraph(n, 6, 12, true);
          const g1 = cloneGraph(graph);
          const g2 = cloneGraph(graph);
          const r1 = hnswAdd({ graph: g1, storage: plain, x, n0: 0, order, efConstruction: 24 });
          const r2 = hnswAdd({ graph: g2, storage: compact, x, n0: 0, order, efConstruction: 24 });
          expect(r2).toEqual(r1);
          expect(g2.neighbors).toEqual(g1.neighbors);
          expect(g2.edgeDistances).toEqual(g1.edgeDistances);
          const out = (s: HnswStorageArrays, xq: Float32Array) => {
            const D = new Float32Array(10 * 5);
            const L = new BigInt64Array(10 * 5);
            hnswSearch({ graph: { ...g1, ...r1 }, storage: s, xq, nq: 10, k: 5, efSearch: 20, distances: D, labels: L });
            return { D, L };
          };
          expect(out(compact, q)).toEqual(out(plain, q));
          expect(out(compact, qi)).toEqual(out(plain, qi));
        }
      }
    });
  }

  it('the integer path gives the exact distances where float sums round (uint8 data, d = 784)', () => {
    setNumThreads(1);
    const d = 784;
    const n = 300;
    const r = rng(8);
    const x = new Float32Array(n * d).map(() => Math.floor(r() * 256));
    const norms = new Int32Array(n);
    const sums = new Int32Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
      norms[i] += x[i * d + j] ** 2;
      sums[i] += x[i * d + j];
    }
    const storage: HnswStorageArrays = { kind: HNSW_STORAGE_FLAT, metric: 1, d, xb: x, compact: Uint8Array.from(x), compactNorms: norms, compactSums: sums };
    const { graph, order } = prepareGraph(n, 8, 3, true);
    const res = hnswAdd({ graph, storage, x, n0: 0, order, efConstruction: 40 });
    const q = x.subarray(0, 5 * d);
    for (const level of levels) {
      addon!.setSimd(level);
      const D = new Float32Array(5 * 10);
      const L = new BigInt64Array(5 * 10);
      hnswSearch({ graph: { ...graph, ...res }, storage, xq: q, nq: 5, k: 10, efSearch: 64, distances: D, labels: L });
      for (let t = 0; t < 50; t++) {
        const i = Math.floor(t / 10);
        const j = Number(L[t]);
        let s = 0;
        for (let c = 0; c < d; c++) s += (q[i * d + c] - x[j * d + c]) ** 2;
        expect(D[t]).toBe(Math.fround(s));
      }
    }
  });

  it('inner-product flat storage: same graph, similarities back positive', () => {
    addon!.setSimd(levels[0]);
    setNumThreads(1);
    const n = 500;
    const d = 16;
    const x = randomInts(n * d, 3, 5);
    const storage: HnswStorageArrays = { kind: HNSW_STORAGE_FLAT, metric: 0, d, xb: x };
    const { graph, order } = prepareGraph(n, 5, 9, true);
    const g1 = cloneGraph(graph);
    const g2 = cloneGraph(graph);
    const r1 = hnswAdd({ graph: g1, storage, x, n0: 0, order, efConstruction: 16 });
    referenceGraphKernels.hnswAdd({ graph: g2, storage, x, n0: 0, order, efConstruction: 16 });
    expect(g1.neighbors).toEqual(g2.neighbors);
    const k = 5;
    const D = new Float32Array(10 * k);
    const L = new BigInt64Array(10 * k);
    hnswSearch({ graph: { ...g1, ...r1 }, storage, xq: x.subarray(0, 10 * d), nq: 10, k, efSearch: 32, distances: D, labels: L });
    for (let i = 0; i < 10; i++) for (let j = 1; j < k; j++) expect(D[i * k + j - 1]).toBeGreaterThanOrEqual(D[i * k + j]);
    expect(D[0]).toBeGreaterThan(0);
  });
});

describe.skipIf(!native)('hnsw kernels: multi-threaded build', () => {
  it('two threads build a graph whose search has high recall (async add and search)', async () => {
    addon!.setSimd(levels[0]);
    setNumThreads(2);
    const n = 6000;
    const d = 32;
    const r = rng(99);
    const x = new Float32Array(n * d).map(() => r() * 2 - 1);
    const storage: HnswStorageArrays = { kind: HNSW_STORAGE_FLAT, metric: 1, d, xb: x };
    const { graph, order } = prepareGraph(n, 16, 3, true);
    const res = await hnswAddAsync({ graph, storage, x, n0: 0, order, efConstruction: 40 });
    const built = { ...graph, ...res };
    const nq = 200;
    const k = 10;
    const xq = new Float32Array(nq * d).map(() => r() * 2 - 1);
    const D = new Float32Array(nq * k);
    const L = new BigInt64Array(nq * k);
    await hnswSearchAsync({ graph: built, storage, xq, nq, k, efSearch: 64, distances: D, labels: L });
    const gtD = new Float32Array(nq * k);
    const gtL = new BigInt64Array(nq * k);
    knn({ xq, xb: x, nq, nb: n, d, k, metric: 1, distances: gtD, labels: gtL });
    let hit = 0;
    for (let i = 0; i < nq; i++) {
      const s = new Set(Array.from(gtL.subarray(i * k, (i + 1) * k)));
      for (let j = 0; j < k; j++) if (s.has(L[i * k + j])) hit++;
    }
    expect(hit / (nq * k)).toBeGreaterThan(0.95);
    // every list is well formed: valid ids, no self links, -1 only at the tail
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < built.levels[i]; l++) {
        const o = Number(built.offsets[i]);
        let ended = false;
        for (let j = o + built.cum[l]; j < o + built.cum[l + 1]; j++) {
          const v = built.neighbors[j];
          if (v === -1) {
            ended = true;
            continue;
          }
          expect(ended).toBe(false);
          expect(v).not.toBe(i);
          expect(v >= 0 && v < n).toBe(true);
          expect(built.levels[v]).toBeGreaterThan(l);
        }
      }
    }
  });
});

describe('hnsw kernels: validation', () => {
  const { graph, order } = prepareGraph(10, 4, 1);
  const x = new Float32Array(10 * 4);
  const storage: HnswStorageArrays = { kind: HNSW_STORAGE_FLAT, metric: 1, d: 4, xb: x };
  it('rejects inconsistent graphs, storages and orders before touching the arrays', () => {
    const before = graph.neighbors.slice();
    const bad = [
      () => hnswAdd({ graph: { ...graph, cum: new Int32Array([1, 8]) }, storage, x, n0: 0, order, efConstruction: 10 }),
      () => hnswAdd({ graph: { ...graph, cum: new Int32Array([0, 4000]) }, storage, x, n0: 0, order, efConstruction: 10 }),
      () => hnswAdd({ graph: { ...graph, neighbors: new Int32Array(3) }, storage, x, n0: 0, order, efConstruction: 10 }),
      () => hnswAdd({ graph, storage: { ...storage, xb: new Float32Array(7) }, x, n0: 0, order, efConstruction: 10 }),
      () => hnswAdd({ graph, storage, x, n0: 0, order: Int32Array.from([...order].reverse()), efConstruction: 10 }),
      () => hnswAdd({ graph, storage, x, n0: 0, order: new Int32Array([11]), efConstruction: 10 }),
      () => hnswAdd({ graph, storage, x, n0: 0, order, efConstruction: 0 }),
      () => hnswAdd({ graph, storage: { ...storage, kind: HNSW_STORAGE_BINARY, d: 12, codes: new Uint8Array(20) }, x: new Uint8Array(20), n0: 0, order, efConstruction: 10 }),
      () => hnswAdd({ graph, storage: { kind: HNSW_STORAGE_PQ, metric: 0, d: 4, pqM: 2, pqCentroids: new Float32Array(1024), codes: new Uint8Array(20) }, x, n0: 0, order, efConstruction: 10 }),
      () => hnswSearch({ graph, storage, xq: new Float32Array(4), nq: 1, k: 0, efSearch: 16, distances: new Float32Array(0), labels: new BigInt64Array(0) }),
      () => hnswSearch({ graph, storage, xq: new Float32Array(4), nq: 1, k: 2, efSearch: 0, distances: new Float32Array(2), labels: new BigInt64Array(2) }),
      () => hnswSearch({ graph: { ...graph, entryPoint: 12 }, storage, xq: new Float32Array(4), nq: 1, k: 2, efSearch: 4, distances: new Float32Array(2), labels: new BigInt64Array(2) }),
    ];
    for (const f of bad) expect(f).toThrow(MetalFaissError);
    expect(graph.neighbors).toEqual(before);
  });

  it('the reference backend validates the same way', () => {
    expect(() => referenceGraphKernels.hnswAdd({ graph, storage, x, n0: 0, order, efConstruction: 0 })).toThrow(MetalFaissError);
  });
});
