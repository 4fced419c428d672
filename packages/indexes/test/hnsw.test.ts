/**
 * IndexHNSWFlat: FAISS's level machinery, recall against exact search, the
 * same graph as FAISS 1.7.3 with one thread, FAISS's graphs searched here
 * give FAISS's results, parameters, bad input, and the async contract
 * (progress, abort, searches during an add).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '@metalfaiss/metal-kernels';
import {
  HnswGraph,
  IDSelectorRange,
  IndexHNSWFlat,
  MetalFaissError,
  Mt19937,
  RandomGenerator,
  defaultProbas,
  insertionOrder,
  randomLevel,
} from '../src/index';
import { FAISS_SKIP, PY_HEAD, clustered, exactKnn, hasFaiss, normalized, recallAt, rng, runFaiss } from './hnsw-helpers';

if (!hasFaiss) console.warn(FAISS_SKIP);

const threads0 = getNumThreads();
beforeAll(() => setNumThreads(2));
afterAll(() => setNumThreads(threads0));

describe('FAISS level machinery', () => {
  it('Mt19937 is std::mt19937', () => {
    const mt = new Mt19937(5489);
    expect([mt.next(), mt.next(), mt.next()]).toEqual([3499211612, 581869302, 3890346734]);
    const m2 = new Mt19937(5489);
    for (let i = 0; i < 9999; i++) m2.next();
    expect(m2.next()).toBe(4123659995); // the C++ standard's check value
  });

  it('level probabilities and cumulative slots follow set_default_probas(M, 1/log M)', () => {
    const t = defaultProbas(32);
    expect(Array.from(t.cum)).toEqual([0, 64, 96, 128, 160, 192, 224]);
    expect(t.assignProbas[0]).toBe(0.96875);
    expect(t.assignProbas[1]).toBeCloseTo(0.030273444950580597, 15);
    expect(Array.from(defaultProbas(16).cum)).toEqual([0, 32, 48, 64, 80, 96, 112, 128, 144]);
  });

  it.skipIf(!hasFaiss)('assign_probas equal FAISS for M = 2..100, and levels / insertion order match FAISS', () => {
    const r = runFaiss(
      PY_HEAD +
        `
ps = []
for M in range(2, 101):
    idx = faiss.IndexHNSWFlat(4, M)
    p = faiss.vector_to_array(idx.hnsw.assign_probas)
    ps.append(np.concatenate([[len(p)], p]))
out('probas.f64', np.concatenate(ps).astype(np.float64))
idx = faiss.IndexHNSWFlat(4, 5)
idx.add(np.zeros((3000, 4), dtype=np.float32))
out('levels.i32', faiss.vector_to_array(idx.hnsw.levels).astype(np.int32))
`,
      {},
    );
    const all = r.f64('probas.f64');
    let o = 0;
    for (let M = 2; M <= 100; M++) {
      const n = all[o++];
      const want = all.subarray(o, o + n);
      o += n;
      expect(Array.from(defaultProbas(M).assignProbas), `M = ${M}`).toEqual(Array.from(want));
    }
    const t = defaultProbas(5);
    const g = new RandomGenerator(12345);
    const levels = new Int32Array(3000).map(() => randomLevel(g, t.assignProbas) + 1);
    expect(levels).toEqual(r.i32('levels.i32'));
    const order = insertionOrder(levels, 0, 3000);
    expect(new Set(order).size).toBe(3000);
    for (let i = 1; i < 3000; i++) expect(levels[order[i]]).toBeLessThanOrEqual(levels[order[i - 1]]);
  });
});

describe('IndexHNSWFlat: recall against exact search', () => {
  for (const [name, metric] of [
    ['L2', 'l2'],
    ['inner product', 'ip'],
  ] as const) {
    it(`${name}: recall@10 >= 0.95 at efSearch 64, and grows with efSearch`, async () => {
      const d = 32;
      const n = 20000;
      const xb = metric === 'l2' ? clustered(n, d, 1) : normalized(clustered(n, d, 1), d);
      const xq = metric === 'l2' ? clustered(300, d, 2) : normalized(clustered(300, d, 2), d);
      const index = new IndexHNSWFlat(d, 16, metric);
      await index.add(xb);
      expect(index.ntotal).toBe(n);
      const gt = exactKnn(xq, xb, d, 10, metric === 'l2' ? 1 : 0);
      const r16 = recallAt(index.searchSync(xq, 10, { efSearch: 16 }).labels, gt, 300, 10);
      const r64 = recallAt((await index.search(xq, 10, { efSearch: 64 })).labels, gt, 300, 10);
      expect(r64).toBeGreaterThanOrEqual(0.95);
      expect(r64).toBeGreaterThanOrEqual(r16);
      const res = index.searchSync(xq.subarray(0, 5 * d), 10);
      for (let i = 0; i < 5; i++) {
        for (let j = 1; j < 10; j++) {
          if (metric === 'l2') expect(res.distances[i * 10 + j]).toBeGreaterThanOrEqual(res.distances[i * 10 + j - 1]);
          else expect(res.distances[i * 10 + j]).toBeLessThanOrEqual(res.distances[i * 10 + j - 1]);
        }
      }
    });
  }
});

const FAISS_BUILD = `
faiss.omp_set_num_threads(int(sys.argv[2]))
d, M, efc, metric = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
x = f32('x.f32', d); q = f32('q.f32', d)
idx = faiss.IndexHNSWFlat(d, M, metric)
idx.hnsw.efConstruction = efc
n1 = len(x) // 3
idx.add(x[:n1]); idx.add(x[n1:])
h = idx.hnsw
out('levels.i32', faiss.vector_to_array(h.levels).astype(np.int32))
out('offsets.i64', faiss.vector_to_array(h.offsets).astype(np.int64))
out('neighbors.i32', faiss.vector_to_array(h.neighbors).astype(np.int32))
out('probas.f64', faiss.vector_to_array(h.assign_probas).astype(np.float64))
out('cum.i32', faiss.vector_to_array(h.cum_nneighbor_per_level).astype(np.int32))
out('ep.i32', np.array([h.entry_point, h.max_level], dtype=np.int32))
for ef in (16, 40):
    h.efSearch = ef
    Dd, I = idx.search(q, 10)
    out('D%d.f32' % ef, Dd.astype(np.float32)); out('I%d.i64' % ef, I.astype(np.int64))
`;

function faissBuild(x: Float32Array, q: Float32Array, d: number, M: number, efc: number, metric: 0 | 1, threads: number) {
  return runFaiss(PY_HEAD + FAISS_BUILD, { 'x.f32': x, 'q.f32': q }, [String(threads), String(d), String(M), String(efc), String(metric)]);
}

describe.skipIf(!hasFaiss)('IndexHNSWFlat against FAISS 1.7.3', () => {
  for (const metric of [1, 0] as const) {
    it(`one thread, two adds: the same levels, neighbour lists, entry point and results as FAISS (metric ${metric})`, () => {
      // small integers: every float sum is exact, so distances are identical bit for bit
      const d = 16;
      const r = rng(7 + metric);
      const x = new Float32Array(3000 * d).map(() => Math.floor(r() * 8));
      const q = new Float32Array(50 * d).map(() => Math.floor(r() * 8));
      const f = faissBuild(x, q, d, 8, 40, metric, 1);
      setNumThreads(1);
      try {
        const index = new IndexHNSWFlat(d, 8, metric === 1 ? 'l2' : 'ip');
        index.hnsw.efConstruction = 40;
        index.addSync(x.subarray(0, 1000 * d));
        index.addSync(x.subarray(1000 * d));
        const p = index.hnsw.toParts();
        expect(p.levels).toEqual(f.i32('levels.i32'));
        expect(new BigInt64Array(p.offsets.buffer)).toEqual(f.i64('offsets.i64'));
        expect(p.neighbors).toEqual(f.i32('neighbors.i32'));
        expect([p.entryPoint, p.maxLevel]).toEqual(Array.from(f.i32('ep.i32')));
        expect(p.assignProbas).toEqual(f.f64('probas.f64'));
        expect(p.cumNneighborPerLevel).toEqual(f.i32('cum.i32'));
        for (const ef of [16, 40]) {
          const res = index.searchSync(q, 10, { efSearch: ef });
          expect(res.labels).toEqual(f.i64(`I${ef}.i64`));
          expect(res.distances).toEqual(f.f32(`D${ef}.f32`));
        }
      } finally {
        setNumThreads(2);
      }
    });
  }

  it("a graph FAISS built with two threads, loaded from its parts, gives FAISS's search results", () => {
    const d = 24;
    const x = clustered(8000, d, 11);
    const q = clustered(200, d, 12);
    const f = faissBuild(x, q, d, 16, 40, 1, 2);
    const levels = f.i32('levels.i32');
    const index = IndexHNSWFlat.fromParts({
      d,
      metricType: 1,
      vectors: x,
      hnsw: {
        assignProbas: f.f64('probas.f64'),
        cumNneighborPerLevel: f.i32('cum.i32'),
        levels,
        offsets: f.i64('offsets.i64'),
        neighbors: f.i32('neighbors.i32'),
        entryPoint: f.i32('ep.i32')[0],
        maxLevel: f.i32('ep.i32')[1],
        efConstruction: 40,
        efSearch: 16,
      },
    });
    for (const ef of [16, 40]) {
      const res = index.searchSync(q, 10, { efSearch: ef });
      const fI = f.i64(`I${ef}.i64`);
      const fD = f.f32(`D${ef}.f32`);
      let same = 0;
      for (let i = 0; i < fI.length; i++) {
        if (res.labels[i] === fI[i]) same++;
        expect(Math.abs(res.distances[i] - fD[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(fD[i])));
      }
      // float sums differ in the last bits (SIMD order): a near-tie may swap, nothing more
      expect(same / fI.length).toBeGreaterThanOrEqual(0.995);
    }
  });
});

describe('IndexHNSWFlat: parameters and results', () => {
  const d = 16;
  const xb = clustered(3000, d, 21);
  const xq = clustered(40, d, 22);
  const index = new IndexHNSWFlat(d, 12);
  index.addSync(xb);

  it('efSearch below k is raised to k: k results come back', () => {
    const r = index.searchSync(xq, 50, { efSearch: 4 });
    for (const l of r.labels) expect(l).toBeGreaterThanOrEqual(0n);
    expect(index.hnsw.efSearch).toBe(16);
    index.hnsw.efSearch = 80;
    const gt = exactKnn(xq, xb, d, 10, 1);
    expect(recallAt(index.searchSync(xq, 10).labels, gt, 40, 10)).toBeGreaterThan(0.97);
    index.hnsw.efSearch = 16;
  });

  it('k larger than ntotal pads with -1 / +Infinity; an empty index returns only padding', () => {
    const small = new IndexHNSWFlat(4, 4);
    small.addSync(new Float32Array([0, 0, 0, 0, 1, 1, 1, 1]));
    const r = small.searchSync(new Float32Array([0, 0, 0, 0.1]), 4);
    expect(Array.from(r.labels)).toEqual([0n, 1n, -1n, -1n]);
    expect(r.distances[2]).toBe(Infinity);
    const empty = new IndexHNSWFlat(4, 4);
    expect(Array.from(empty.searchSync(new Float32Array(4), 2).labels)).toEqual([-1n, -1n]);
  });

  it('a selector restricts results; unbounded queue and no relative-distance check still find neighbours', () => {
    const sel = new IDSelectorRange(1000, 2000);
    const r = index.searchSync(xq, 5, { selector: sel, efSearch: 200 });
    for (const l of r.labels) if (l >= 0n) expect(l >= 1000n && l < 2000n).toBe(true);
    const gt = exactKnn(xq, xb, d, 5, 1);
    expect(recallAt(index.searchSync(xq, 5, { searchBoundedQueue: false, efSearch: 64 }).labels, gt, 40, 5)).toBeGreaterThan(0.9);
    expect(recallAt(index.searchSync(xq, 5, { checkRelativeDistance: false, efSearch: 64 }).labels, gt, 40, 5)).toBeGreaterThan(0.9);
  });

  it('rangeSearch returns true neighbours within the radius, with exact distances', async () => {
    // a radius around the 10th neighbour's distance
    const probe = new IndexHNSWFlat(d, 12);
    probe.addSync(xb);
    const tenth = probe.searchSync(xq, 10, { efSearch: 200 }).distances.filter((_, i) => i % 10 === 9).sort();
    const radius = tenth[20];
    const r = await index.rangeSearch(xq, radius, { efSearch: 128 });
    let found = 0;
    let truth = 0;
    for (let i = 0; i < 40; i++) {
      const got = new Set<bigint>();
      for (let t = Number(r.lims[i]); t < Number(r.lims[i + 1]); t++) {
        const j = Number(r.labels[t]);
        let s = 0;
        for (let c = 0; c < d; c++) s += (xq[i * d + c] - xb[j * d + c]) ** 2;
        expect(Math.abs(s - r.distances[t])).toBeLessThan(1e-3 * Math.max(1, s));
        expect(r.distances[t]).toBeLessThan(radius);
        got.add(r.labels[t]);
      }
      for (let j = 0; j < 3000; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += (xq[i * d + c] - xb[j * d + c]) ** 2;
        if (s < radius) {
          truth++;
          if (got.has(BigInt(j))) found++;
        }
      }
    }
    expect(truth).toBeGreaterThan(0);
    expect(found / truth).toBeGreaterThan(0.8);
  });

  it('reconstruct, toParts / fromParts round trip, memoryBytes', () => {
    expect(index.reconstruct(7)).toEqual(xb.subarray(7 * d, 8 * d));
    const copy = IndexHNSWFlat.fromParts(index.toParts());
    expect(copy.searchSync(xq, 10)).toEqual(index.searchSync(xq, 10));
    expect(index.memoryBytes()).toBeGreaterThan(xb.byteLength);
  });
});

describe('IndexHNSWFlat: bad input leaves the index unchanged', () => {
  it('rejects M < 2, bad d, bad efSearch / k / dimensions; removeIds is UNSUPPORTED', () => {
    expect(() => new IndexHNSWFlat(8, 1)).toThrow(MetalFaissError);
    expect(() => new IndexHNSWFlat(8, 1000)).toThrow(/\[2, 512\]/);
    expect(() => new IndexHNSWFlat(0, 8)).toThrow(MetalFaissError);
    const index = new IndexHNSWFlat(8, 4);
    index.addSync(clustered(200, 8, 3));
    const before = index.searchSync(clustered(5, 8, 4), 3);
    const bad: Array<() => unknown> = [
      () => index.addSync(new Float32Array(13)),
      () => index.addSync([[1, 2, 3]]),
      () => index.addSync(new Float32Array([NaN, 0, 0, 0, 0, 0, 0, 0])),
      () => index.searchSync(new Float32Array(8), 0),
      () => index.searchSync(new Float32Array(7), 2),
      () => index.searchSync(new Float32Array(8), 2, { efSearch: 0 }),
      () => index.searchSync(new Float32Array(8), 2, { efSearch: 2.5 }),
      () => index.rangeSearchSync(new Float32Array(8), NaN),
      () => index.reconstruct(200),
    ];
    for (const f of bad) expect(f).toThrow(MetalFaissError);
    expect(() => index.removeIds([1])).toThrow(/UNSUPPORTED|not supported/);
    try {
      index.removeIds([1]);
    } catch (e) {
      expect((e as MetalFaissError).code).toBe('UNSUPPORTED');
      expect((e as Error).message).toMatch(/does not support removal/);
    }
    expect(index.ntotal).toBe(200);
    expect(index.searchSync(clustered(5, 8, 4), 3)).toEqual(before);
  });

  it('fromParts rejects inconsistent graphs with IO_FORMAT', () => {
    const index = new IndexHNSWFlat(4, 4);
    index.addSync(clustered(50, 4, 9));
    const p = index.toParts();
    const bads = [
      { ...p, hnsw: { ...p.hnsw, entryPoint: 50 } },
      { ...p, hnsw: { ...p.hnsw, neighbors: p.hnsw.neighbors.map((v, i) => (i === 3 ? 77 : v)) } },
      { ...p, hnsw: { ...p.hnsw, levels: p.hnsw.levels.map((v, i) => (i === 0 ? v + 1 : v)) } },
      { ...p, vectors: p.vectors.subarray(0, 49 * 4) },
    ];
    for (const b of bads) {
      try {
        IndexHNSWFlat.fromParts(b);
        expect.unreachable();
      } catch (e) {
        expect((e as MetalFaissError).code).toBe('IO_FORMAT');
      }
    }
  });
});

describe('IndexHNSWFlat: async adds, progress, abort, concurrent searches', () => {
  const d = 24;

  it('reports progress (nodes inserted / total) and the result equals a sync add with one thread', async () => {
    const x = clustered(5000, d, 31);
    setNumThreads(1);
    try {
      const a = new IndexHNSWFlat(d, 8);
      const events: Array<[number, number]> = [];
      await a.add(x, { onProgress: (p) => events.push([p.done, p.total]) });
      expect(events.length).toBeGreaterThan(1);
      expect(events[events.length - 1]).toEqual([5000, 5000]);
      for (let i = 1; i < events.length; i++) expect(events[i][0]).toBeGreaterThanOrEqual(events[i - 1][0]);
      const b = new IndexHNSWFlat(d, 8);
      b.addSync(x);
      expect(a.hnsw.toParts().neighbors).toEqual(b.hnsw.toParts().neighbors);
    } finally {
      setNumThreads(2);
    }
  });

  it('an aborted add leaves the index exactly as it was (graph, storage, level generator)', async () => {
    const x = clustered(6000, d, 32);
    const index = new IndexHNSWFlat(d, 8);
    index.addSync(x.subarray(0, 1000 * d));
    const before = index.hnsw.toParts();
    const q = clustered(20, d, 33);
    const r0 = index.searchSync(q, 5);
    const ac = new AbortController();
    const p = index.add(x.subarray(1000 * d), { signal: ac.signal, onProgress: (e) => e.done > 0 && ac.abort() });
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(index.ntotal).toBe(1000);
    expect(index.hnsw.toParts()).toEqual(before);
    expect(index.searchSync(q, 5)).toEqual(r0);
    // the level generator was not advanced: adding now gives what it would have given
    const ref = new IndexHNSWFlat(d, 8);
    ref.addSync(x.subarray(0, 1000 * d));
    index.addSync(x.subarray(1000 * d, 1200 * d));
    ref.addSync(x.subarray(1000 * d, 1200 * d));
    expect(index.hnsw.toParts().levels).toEqual(ref.hnsw.toParts().levels);
  });

  it('searches running during an async add see the graph as it was; none crashes or tears', async () => {
    const x = clustered(12000, d, 34);
    const q = clustered(200, d, 35);
    const index = new IndexHNSWFlat(d, 12);
    index.addSync(x.subarray(0, 4000 * d));
    const baseline = index.searchSync(q, 10, { efSearch: 32 });
    const adding = index.add(x.subarray(4000 * d));
    const during: Array<Promise<unknown>> = [];
    for (let i = 0; i < 12; i++) {
      during.push(index.search(q, 10, { efSearch: 32 }).then((r) => expect(r).toEqual(baseline)));
      expect(index.searchSync(q.subarray(0, 10 * d), 10, { efSearch: 32 }).labels).toEqual(baseline.labels.subarray(0, 100));
      expect(() => index.addSync(x.subarray(0, d))).toThrow(/async add is running/);
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([adding, ...during]);
    expect(index.ntotal).toBe(12000);
    const gt = exactKnn(q, x, d, 10, 1);
    expect(recallAt(index.searchSync(q, 10, { efSearch: 64 }).labels, gt, 200, 10)).toBeGreaterThan(0.95);
  });

  it('a sync add while async searches are in flight works on a copy: those searches see the old graph', async () => {
    const x = clustered(6000, d, 36);
    const q = clustered(400, d, 37);
    const index = new IndexHNSWFlat(d, 12);
    index.addSync(x.subarray(0, 3000 * d));
    const baseline = index.searchSync(q, 10, { efSearch: 64 });
    const searches = [index.search(q, 10, { efSearch: 64 }), index.search(q, 10, { efSearch: 64 })];
    index.addSync(x.subarray(3000 * d));
    for (const r of await Promise.all(searches)) expect(r).toEqual(baseline);
    expect(index.ntotal).toBe(6000);
  });

  it('reset during an async add discards the add (ABORTED) and leaves the index empty', async () => {
    const index = new IndexHNSWFlat(d, 8);
    const p = index.add(clustered(8000, d, 38));
    await new Promise((r) => setImmediate(r));
    index.reset();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(index.ntotal).toBe(0);
    index.addSync(clustered(100, d, 39));
    expect(index.ntotal).toBe(100);
  });
});

describe('IndexHNSWFlat on integer-valued data (byte storage)', () => {
  it('stores bytes, returns exact integer distances, and switches to float32 losslessly', () => {
    const d = 64;
    const r = rng(50);
    const x = new Float32Array(3000 * d).map(() => Math.floor(r() * 256));
    const q = new Float32Array(30 * d).map(() => Math.floor(r() * 256));
    const index = new IndexHNSWFlat(d, 16);
    index.addSync(x);
    expect(index.memoryBytes() - index.hnsw.memoryBytes()).toBeLessThan(x.byteLength / 2);
    expect(index.vectors).toEqual(x);
    expect(index.reconstruct(17)).toEqual(x.subarray(17 * d, 18 * d));
    const res = index.searchSync(q, 5, { efSearch: 64 });
    for (let t = 0; t < res.labels.length; t++) {
      const i = Math.floor(t / 5);
      const j = Number(res.labels[t]);
      let s = 0;
      for (let c = 0; c < d; c++) s += (q[i * d + c] - x[j * d + c]) ** 2;
      expect(res.distances[t]).toBe(Math.fround(s));
    }
    // a non-integer row: float32 storage from now on, the earlier rows unchanged
    const extra = new Float32Array(d).fill(0.5);
    index.addSync(extra);
    expect(index.vectors.subarray(0, x.length)).toEqual(x);
    expect(index.reconstruct(3000)).toEqual(extra);
    // HNSW is approximate and its multi-threaded build is not deterministic: with the default efSearch (16) the
    // outlier row (all 0.5, far from the 0..255 data) was missed in 1 of ~7 CI runs under load; the checks above
    // and below search with efSearch 64, so does this one.
    expect(index.searchSync(extra, 1, { efSearch: 64 }).labels[0]).toBe(3000n);
    const gt = exactKnn(q, index.vectors, d, 5, 1);
    expect(recallAt(index.searchSync(q, 5, { efSearch: 64 }).labels, gt, 30, 5)).toBeGreaterThan(0.95);
  });
});

describe('HnswGraph', () => {
  it('exposes FAISS fields: M, levels, neighbours per level', () => {
    const index = new IndexHNSWFlat(8, 6);
    index.addSync(clustered(500, 8, 40));
    const g: HnswGraph = index.hnsw;
    expect(g.M).toBe(6);
    expect(g.nbNeighbors(0)).toBe(12);
    expect(g.nbNeighbors(1)).toBe(6);
    const ep = g.entryPoint;
    expect(g.levelOf(ep) - 1).toBe(g.maxLevel);
    expect(g.neighborsOf(0, 0).length).toBeGreaterThan(0);
    expect(() => g.neighborsOf(0, 9)).toThrow(MetalFaissError);
  });
});
