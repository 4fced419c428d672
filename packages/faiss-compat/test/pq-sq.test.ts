/**
 * The FAISS-named product / scalar quantizer classes: FAISS's constants and
 * field names, and behaviour against real FAISS through the same calls.
 */
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { asF32, asI64, faissAvailable, runFaiss } from './faiss-oracle';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296 - 0.5 + (i % 7) * 0.1;
  }
  return x;
}

describe('faiss.ScalarQuantizer / IndexScalarQuantizer / IndexIVFScalarQuantizer', () => {
  it('has FAISS constants and fields', () => {
    expect([faiss.ScalarQuantizer.QT_8bit, faiss.ScalarQuantizer.QT_4bit, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.ScalarQuantizer.QT_4bit_uniform, faiss.ScalarQuantizer.QT_fp16, faiss.ScalarQuantizer.QT_8bit_direct, faiss.ScalarQuantizer.QT_6bit]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([faiss.ScalarQuantizer.RS_minmax, faiss.ScalarQuantizer.RS_meanstd, faiss.ScalarQuantizer.RS_quantiles, faiss.ScalarQuantizer.RS_optim]).toEqual([0, 1, 2, 3]);
    const sq = new faiss.ScalarQuantizer(10, faiss.ScalarQuantizer.QT_4bit);
    expect(sq.code_size).toBe(5);
    sq.rangestat = faiss.ScalarQuantizer.RS_meanstd;
    sq.rangestat_arg = 3;
    const x = rand(300, 1);
    sq.train(x);
    expect(sq.trained.length).toBe(20);
    const codes = sq.compute_codes(x);
    expect(codes.length).toBe(150);
    expect(sq.decode(codes).length).toBe(300);
  });

  it('IndexIVFScalarQuantizer(quantizer, d, nlist, qtype, metric) searches like FAISS', () => {
    const d = 16;
    const xb = rand(3000 * d, 2);
    const xq = rand(20 * d, 3);
    const quantizer = new faiss.IndexFlatL2(d);
    const index = new faiss.IndexIVFScalarQuantizer(quantizer, d, 16, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_L2);
    expect(index.quantizer).toBe(quantizer);
    expect(index.by_residual).toBe(true);
    index.train(xb);
    index.add(xb);
    index.nprobe = 16;
    expect(index.nprobe).toBe(16);
    expect(index.sq.trained.length).toBe(2 * d);
    const [D, I] = index.search(xq, 5);
    const flat = new faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit);
    flat.train(xb);
    flat.add(xb);
    const [, I2] = flat.search(xq, 5);
    let same = 0;
    for (let i = 0; i < I.length; i++) if (I[i] === I2[i]) same++;
    expect(same).toBeGreaterThanOrEqual(I.length * 0.8); // all lists probed: the residual codec ranks like the flat one
    expect(D.length).toBe(100);
  });
});

