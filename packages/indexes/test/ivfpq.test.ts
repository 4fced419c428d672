/**
 * IndexIVFPQ: search results equal to FAISS's given FAISS's trained quantizer,
 * PQ and lists (every table mode, L2 and IP, residual or not); the native
 * scan equal to the scanner path; recall against exact ground truth; the
 * index contract.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ArrayInvertedLists,
  IndexFlatIP,
  IndexFlatL2,
  IndexIVFPQ,
  MetalFaissError,
  type QuantizerProgress,
} from '../src/index';
import { DUMP_IVF, clustered, expectEqualExceptTies, f32, faissAvailable, groundTruth, i64, listsFrom, recallAtK, runFaiss, score } from './pq-sq-helpers';

const hasFaiss = faissAvailable('IndexIVFPQ');

function flatQuantizer(metric: 'l2' | 'ip', d: number, centroids: Float32Array) {
  const q = metric === 'l2' ? new IndexFlatL2(d) : new IndexFlatIP(d);
  q.addSync(centroids);
  return q;
}

describe.skipIf(!hasFaiss)('IndexIVFPQ against FAISS 1.7.3', () => {
  const d = 32;
  const nlist = 16;
  const nb = 4000;
  const nq = 50;
  const k = 10;
  const xt = clustered(6000, d, 1);
  const xb = clustered(nb, d, 2);
  const xq = clustered(nq, d, 3);
  const cases = [
    { metric: 'l2' as const, byResidual: true, table: 1, M: 8, nbits: 8 },
    { metric: 'l2' as const, byResidual: true, table: -1, M: 8, nbits: 8 },
    { metric: 'l2' as const, byResidual: false, table: 0, M: 8, nbits: 8 },
    { metric: 'ip' as const, byResidual: true, table: 0, M: 8, nbits: 8 },
    { metric: 'ip' as const, byResidual: false, table: 0, M: 4, nbits: 8 },
    { metric: 'l2' as const, byResidual: true, table: 1, M: 16, nbits: 5 },
  ];
  // every case in one FAISS process
  const script = cases
    .map(
      (c, i) => `
quantizer = faiss.IndexFlatL2(d) if ${c.metric === 'l2' ? 'True' : 'False'} else faiss.IndexFlatIP(d)
index = faiss.IndexIVFPQ(quantizer, d, ${nlist}, ${c.M}, ${c.nbits}, ${c.metric === 'l2' ? 1 : 0})
index.by_residual = ${c.byResidual ? 'True' : 'False'}
index.pq.cp.niter = 8
index.train(xt)
index.use_precomputed_table = ${c.table}
index.precompute_table()
index.add(xb)
index.nprobe = 4
Dv, Iv = index.search(xq, ${k})
P = '${i}_'
save(P + 'D', Dv); save(P + 'I', Iv); save(P + 'pq', faiss.vector_to_array(index.pq.centroids))
${DUMP_IVF.replace(/save\('(\w+)'/g, "save(P + '$1'")}`,
    )
    .join('');
  let out: Record<string, Buffer> = {};
  beforeAll(() => {
    out = runFaiss(
      `d = ${d}\nxt = load('xt', 'float32').reshape(-1, d); xb = load('xb', 'float32').reshape(-1, d); xq = load('xq', 'float32').reshape(-1, d)\n${script}`,
      { xt, xb, xq },
      cases.flatMap((_, i) => ['D', 'I', 'pq', 'cent', 'sizes', 'codes', 'ids'].map((n) => `${i}_${n}`)),
    );
  });
  cases.forEach((c, ci) => {
    it(`search equals FAISS's given its trained parts (${c.metric}, by_residual=${c.byResidual}, use_precomputed_table=${c.table}, PQ${c.M}x${c.nbits})`, async () => {
      const get = (n: string) => out[`${ci}_${n}`];
      const cent = f32(get('cent'));
      const index = IndexIVFPQ.fromParts({
        d, nlist, M: c.M, nbits: c.nbits, metric: c.metric, quantizer: flatQuantizer(c.metric, d, cent), byResidual: c.byResidual,
        pqCentroids: f32(get('pq')), invlists: listsFrom({ sizes: get('sizes'), codes: get('codes'), ids: get('ids') }, nlist, Math.ceil((c.M * c.nbits) / 8)),
        ntotal: nb, nprobe: 4, isTrained: true,
      });
      index.usePrecomputedTable = c.table as -1 | 0 | 1;
      const want = { distances: f32(get('D')), labels: i64(get('I')) };
      // exact scores of the decoded entries, by id
      const byId = new Map<bigint, Float32Array>();
      for (let l = 0; l < nlist; l++) {
        const ids = index.invlists.ids(l);
        for (let j = 0; j < ids.length; j++) byId.set(ids[j], (index as unknown as { reconstructFromOffset(l: number, o: number): Float32Array }).reconstructFromOffset(l, j));
      }
      let scale = 0;
      for (const v of want.distances) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
      for (const got of [index.searchSync(xq, k), await index.search(xq, k)]) {
        const mism = expectEqualExceptTies(got, want, nq, k, (q, l) => score(c.metric, xq, q, byId.get(l)!, 0, d), 2e-5 * scale + 1e-3);
        expect(mism).toBeLessThanOrEqual(nq * k * 0.03);
      }
    });
  });
});

describe('IndexIVFPQ', () => {
  const d = 32;
  const nlist = 32;
  const nb = 5000;
  const nq = 40;
  const k = 10;
  const xb = clustered(nb, d, 21);
  const xq = clustered(nq, d, 22);

  for (const metric of ['l2', 'ip'] as const) {
    it(`recall@10 against exact search grows with nprobe (${metric})`, async () => {
      const gt = groundTruth(xq, xb, d, k, metric);
      const index = new IndexIVFPQ(d, nlist, 16, 8, { metric });
      await index.train(xb);
      await index.add(xb);
      const recalls = [1, 4, 32].map((nprobe) => recallAtK(index.searchSync(xq, k, { nprobe }).labels, gt, nq, k));
      expect(recalls[0]).toBeLessThanOrEqual(recalls[1] + 0.02);
      expect(recalls[1]).toBeLessThanOrEqual(recalls[2] + 0.02);
      expect(recalls[2], `recall ${recalls}`).toBeGreaterThanOrEqual(metric === 'l2' ? 0.75 : 0.7);
    });
  }

  it('the native scan equals the scanner path in every table mode', () => {
    const index = new IndexIVFPQ(d, nlist, 8, 8);
    index.trainSync(xb);
    index.addSync(xb);
    expect(index.usePrecomputedTable).toBe(1);
    expect(index.precomputedTable?.length).toBe(nlist * 8 * 256);
    const results = [];
    for (const mode of [1, 0, -1] as const) {
      index.usePrecomputedTable = mode;
      results.push(index.searchSync(xq, k, { nprobe: 6 }));
    }
    // table modes are the same distance up to rounding
    for (const r of results.slice(1)) {
      for (let i = 0; i < r.distances.length; i++) expect(Math.abs(r.distances[i] - results[0].distances[i])).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(results[0].distances[i])));
    }
    // the plain-TypeScript scanner path (FAISS's InvertedListScanner) as the oracle
    const coarse = index.quantizer.searchSync(xq, 6);
    const job = {
      xq, nq, k, metric: index.metricType, coarse: coarse.labels, coarseDistances: coarse.distances, nprobe: 6,
      lists: index.invlists.snapshot(), storePairs: false, distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k),
    };
    index.scanWithScannerSync(job);
    for (let i = 0; i < job.distances.length; i++) {
      expect(Math.abs(job.distances[i] - results[0].distances[i])).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(job.distances[i])));
    }
    let same = 0;
    for (let i = 0; i < job.labels.length; i++) if (job.labels[i] === results[0].labels[i]) same++;
    expect(same).toBeGreaterThanOrEqual(job.labels.length * 0.97);
  });

  it('states its constraints; NOT_TRAINED; polysemous is UNSUPPORTED', () => {
    expect(() => new IndexIVFPQ(d, nlist, 5, 8)).toThrow(/divides d = 32/);
    expect(() => new IndexIVFPQ(d, nlist, 8, 9)).toThrow(/\[1, 8\] for nbits/);
    const index = new IndexIVFPQ(d, nlist, 8, 8);
    expect(() => index.addSync(xb)).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
    expect(() => index.searchSync(xq, 2)).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
    expect(() => {
      index.polysemousHt = 4;
    }).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => {
      index.doPolysemousTraining = true;
    }).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });

  it('train reports progress; an aborted train leaves the index untrained', async () => {
    const index = new IndexIVFPQ(d, 24, 4, 6);
    const ac = new AbortController();
    const pending = index.train(xb, { signal: ac.signal });
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(index.isTrained).toBe(false);
    const seen: QuantizerProgress[] = [];
    await index.train(xb, { onProgress: (p) => seen.push(p) });
    const total = index.cp.niter * index.cp.nredo + 4 + 1; // k-means iterations, sub-quantizers, table
    expect(seen[0]).toMatchObject({ step: 'coarse quantizer', done: 1, total });
    expect(seen.at(-1)).toMatchObject({ step: 'done', done: total, total });
    expect(seen.filter((p) => p.step.startsWith('sub-quantizer ')).length).toBe(4);
    expect(index.isTrained).toBe(true);
  });

  it('reconstruct, removeIds, mergeFrom, maxCodes, selectors and addWithIds', async () => {
    const xb = clustered(4000, d, 21); // <= 256 points per list: no subsampling in the coarse k-means
    const a = new IndexIVFPQ(d, 16, 8, 8);
    a.trainSync(xb);
    a.makeDirectMap();
    a.addSync(xb.subarray(0, 2000 * d));
    const r = a.reconstruct(7);
    a.setDirectMapType('none'); // merging needs no direct map (FAISS)
    let err = 0;
    let norm = 0;
    for (let j = 0; j < d; j++) {
      err += (r[j] - xb[7 * d + j]) ** 2;
      norm += xb[7 * d + j] ** 2;
    }
    expect(err).toBeLessThan(0.2 * norm);
    // an empty index sharing a's trained quantizer and PQ
    const b = IndexIVFPQ.fromParts({
      d, nlist: 16, M: 8, nbits: 8, metric: 'l2', quantizer: a.quantizer, byResidual: true, pqCentroids: a.pq.centroids,
      invlists: new ArrayInvertedLists(16, 8), ntotal: 0, nprobe: 1, isTrained: true,
    });
    await b.addWithIds(xb.subarray(2000 * d, 3000 * d), BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(2000 + i)));
    const union = new IndexIVFPQ(d, 16, 8, 8);
    union.trainSync(xb); // same data, same seeds: the same quantizer and PQ as a's
    union.addSync(xb.subarray(0, 3000 * d));
    a.mergeFrom(b);
    expect([a.ntotal, b.ntotal]).toEqual([3000, 0]);
    const merged = a.searchSync(xq, 5, { nprobe: 16 });
    const want = union.searchSync(xq, 5, { nprobe: 16 });
    expect(Array.from(merged.distances)).toEqual(Array.from(want.distances));
    expect(a.removeIds([0, 1, 2, 2500])).toBe(4);
    expect(a.ntotal).toBe(2996);
    const after = a.searchSync(xq, 5, { nprobe: 16 });
    for (const l of after.labels) expect([0n, 1n, 2n, 2500n]).not.toContain(l);
    const sel = a.searchSync(xq, 5, { nprobe: 16, selector: { isMember: (id: bigint) => id % 2n === 0n } });
    for (const l of sel.labels) expect(l === -1n || l % 2n === 0n).toBe(true);
    const few = a.searchSync(xq, 5, { nprobe: 16, maxCodes: 10 });
    expect(few.labels.length).toBe(nq * 5);
    const radius = after.distances[2];
    const rr = await a.rangeSearch(xq.subarray(0, d), radius, { nprobe: 16 });
    const inRange = Array.from(rr.labels);
    for (const l of after.labels.subarray(0, 2)) expect(inRange).toContain(l);
    expect(() => a.mergeFrom(new IndexIVFPQ(d, 16, 4, 8) as never)).toThrow(MetalFaissError);
  });
});
