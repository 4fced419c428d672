/**
 * IndexHNSWSQ / IndexHNSWPQ: FAISS's graph with one thread where distances
 * are exact (QT_8bit_direct on small integers), FAISS's graphs and codes
 * searched here give FAISS's results, recall, training and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '@metalfaiss/metal-kernels';
import { IndexHNSWPQ, IndexHNSWSQ, MetalFaissError } from '../src/index';
import { FAISS_SKIP, PY_HEAD, clustered, exactKnn, hasFaiss, recallAt, rng, runFaiss } from './hnsw-helpers';

if (!hasFaiss) console.warn(FAISS_SKIP);

const threads0 = getNumThreads();
beforeAll(() => setNumThreads(2));
afterAll(() => setNumThreads(threads0));

const FAISS_GRAPH = `
h = idx.hnsw
out('levels.i32', faiss.vector_to_array(h.levels).astype(np.int32))
out('offsets.i64', faiss.vector_to_array(h.offsets).astype(np.int64))
out('neighbors.i32', faiss.vector_to_array(h.neighbors).astype(np.int32))
out('probas.f64', faiss.vector_to_array(h.assign_probas).astype(np.float64))
out('cum.i32', faiss.vector_to_array(h.cum_nneighbor_per_level).astype(np.int32))
out('ep.i32', np.array([h.entry_point, h.max_level], dtype=np.int32))
h.efSearch = 32
Dd, I = idx.search(q, 10)
out('D.f32', Dd.astype(np.float32)); out('I.i64', I.astype(np.int64))
`;

function hnswParts(f: ReturnType<typeof runFaiss>) {
  return {
    assignProbas: f.f64('probas.f64'),
    cumNneighborPerLevel: f.i32('cum.i32'),
    levels: f.i32('levels.i32'),
    offsets: f.i64('offsets.i64'),
    neighbors: f.i32('neighbors.i32'),
    entryPoint: f.i32('ep.i32')[0],
    maxLevel: f.i32('ep.i32')[1],
    efConstruction: 40,
    efSearch: 32,
  };
}

describe('IndexHNSWSQ', () => {
  it.skipIf(!hasFaiss)('QT_8bit_direct on small integers, one thread: the same graph and results as FAISS', () => {
    const d = 16;
    const r = rng(3);
    const x = new Float32Array(2500 * d).map(() => Math.floor(r() * 8));
    const q = new Float32Array(40 * d).map(() => Math.floor(r() * 8));
    const f = runFaiss(
      PY_HEAD +
        `
faiss.omp_set_num_threads(1)
x = f32('x.f32', 16); q = f32('q.f32', 16)
idx = faiss.IndexHNSWSQ(16, faiss.ScalarQuantizer.QT_8bit_direct, 8)
idx.train(x)
idx.add(x[:700]); idx.add(x[700:])
` + FAISS_GRAPH,
      { 'x.f32': x, 'q.f32': q },
    );
    setNumThreads(1);
    try {
      const index = new IndexHNSWSQ(d, 'QT_8bit_direct', 8);
      index.addSync(x.subarray(0, 700 * d));
      index.addSync(x.subarray(700 * d));
      const p = index.hnsw.toParts();
      expect(p.levels).toEqual(f.i32('levels.i32'));
      expect(p.neighbors).toEqual(f.i32('neighbors.i32'));
      const res = index.searchSync(q, 10, { efSearch: 32 });
      expect(res.labels).toEqual(f.i64('I.i64'));
      expect(res.distances).toEqual(f.f32('D.f32'));
    } finally {
      setNumThreads(2);
    }
  });

  it.skipIf(!hasFaiss)("QT_8bit (trained ranges): FAISS's graph and codes give FAISS's results here", () => {
    const d = 32;
    const x = clustered(5000, d, 5);
    const q = clustered(100, d, 6);
    const f = runFaiss(
      PY_HEAD +
        `
x = f32('x.f32', 32); q = f32('q.f32', 32)
idx = faiss.IndexHNSWSQ(32, faiss.ScalarQuantizer.QT_8bit, 16)
idx.train(x); idx.add(x)
st = faiss.downcast_index(idx.storage)
out('trained.f32', faiss.vector_to_array(st.sq.trained).astype(np.float32))
out('codes.u8', faiss.vector_to_array(st.codes).astype(np.uint8))
` + FAISS_GRAPH,
      { 'x.f32': x, 'q.f32': q },
    );
    const index = IndexHNSWSQ.fromParts({ d, metricType: 1, hnsw: hnswParts(f), qtype: 0, trained: f.f32('trained.f32'), codes: f.u8('codes.u8') });
    const res = index.searchSync(q, 10, { efSearch: 32 });
    const fI = f.i64('I.i64');
    let same = 0;
    for (let i = 0; i < fI.length; i++) if (fI[i] === res.labels[i]) same++;
    expect(same / fI.length).toBeGreaterThanOrEqual(0.99);
    // our own build from the same training: high recall against exact search
    const ours = new IndexHNSWSQ(d, 'QT_8bit', 16);
    ours.trainSync(x);
    expect(ours.sq.trained).toEqual(f.f32('trained.f32'));
    ours.addSync(x);
    expect(ours.codes).toEqual(f.u8('codes.u8'));
    const gt = exactKnn(q, x, d, 10, 1);
    expect(recallAt(ours.searchSync(q, 10, { efSearch: 64 }).labels, gt, 100, 10)).toBeGreaterThan(0.9);
  });

  it('needs training for trained types; fp16 / direct need none; inner product works; bad input', async () => {
    const d = 8;
    const x = clustered(400, d, 7);
    const sq8 = new IndexHNSWSQ(d, 'QT_8bit', 8, 'ip');
    expect(sq8.isTrained).toBe(false);
    expect(() => sq8.addSync(x)).toThrow(/train/);
    await sq8.train(x);
    await sq8.add(x);
    expect(sq8.ntotal).toBe(400);
    const r = sq8.searchSync(x.subarray(0, d), 3);
    expect(r.distances[0]).toBeGreaterThanOrEqual(r.distances[1]);
    const fp16 = new IndexHNSWSQ(d, 'QT_fp16', 8);
    fp16.addSync(x);
    const rec = fp16.reconstruct(5);
    for (let j = 0; j < d; j++) expect(Math.abs(rec[j] - x[5 * d + j])).toBeLessThan(1e-2 * Math.max(1, Math.abs(x[5 * d + j])));
    expect(() => new IndexHNSWSQ(d, 'QT_bogus', 8)).toThrow(MetalFaissError);
    expect(() => fp16.removeIds([1])).toThrow(/does not support removal/);
  });
});

describe('IndexHNSWPQ', () => {
  it.skipIf(!hasFaiss)("FAISS's graph, centroids and codes give FAISS's results here", () => {
    const d = 32;
    const x = clustered(6000, d, 9);
    const q = clustered(100, d, 10);
    const f = runFaiss(
      PY_HEAD +
        `
x = f32('x.f32', 32); q = f32('q.f32', 32)
idx = faiss.IndexHNSWPQ(32, 8, 16)
idx.train(x); idx.add(x)
st = faiss.downcast_index(idx.storage)
out('cent.f32', faiss.vector_to_array(st.pq.centroids).astype(np.float32))
out('codes.u8', faiss.vector_to_array(st.codes).astype(np.uint8))
` + FAISS_GRAPH,
      { 'x.f32': x, 'q.f32': q },
    );
    const index = IndexHNSWPQ.fromParts({ d, pqM: 8, hnsw: hnswParts(f), centroids: f.f32('cent.f32'), codes: f.u8('codes.u8') });
    const res = index.searchSync(q, 10, { efSearch: 32 });
    const fI = f.i64('I.i64');
    const fD = f.f32('D.f32');
    let same = 0;
    for (let i = 0; i < fI.length; i++) {
      if (fI[i] === res.labels[i]) {
        same++;
        expect(Math.abs(res.distances[i] - fD[i])).toBeLessThan(1e-3 * Math.max(1, fD[i]));
      }
    }
    expect(same / fI.length).toBeGreaterThanOrEqual(0.99);
  });

  it('trains, adds (async with progress), finds neighbours; L2 only, 8 bits only; reconstruct decodes', async () => {
    const d = 16;
    const x = clustered(4000, d, 11);
    const q = clustered(100, d, 12);
    expect(() => new IndexHNSWPQ(d, 4, 16, 6)).toThrow(/nbits = 8/);
    expect(() => new IndexHNSWPQ(d, 4, 16, 8, { metric: 'ip' })).toThrow(/L2/);
    expect(() => new IndexHNSWPQ(d, 5, 16)).toThrow(MetalFaissError);
    const index = new IndexHNSWPQ(d, 8, 16);
    expect(() => index.addSync(x)).toThrow(/train/);
    await index.train(x);
    let last = 0;
    await index.add(x, { onProgress: (p) => (last = p.done) });
    expect(last).toBe(4000);
    const gt = exactKnn(q, x, d, 10, 1);
    expect(recallAt(index.searchSync(q, 10, { efSearch: 128 }).labels, gt, 100, 10)).toBeGreaterThan(0.6);
    expect(index.reconstruct(3)).toEqual(index.pq.decode(index.codes.slice(3 * 8, 4 * 8)));
    const copy = IndexHNSWPQ.fromParts(index.toParts());
    expect(copy.searchSync(q, 5)).toEqual(index.searchSync(q, 5));
  });
});