describe('faiss.ProductQuantizer / IndexPQ / IndexIVFPQ', () => {
  it('ProductQuantizer fields and codes', () => {
    const pq = new faiss.ProductQuantizer(16, 4, 6);
    expect([pq.M, pq.nbits, pq.dsub, pq.ksub, pq.code_size]).toEqual([4, 6, 4, 64, 3]);
    const x = rand(1000 * 16, 4);
    pq.cp.niter = 5;
    pq.train(x);
    const codes = pq.compute_codes(x);
    expect(codes.length).toBe(3000);
    expect(pq.decode(codes).length).toBe(16000);
    expect(pq.compute_distance_tables(x.subarray(0, 16)).length).toBe(4 * 64);
    const c = pq.centroids;
    pq.centroids = c;
    expect(pq.centroids).toEqual(c);
  });

  it('IndexPQ search types: ST_PQ searches, others are UNSUPPORTED', () => {
    const index = new faiss.IndexPQ(8, 2, 4);
    index.train(rand(500 * 8, 5));
    index.add(rand(100 * 8, 6));
    expect(index.search(rand(8, 7), 3)[1].length).toBe(3);
    index.search_type = faiss.IndexPQ.ST_SDC;
    expect(() => index.search(rand(8, 7), 3)).toThrow(/ST_SDC/);
  });

  it.skipIf(!faissAvailable())('IndexIVFPQ(quantizer, d, nlist, M, nbits) trained like FAISS reaches FAISS recall', () => {
    const d = 32;
    const xb = rand(5000 * d, 8);
    const xq = rand(50 * d, 9);
    const out = runFaiss(
      `
faiss.omp_set_num_threads(1)
d = 32
xb = load('xb', 'float32').reshape(-1, d); xq = load('xq', 'float32').reshape(-1, d)
index = faiss.IndexIVFPQ(faiss.IndexFlatL2(d), d, 20, 8, 8)
index.train(xb); index.add(xb); index.nprobe = 4
Dv, Iv = index.search(xq, 10); save('I', Iv)
flat = faiss.IndexFlatL2(d); flat.add(xb); Dg, Ig = flat.search(xq, 10); save('G', Ig)
`,
      { xb, xq },
      ['I', 'G'],
    );
    const index = new faiss.IndexIVFPQ(new faiss.IndexFlatL2(d), d, 20, 8, 8);
    index.train(xb);
    expect(index.use_precomputed_table).toBe(1);
    index.add(xb);
    index.nprobe = 4;
    const [, I] = index.search(xq, 10);
    const gt = asI64(out.G);
    const recall = (labels: BigInt64Array) => {
      let hit = 0;
      for (let q = 0; q < 50; q++) {
        const t = new Set(Array.from(gt.subarray(q * 10, q * 10 + 10)));
        for (let e = 0; e < 10; e++) if (t.has(labels[q * 10 + e])) hit++;
      }
      return hit / 500;
    };
    const ours = recall(I);
    const theirs = recall(asI64(out.I));
    expect(ours).toBeGreaterThanOrEqual(theirs - 0.03);
    void asF32;
  });
});

describe('faiss.IndexFlatCodes (the base of IndexPQ and IndexScalarQuantizer) and IVF-PQ / IVF-SQ train_async progress', () => {
  it('IndexPQ and IndexScalarQuantizer share sa_encode / sa_decode / codes / merge_from', () => {
    const d = 16;
    const x = rand(600 * d, 11);
    for (const make of [() => new faiss.IndexPQ(d, 4, 6), () => new faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit)]) {
      const a = make();
      const b = make();
      a.train(x);
      b.train(x);
      expect(a.sa_code_size()).toBe(a.code_size);
      a.add(x.subarray(0, 300 * d));
      b.add(x.subarray(300 * d));
      const codes = a.sa_encode(x.subarray(300 * d));
      expect(codes).toEqual(b.codes); // same training data: the same codec
      expect(a.sa_decode(codes)).toEqual(b.reconstruct_n(0, 300));
      a.merge_from(b as never);
      expect([a.ntotal, b.ntotal]).toEqual([600, 0]);
      expect(a.codes.subarray(300 * a.code_size)).toEqual(codes);
    }
  });

  it('train_async reports the coarse k-means iterations, then the codec steps', async () => {
    const d = 16;
    const x = rand(2000 * d, 12);
    const pq = new faiss.IndexIVFPQ(new faiss.IndexFlatL2(d), d, 8, 4, 4);
    const sq = new faiss.IndexIVFScalarQuantizer(new faiss.IndexFlatL2(d), d, 8, faiss.ScalarQuantizer.QT_8bit);
    for (const index of [pq, sq]) {
      index.cp.niter = 2;
      const steps: string[] = [];
      await index.train_async(x, { onProgress: (p) => steps.push(`${p.step}:${p.done}/${p.total}`) });
      expect(index.is_trained).toBe(true);
      expect(steps.slice(0, 3)).toEqual(index === pq
        ? ['coarse quantizer:1/7', 'coarse quantizer:2/7', 'codec:2/7']
        : ['coarse quantizer:1/3', 'coarse quantizer:2/3', 'codec:2/3']);
      expect(steps.slice(3)).toEqual(index === pq
        ? ['sub-quantizer 1/4:2/7', 'sub-quantizer 2/4:3/7', 'sub-quantizer 3/4:4/7', 'sub-quantizer 4/4:5/7', 'precomputed table:6/7', 'done:7/7']
        : ['scalar quantizer ranges:2/3', 'done:3/3']);
    }
  });
});
