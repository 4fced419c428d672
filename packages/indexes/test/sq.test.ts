/**
 * ScalarQuantizer training and IndexScalarQuantizer: trained parameters
 * equal to FAISS's for every qtype and range statistic, search results equal
 * to FAISS's IndexScalarQuantizer, recall against exact ground truth, and the
 * index contract (NOT_TRAINED, bad input, remove / reconstruct / merge,
 * async add with progress and abort).
 */
import { describe, expect, it } from 'vitest';
import {
  IDSelectorRange,
  IndexScalarQuantizer,
  MetalFaissError,
  QuantizerType,
  RangeStat,
  ScalarQuantizer,
  type QuantizerProgress,
} from '../src/index';
import {
  clustered,
  expectEqualExceptTies,
  f32,
  faissAvailable,
  groundTruth,
  i64,
  recallAtK,
  runFaiss,
  score,
  u8,
} from './pq-sq-helpers';

const QTYPES = [0, 1, 2, 3, 4, 5, 6] as const;
const hasFaiss = faissAvailable('IndexScalarQuantizer');

describe.skipIf(!hasFaiss)('ScalarQuantizer training against FAISS 1.7.3', () => {
  it('trained parameters are identical for every qtype and range statistic', () => {
    const d = 12;
    const n = 300;
    const xt = clustered(n, d, 5);
    const stats: Array<[number, number]> = [
      [RangeStat.RS_minmax, 0],
      [RangeStat.RS_minmax, 0.1],
      [RangeStat.RS_meanstd, 2],
      [RangeStat.RS_quantiles, 0.05],
      [RangeStat.RS_optim, 0],
    ];
    const names: string[] = [];
    let script = `d = ${d}\nxt = load('xt', 'float32').reshape(-1, d)\n`;
    for (const q of [0, 1, 2, 3, 6]) {
      stats.forEach(([rs, arg], si) => {
        script += `sq = faiss.ScalarQuantizer(d, ${q}); sq.rangestat = ${rs}; sq.rangestat_arg = ${arg}; sq.train(xt); save('t${q}_${si}', faiss.vector_to_array(sq.trained).astype('float32'))\n`;
        names.push(`t${q}_${si}`);
      });
    }
    const out = runFaiss(script, { xt }, names);
    for (const q of [0, 1, 2, 3, 6]) {
      stats.forEach(([rs, arg], si) => {
        const sq = new ScalarQuantizer(d, q as 0, { rangestat: rs as 0, rangestatArg: arg });
        sq.train(xt);
        const want = f32(out[`t${q}_${si}`]);
        expect(Array.from(sq.trained), `qtype ${q} rangestat ${rs} arg ${arg}`).toEqual(Array.from(want));
      });
    }
  });

  for (const metric of ['l2', 'ip'] as const) {
    it(`train + add + search equal FAISS's IndexScalarQuantizer for every qtype (${metric})`, () => {
      const d = 32;
      const nb = 1500;
      const nq = 40;
      const k = 10;
      const xt = clustered(800, d, 1);
      const xb = clustered(nb, d, 2);
      const xq = clustered(nq, d, 3);
      const pos = (x: Float32Array) => Float32Array.from(x, (v) => Math.abs(v) * 10); // 8bit_direct wants [0, 255]
      const script = `
d = ${d}; k = ${k}
for qt in range(7):
    sfx = '_p' if qt == 5 else ''
    xt = load('xt' + sfx, 'float32').reshape(-1, d); xb = load('xb' + sfx, 'float32').reshape(-1, d); xq = load('xq' + sfx, 'float32').reshape(-1, d)
    index = faiss.IndexScalarQuantizer(d, qt, ${metric === 'l2' ? 1 : 0})
    index.train(xt); index.add(xb)
    Dv, Iv = index.search(xq, k)
    save('D%d' % qt, Dv); save('I%d' % qt, Iv); save('codes%d' % qt, faiss.vector_to_array(index.codes))
`;
      const out = runFaiss(script, { xt, xb, xq, xt_p: pos(xt), xb_p: pos(xb), xq_p: pos(xq) }, QTYPES.flatMap((q) => [`D${q}`, `I${q}`, `codes${q}`]));
      for (const qtype of QTYPES) {
        const [t, b, q] = qtype === 5 ? [pos(xt), pos(xb), pos(xq)] : [xt, xb, xq];
        const index = new IndexScalarQuantizer(d, qtype, metric);
        index.trainSync(t);
        index.addSync(b);
        expect(Array.from(index.codes), `qtype ${qtype}: codes`).toEqual(Array.from(u8(out[`codes${qtype}`])));
        const got = index.searchSync(q, k);
        const want = { distances: f32(out[`D${qtype}`]), labels: i64(out[`I${qtype}`]) };
        const dec = index.reconstructN(0, nb);
        const integer = qtype === 5 && d % 16 === 0;
        const qq = integer ? Float32Array.from(q, (v) => Math.trunc(v) & 255) : q;
        let scale = 0;
        for (const v of want.distances) scale = Math.max(scale, Math.abs(v));
        const mism = expectEqualExceptTies(got, want, nq, k, (qi, l) => score(metric, qq, qi, dec, Number(l), d), 1e-5 * scale + 1e-4);
        expect(mism).toBeLessThanOrEqual(nq * k * 0.02);
      }
    });
  }
});

