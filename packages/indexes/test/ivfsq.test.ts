/**
 * IndexIVFScalarQuantizer: codes and search results equal to FAISS's (given
 * FAISS's trained quantizer; our training of the ranges is FAISS's), the
 * native scan equal to the scanner path, recall against exact ground truth,
 * and the index contract.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ArrayInvertedLists, IndexFlatIP, IndexFlatL2, IndexIVFScalarQuantizer, MetalFaissError, type QuantizerProgress } from '../src/index';
import { DUMP_IVF, clustered, expectEqualExceptTies, f32, faissAvailable, groundTruth, i64, listsFrom, recallAtK, runFaiss, score } from './pq-sq-helpers';

const hasFaiss = faissAvailable('IndexIVFScalarQuantizer');

describe.skipIf(!hasFaiss)('IndexIVFScalarQuantizer against FAISS 1.7.3', () => {
  const d = 32;
  const nlist = 16;
  const nb = 3000;
  const nq = 40;
  const k = 10;
  const xt = clustered(4000, d, 1);
  const xb = clustered(nb, d, 2);
  const xq = clustered(nq, d, 3);
  const cases: Array<{ qtype: number; metric: 'l2' | 'ip'; byResidual: boolean }> = [
    { qtype: 0, metric: 'l2', byResidual: true },
    { qtype: 0, metric: 'ip', byResidual: true },
    { qtype: 0, metric: 'l2', byResidual: false },
    { qtype: 1, metric: 'l2', byResidual: true },
    { qtype: 2, metric: 'ip', byResidual: false },
    { qtype: 3, metric: 'l2', byResidual: true },
    { qtype: 4, metric: 'l2', byResidual: true },
    { qtype: 6, metric: 'ip', byResidual: true },
  ];
  const script = cases
    .map(
      (c, i) => `
quantizer = faiss.IndexFlatL2(d) if ${c.metric === 'l2' ? 'True' : 'False'} else faiss.IndexFlatIP(d)
index = faiss.IndexIVFScalarQuantizer(quantizer, d, ${nlist}, ${c.qtype}, ${c.metric === 'l2' ? 1 : 0}, ${c.byResidual ? 'True' : 'False'})
index.train(xt)
index.add(xb)
index.nprobe = 4
Dv, Iv = index.search(xq, ${k})
P = '${i}_'
save(P + 'D', Dv); save(P + 'I', Iv); save(P + 'trained', faiss.vector_to_array(index.sq.trained).astype('float32'))
${DUMP_IVF.replace(/save\('(\w+)'/g, "save(P + '$1'")}`,
    )
    .join('');
  let out: Record<string, Buffer> = {};
  beforeAll(() => {
    out = runFaiss(
      `d = ${d}\nxt = load('xt', 'float32').reshape(-1, d); xb = load('xb', 'float32').reshape(-1, d); xq = load('xq', 'float32').reshape(-1, d)\n${script}`,
      { xt, xb, xq },
      cases.flatMap((_, i) => ['D', 'I', 'trained', 'cent', 'sizes', 'codes', 'ids'].map((n) => `${i}_${n}`)),
    );
  });
  cases.forEach((c, ci) => {
    it(`codes, trained ranges and search equal FAISS's (qtype ${c.qtype}, ${c.metric}, by_residual=${c.byResidual})`, async () => {
      const get = (n: string) => out[`${ci}_${n}`];
      const cent = f32(get('cent'));
      const quantizer = c.metric === 'l2' ? new IndexFlatL2(d) : new IndexFlatIP(d);
      quantizer.addSync(cent);
      // our own training of the ranges on FAISS's quantizer: identical parameters
      const mine = new IndexIVFScalarQuantizer(d, nlist, c.qtype as 0, { metric: c.metric, quantizer, byResidual: c.byResidual });
      await mine.train(xt);
      expect(Array.from(mine.sq.trained)).toEqual(Array.from(f32(get('trained'))));
      mine.addSync(xb);
      const lists = listsFrom({ sizes: get('sizes'), codes: get('codes'), ids: get('ids') }, nlist, mine.codeSize);
      for (let l = 0; l < nlist; l++) {
        expect(Array.from(mine.invlists.ids(l))).toEqual(Array.from(lists.ids(l)));
        expect(Array.from(mine.invlists.codes(l)), `list ${l} codes`).toEqual(Array.from(lists.codes(l)));
      }
      const index = IndexIVFScalarQuantizer.fromParts({
        d, nlist, qtype: c.qtype as 0, metric: c.metric, quantizer, byResidual: c.byResidual, trained: f32(get('trained')),
        invlists: lists, ntotal: nb, nprobe: 4, isTrained: true,
      });
      index.makeDirectMap();
      const dec = index.reconstructN(0, nb);
      const want = { distances: f32(get('D')), labels: i64(get('I')) };
      let scale = 0;
      for (const v of want.distances) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
      for (const got of [index.searchSync(xq, k), await index.search(xq, k)]) {
        const mism = expectEqualExceptTies(got, want, nq, k, (q, l) => score(c.metric, xq, q, dec, Number(l), d), 2e-5 * scale + 1e-3);
        expect(mism).toBeLessThanOrEqual(nq * k * 0.03);
      }
    });
  });
});

describe('IndexIVFScalarQuantizer', () => {
  const d = 32;
  const nlist = 32;
  const nb = 5000;
  const nq = 40;
  const k = 10;
  const xb = clustered(nb, d, 21);
  const xq = clustered(nq, d, 22);
  const minRecall: Record<number, number> = { 0: 0.9, 1: 0.6, 2: 0.9, 3: 0.55, 4: 0.95, 6: 0.85 };
  for (const metric of ['l2', 'ip'] as const) {
    for (const qtype of [0, 1, 2, 3, 4, 6]) {
      it(`recall@10 at nprobe = nlist, qtype ${qtype} (${metric})`, async () => {
        const gt = groundTruth(xq, xb, d, k, metric);
        const index = new IndexIVFScalarQuantizer(d, nlist, qtype as 0, { metric });
        await index.train(xb);
        await index.add(xb);
        const r = await index.search(xq, k, { nprobe: nlist });
        const recall = recallAtK(r.labels, gt, nq, k);
        expect(recall, `recall ${recall}`).toBeGreaterThanOrEqual(minRecall[qtype]);
      });
    }
  }

  it('the native scan equals the scanner path (by_residual, L2 and IP)', () => {
    for (const metric of ['l2', 'ip'] as const) {
      const index = new IndexIVFScalarQuantizer(d, nlist, 'QT_8bit', { metric });
      index.trainSync(xb);
      index.addSync(xb);
      const got = index.searchSync(xq, k, { nprobe: 5 });
      const coarse = index.quantizer.searchSync(xq, 5);
      const job = {
        xq, nq, k, metric: index.metricType, coarse: coarse.labels, coarseDistances: coarse.distances, nprobe: 5,
        lists: index.invlists.snapshot(), storePairs: false, distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k),
      };
      index.scanWithScannerSync(job);
      let same = 0;
      for (let i = 0; i < job.labels.length; i++) {
        expect(Math.abs(job.distances[i] - got.distances[i])).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(job.distances[i])));
        if (job.labels[i] === got.labels[i]) same++;
      }
      expect(same).toBeGreaterThanOrEqual(job.labels.length * 0.97);
    }
  });

  it('contract: NOT_TRAINED, bad input, progress, abort, reconstruct, remove, merge', async () => {
    expect(() => new IndexIVFScalarQuantizer(d, nlist, 'QT_3bit')).toThrow(MetalFaissError);
    const index = new IndexIVFScalarQuantizer(d, 16, 'QT_8bit');
    expect(() => index.addSync(xb)).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
    const ac = new AbortController();
    const pending = index.train(xb.subarray(0, 4000 * d), { signal: ac.signal });
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(index.isTrained).toBe(false);
    const seen: QuantizerProgress[] = [];
    await index.train(xb.subarray(0, 4000 * d), { onProgress: (p) => seen.push(p) });
    const kmeans = index.cp.niter * index.cp.nredo;
    expect(seen.map((p) => p.done)).toEqual([...Array.from({ length: kmeans }, (_, i) => i + 1), kmeans, kmeans, kmeans + 1]);
    expect(seen.slice(-3).map((p) => p.step)).toEqual(['codec', 'scalar quantizer ranges', 'done']);
    index.setDirectMapType('hashtable');
    const adds: QuantizerProgress[] = [];
    await index.add(xb.subarray(0, 2000 * d), { onProgress: (p) => adds.push(p) });
    expect(adds.at(-1)).toMatchObject({ phase: 'add', done: 2000, total: 2000 });
    expect(adds.some((p) => p.step === 'encode')).toBe(true);
    expect(() => index.addSync(new Float32Array(d - 1))).toThrow(MetalFaissError);
    expect(index.ntotal).toBe(2000);
    const r = index.reconstruct(11);
    for (let j = 0; j < d; j++) expect(Math.abs(r[j] - xb[11 * d + j])).toBeLessThan(0.2);
    expect(index.removeIds([11, 12])).toBe(2);
    expect(() => index.reconstruct(11)).toThrow(MetalFaissError);
    index.setDirectMapType('none');
    const other = IndexIVFScalarQuantizer.fromParts({
      d, nlist: 16, qtype: 0, metric: 'l2', quantizer: index.quantizer, byResidual: true, trained: index.sq.trained,
      invlists: new ArrayInvertedLists(16, index.codeSize), ntotal: 0, nprobe: 1, isTrained: true,
    });
    await other.addWithIds(xb.subarray(2000 * d, 2500 * d), BigInt64Array.from({ length: 500 }, (_, i) => BigInt(2000 + i)));
    index.mergeFrom(other);
    expect([index.ntotal, other.ntotal]).toEqual([2498, 0]);
    const res = index.searchSync(xb.subarray(2100 * d, 2101 * d), 1, { nprobe: 16 });
    expect(res.labels[0]).toBe(2100n);
  });
});
