/**
 * ProductQuantizer and IndexPQ: codes and search results equal to FAISS's
 * given FAISS's trained centroids, training quality on par with FAISS's,
 * recall against exact ground truth, and the index contract.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { IDSelectorRange, IndexPQ, MetalFaissError, ProductQuantizer, SearchType, type QuantizerProgress } from '../src/index';
import { clustered, expectEqualExceptTies, f32, faissAvailable, groundTruth, i64, recallAtK, runFaiss, score, u8 } from './pq-sq-helpers';

const hasFaiss = faissAvailable('IndexPQ');

function mse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

function indexAt(codes: Uint8Array, o: number, m: number, nbits: number): number {
  let v = 0;
  for (let b = 0; b < nbits; b++) {
    const p = m * nbits + b;
    if ((codes[o + (p >> 3)] >> (p & 7)) & 1) v += 2 ** b;
  }
  return v;
}

describe.skipIf(!hasFaiss)('IndexPQ against FAISS 1.7.3', () => {
  const d = 32;
  const nb = 3000;
  const nq = 40;
  const k = 10;
  const xt = clustered(6000, d, 1);
  const xb = clustered(nb, d, 2);
  const xq = clustered(nq, d, 3);
  const cases = [
    { M: 8, nbits: 8, metric: 'l2' as const },
    { M: 8, nbits: 8, metric: 'ip' as const },
    { M: 4, nbits: 6, metric: 'l2' as const },
    { M: 16, nbits: 4, metric: 'ip' as const },
  ];
  let out: Record<string, Buffer> = {};
  beforeAll(() => {
    const script = cases
      .map(
        (c, i) => `
index = faiss.IndexPQ(d, ${c.M}, ${c.nbits}, ${c.metric === 'l2' ? 1 : 0})
index.pq.cp.niter = 10
index.train(xt); index.add(xb)
Dv, Iv = index.search(xq, ${k})
save('${i}_D', Dv); save('${i}_I', Iv); save('${i}_codes', faiss.vector_to_array(index.codes)); save('${i}_cent', faiss.vector_to_array(index.pq.centroids))
`,
      )
      .join('');
    out = runFaiss(
      `d = ${d}\nxt = load('xt', 'float32').reshape(-1, d); xb = load('xb', 'float32').reshape(-1, d); xq = load('xq', 'float32').reshape(-1, d)\n${script}`,
      { xt, xb, xq },
      cases.flatMap((_, i) => ['D', 'I', 'codes', 'cent'].map((n) => `${i}_${n}`)),
    );
  });
  cases.forEach(({ M, nbits, metric }, ci) => {
    it(`codes and search equal FAISS's given its centroids (M=${M} nbits=${nbits} ${metric})`, () => {
      const get = (n: string) => out[`${ci}_${n}`];
      const index = new IndexPQ(d, M, nbits, metric);
      index.pq.setCentroids(f32(get('cent')));
      index.addSync(xb);
      const want = u8(get('codes'));
      const cs = index.codeSize;
      const cent = index.pq.centroids;
      const ksub = 2 ** nbits;
      const dsub = d / M;
      let differ = 0;
      for (let i = 0; i < nb; i++) {
        for (let m = 0; m < M; m++) {
          const a = indexAt(index.codes, i * cs, m, nbits);
          const b = indexAt(want, i * cs, m, nbits);
          if (a === b) continue;
          differ++;
          const dist = (j: number) => {
            let s = 0;
            for (let t = 0; t < dsub; t++) s += (xb[i * d + m * dsub + t] - cent[(m * ksub + j) * dsub + t]) ** 2;
            return s;
          };
          expect(Math.abs(dist(a) - dist(b))).toBeLessThanOrEqual(1e-5 * (1 + dist(b)));
        }
      }
      expect(differ).toBeLessThanOrEqual(nb * M * 0.001);
      // the same codes as FAISS: search results equal except exact ties
      const same = new IndexPQ(d, M, nbits, metric);
      same.pq.setCentroids(f32(get('cent')));
      same.addCodes(want);
      const got = same.searchSync(xq, k);
      const dec = same.reconstructN(0, nb);
      let scale = 0;
      for (const v of f32(get('D'))) scale = Math.max(scale, Math.abs(v));
      const mism = expectEqualExceptTies(got, { distances: f32(get('D')), labels: i64(get('I')) }, nq, k, (q, l) => score(metric, xq, q, dec, Number(l), d), 1e-5 * scale + 1e-4);
      expect(mism).toBeLessThanOrEqual(nq * k * 0.02);
    });
  });

  it('our training reconstructs as well as FAISS (same clustering parameters)', () => {
    const d = 32;
    const M = 8;
    const xt = clustered(5000, d, 7);
    const out = runFaiss(
      `
d = ${d}
xt = load('xt', 'float32').reshape(-1, d)
pq = faiss.ProductQuantizer(d, ${M}, 8)
pq.train(xt)
save('dec', pq.decode(pq.compute_codes(xt)))
`,
      { xt },
      ['dec'],
    );
    const pq = new ProductQuantizer(d, M, 8);
    pq.train(xt);
    const ours = mse(pq.decode(pq.computeCodes(xt)), xt);
    const theirs = mse(f32(out.dec), xt);
    expect(ours).toBeLessThanOrEqual(theirs * 1.02);
  });
});

describe('IndexPQ recall against exact search', () => {
  const d = 32;
  const nb = 4000;
  const nq = 50;
  const k = 10;
  const xb = clustered(nb, d, 21);
  const xq = clustered(nq, d, 22);
  // measured on this data with margin (FAISS 1.7.3 gets 0.846 / 0.576 / 0.134 for L2, 0.834 / 0.558 / 0.158 for IP)
  const cases = [
    { M: 16, nbits: 8, min: 0.8 },
    { M: 8, nbits: 8, min: 0.52 },
    { M: 8, nbits: 4, min: 0.11 },
  ];
  for (const metric of ['l2', 'ip'] as const) {
    for (const c of cases) {
      it(`PQ${c.M}x${c.nbits} (${metric})`, async () => {
        const gt = groundTruth(xq, xb, d, k, metric);
        const index = new IndexPQ(d, c.M, c.nbits, metric);
        await index.train(xb);
        await index.add(xb);
        const recall = recallAtK((await index.search(xq, k)).labels, gt, nq, k);
        expect(recall, `recall@10 ${recall}`).toBeGreaterThanOrEqual(c.min);
      });
    }
  }
});

describe('IndexPQ contract', () => {
  const d = 16;
  const x = clustered(600, d, 31);
  const xq = clustered(5, d, 32);

  it('states the constructor constraints', () => {
    expect(() => new IndexPQ(d, 5, 8)).toThrow(/divides d = 16/);
    expect(() => new IndexPQ(d, 4, 0)).toThrow(/\[1, 16\] for nbits/);
    expect(() => new IndexPQ(d, 4, 17)).toThrow(MetalFaissError);
    expect(() => new IndexPQ(d, 4, 8, 'hamming' as 'l2')).toThrow(MetalFaissError);
  });

  it('NOT_TRAINED before train; too few training points; unsupported search types', () => {
    const index = new IndexPQ(d, 4, 8);
    expect(() => index.addSync(x)).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
    expect(() => index.searchSync(xq, 2)).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
    expect(() => index.trainSync(x.subarray(0, 100 * d))).toThrow(/at least ksub = 256/);
    expect(index.isTrained).toBe(false);
    index.trainSync(x);
    index.addSync(x);
    index.searchType = SearchType.ST_SDC;
    expect(() => index.searchSync(xq, 2)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining('ST_SDC') }));
    index.searchType = SearchType.ST_PQ;
    expect(() => index.searchSync(xq, 2, { searchType: SearchType.ST_polysemous })).toThrow(/ST_polysemous/);
    expect(() => {
      index.doPolysemousTraining = true;
    }).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(index.searchSync(xq, 2).labels.length).toBe(10);
  });

  it('train reports progress per sub-quantizer and an aborted train changes nothing', async () => {
    const index = new IndexPQ(d, 4, 6);
    const seen: QuantizerProgress[] = [];
    await index.train(x, { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.done)).toEqual([0, 1, 2, 3, 4]);
    const before = index.pq.centroids.slice();
    const ac = new AbortController();
    const pending = index.train(clustered(600, d, 99), { signal: ac.signal });
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Array.from(index.pq.centroids)).toEqual(Array.from(before));
  });

  it('reconstruct decodes, removeIds compacts, mergeFrom appends, rangeSearch and selectors', async () => {
    const a = new IndexPQ(d, 4, 8);
    a.trainSync(x);
    a.addSync(x.subarray(0, 200 * d));
    const b = new IndexPQ(d, 4, 8);
    b.pq.setCentroids(a.pq.centroids);
    b.addSync(x.subarray(200 * d));
    const recA = a.reconstructN(0, 200);
    const recB = b.reconstructN(0, 400);
    expect(Array.from(a.reconstruct(5))).toEqual(Array.from(recA.subarray(5 * d, 6 * d)));
    a.mergeFrom(b);
    expect([a.ntotal, b.ntotal]).toEqual([600, 0]);
    expect(Array.from(a.reconstructN(200, 400))).toEqual(Array.from(recB));
    expect(a.removeIds([0, 2, 4])).toBe(3);
    expect(Array.from(a.reconstruct(0))).toEqual(Array.from(recA.subarray(d, 2 * d)));
    const r = await a.search(xq, 4, { selector: new IDSelectorRange(100, 300) });
    for (const l of r.labels) expect(l >= 100n && l < 300n).toBe(true);
    const dec = a.reconstructN(0, a.ntotal);
    const radius = 20;
    const rr = a.rangeSearchSync(xq, radius);
    for (let q = 0; q < 5; q++) {
      const got = new Set(Array.from(rr.labels.subarray(Number(rr.lims[q]), Number(rr.lims[q + 1])), Number));
      for (let j = 0; j < a.ntotal; j++) {
        const s = score('l2', xq, q, dec, j, d);
        if (s < radius * 0.999) expect(got.has(j)).toBe(true);
        if (s > radius * 1.001) expect(got.has(j)).toBe(false);
      }
    }
    expect(() => a.mergeFrom(new IndexPQ(d, 8, 8) as never)).toThrow(MetalFaissError);
    a.reset();
    expect(a.ntotal).toBe(0);
    expect(a.isTrained).toBe(true);
  });
});