describe('IndexScalarQuantizer recall against exact search', () => {
  const d = 32;
  const nb = 4000;
  const nq = 50;
  const k = 10;
  const xb = clustered(nb, d, 21);
  const xq = clustered(nq, d, 22);
  // thresholds measured on this data with margin
  const minRecall: Record<number, number> = { 0: 0.93, 1: 0.7, 2: 0.93, 3: 0.65, 4: 0.99, 5: 0.99, 6: 0.88 };
  for (const metric of ['l2', 'ip'] as const) {
    for (const qtype of QTYPES) {
      it(`qtype ${qtype} (${metric})`, async () => {
        const [b, q] = qtype === 5 ? [xb.map((v) => Math.round((v + 12) * 10)), xq.map((v) => Math.round((v + 12) * 10))] : [xb, xq];
        const gt = groundTruth(q, b, d, k, metric);
        const index = new IndexScalarQuantizer(d, qtype, metric);
        await index.train(b);
        await index.add(b);
        const r = await index.search(q, k);
        const recall = recallAtK(r.labels, gt, nq, k);
        expect(recall, `recall@10 ${recall}`).toBeGreaterThanOrEqual(minRecall[qtype]);
      });
    }
  }
});

describe('IndexScalarQuantizer contract', () => {
  const d = 16;
  const x = clustered(300, d, 31);
  const xq = clustered(5, d, 32);

  it('needs training (except fp16 / 8bit_direct): NOT_TRAINED, then works', () => {
    const index = new IndexScalarQuantizer(d, 'QT_8bit');
    expect(index.isTrained).toBe(false);
    expect(() => index.addSync(x)).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
    expect(() => index.searchSync(xq, 3)).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
    expect(new IndexScalarQuantizer(d, QuantizerType.QT_fp16).isTrained).toBe(true);
    expect(new IndexScalarQuantizer(d, QuantizerType.QT_8bit_direct).isTrained).toBe(true);
    index.trainSync(x);
    index.addSync(x);
    expect(index.ntotal).toBe(300);
    expect(index.codes.length).toBe(300 * index.codeSize);
  });

  it('rejects bad arguments and leaves the index unchanged', () => {
    expect(() => new IndexScalarQuantizer(d, 9 as 0)).toThrow(MetalFaissError);
    expect(() => new IndexScalarQuantizer(0, 'QT_8bit')).toThrow(MetalFaissError);
    expect(() => new IndexScalarQuantizer(d, 'QT_8bit', 'cosine' as 'l2')).toThrow(MetalFaissError);
    const index = new IndexScalarQuantizer(d, 'QT_6bit');
    index.trainSync(x);
    index.addSync(x);
    const before = index.searchSync(xq, 4);
    expect(() => index.addSync(new Float32Array(d + 1))).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    expect(() => index.addSync(Float32Array.of(...new Array(d).fill(NaN)))).toThrow(MetalFaissError);
    expect(() => index.searchSync(xq, 0)).toThrow(MetalFaissError);
    expect(() => index.rangeSearchSync(xq, NaN)).toThrow(MetalFaissError);
    expect(() => index.reconstruct(300)).toThrow(MetalFaissError);
    expect(() => index.trainSync(new Float32Array(0))).toThrow(MetalFaissError);
    expect(index.ntotal).toBe(300);
    expect(Array.from(index.searchSync(xq, 4).labels)).toEqual(Array.from(before.labels));
  });

  it('reconstruct decodes; removeIds compacts; mergeFrom appends and empties the other', () => {
    const a = new IndexScalarQuantizer(d, 'QT_8bit');
    a.trainSync(x);
    a.addSync(x.subarray(0, 100 * d));
    const b = new IndexScalarQuantizer(d, 'QT_8bit');
    b.sq.setTrained(a.sq.trained);
    b.addSync(x.subarray(100 * d, 300 * d));
    const rec = a.reconstructN(0, 100);
    expect(Array.from(a.reconstruct(7))).toEqual(Array.from(rec.subarray(7 * d, 8 * d)));
    expect(Array.from(a.saDecode(a.saEncode(x.subarray(7 * d, 8 * d))))).toEqual(Array.from(a.reconstruct(7)));
    for (let j = 0; j < d; j++) expect(Math.abs(rec[7 * d + j] - x[7 * d + j])).toBeLessThan(0.1);
    const bRec = b.reconstructN(0, 200);
    a.mergeFrom(b);
    expect(a.ntotal).toBe(300);
    expect(b.ntotal).toBe(0);
    expect(Array.from(a.reconstructN(100, 200))).toEqual(Array.from(bRec));
    const removed = a.removeIds(new IDSelectorRange(10, 20));
    expect(removed).toBe(10);
    expect(a.ntotal).toBe(290);
    expect(Array.from(a.reconstruct(10))).toEqual(Array.from(rec.subarray(20 * d, 21 * d)));
    expect(() => a.mergeFrom(new IndexScalarQuantizer(d, 'QT_4bit') as never)).toThrow(MetalFaissError);
    a.reset();
    expect(a.ntotal).toBe(0);
    expect(a.isTrained).toBe(true);
  });

  it('search with a selector, rangeSearch against the decoded vectors', async () => {
    const index = new IndexScalarQuantizer(d, 'QT_8bit', 'l2');
    index.trainSync(x);
    index.addSync(x);
    const r = index.searchSync(xq, 5, { selector: new IDSelectorRange(50, 120) });
    for (const l of r.labels) expect(l >= 50n && l < 120n).toBe(true);
    const dec = index.reconstructN(0, 300);
    const radius = 30;
    const rr = await index.rangeSearch(xq, radius);
    for (let q = 0; q < 5; q++) {
      const want: number[] = [];
      for (let j = 0; j < 300; j++) if (score('l2', xq, q, dec, j, d) < radius - 1e-3) want.push(j);
      const got = Array.from(rr.labels.subarray(Number(rr.lims[q]), Number(rr.lims[q + 1])), Number);
      for (const j of want) expect(got).toContain(j);
      for (const j of got) expect(score('l2', xq, q, dec, j, d)).toBeLessThan(radius + 1e-3);
    }
  });

  it('async add reports progress and an aborted add changes nothing', async () => {
    const index = new IndexScalarQuantizer(d, 'QT_8bit');
    const seen: QuantizerProgress[] = [];
    await index.train(x, { onProgress: (p) => seen.push(p) });
    expect(seen.at(-1)).toMatchObject({ phase: 'train', done: 1, total: 1 });
    const adds: QuantizerProgress[] = [];
    await index.add(x, { onProgress: (p) => adds.push(p) });
    expect(adds.at(-1)).toMatchObject({ phase: 'add', done: 300, total: 300 });
    const ac = new AbortController();
    const pending = index.add(x, { signal: ac.signal });
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(index.ntotal).toBe(300);
  });

  it('a search started before an add sees the index as it was', async () => {
    const index = new IndexScalarQuantizer(d, 'QT_8bit');
    index.trainSync(x);
    index.addSync(x.subarray(0, 100 * d));
    const expected = index.searchSync(xq, 5);
    const pending = index.search(xq, 5);
    index.addSync(x);
    index.removeIds([0, 1, 2]);
    const got = await pending;
    expect(Array.from(got.labels)).toEqual(Array.from(expected.labels));
  });
});
