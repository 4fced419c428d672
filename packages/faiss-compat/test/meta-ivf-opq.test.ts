/** IndexIVFOPQ and OPQ,IVF,PQ pipelines through files, both ways, against FAISS; ParameterSpace through them. */
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { asF32, asI64, faissAvailable, runFaiss } from './faiss-oracle';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return x;
}

const d = 32;
const xb = rand(5000 * d, 51).map((v, i) => v * 2 ** (-(i % d) / 4));
const xq = rand(40 * d, 52).map((v, i) => v * 2 ** (-(i % d) / 4));

describe('IndexIVFOPQ', () => {
  it('is an IndexPreTransform with opq / ivfpq / nprobe; ParameterSpace and extract_index_ivf reach the IVF-PQ', () => {
    const index = new faiss.IndexIVFOPQ(d, 16, 8, 8, faiss.METRIC_L2, 16);
    (index.opq as faiss.OPQMatrix).niter = 5;
    index.train(xb);
    index.add(xb);
    expect(index.chain[0]).toBe(index.opq);
    expect(index.ivfpq.d).toBe(16);
    new faiss.ParameterSpace().set_index_parameters(index, 'nprobe=6');
    expect(index.nprobe).toBe(6);
    expect(faiss.extract_index_ivf(index)).toBeInstanceOf(faiss.IndexIVFPQ);
    const back = faiss.deserialize_index(faiss.serialize_index(index));
    expect(back).toBeInstanceOf(faiss.IndexPreTransform);
    expect(back.search(xq, 5)).toEqual(index.search(xq, 5));
  });

  it.skipIf(!faissAvailable())('our IndexIVFOPQ loads in FAISS with our results, and FAISS\'s OPQ,IVF,PQ loads here with FAISS\'s', () => {
    const ours = new faiss.IndexIVFOPQ(d, 16, 8, 8);
    (ours.opq as faiss.OPQMatrix).niter = 4;
    ours.train(xb);
    ours.add(xb);
    ours.nprobe = 4;
    const [D, I] = ours.search(xq, 10);
    const out = runFaiss(
      `faiss.omp_set_num_threads(1)
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32)
index = faiss.read_index(D + '/ours.bin')
Dv, Iv = index.search(xq, 10); save('oD', Dv); save('oI', Iv)
t = faiss.index_factory(32, 'OPQ8_16,IVF16,PQ8np')
faiss.downcast_VectorTransform(t.chain.at(0)).niter = 4
t.train(xb); t.add(xb)
faiss.ParameterSpace().set_index_parameter(t, 'nprobe', 4)
Dv, Iv = t.search(xq, 10); save('tD', Dv); save('tI', Iv)
faiss.write_index(t, D + '/theirs.bin'); import shutil; shutil.copy(D + '/theirs.bin', D + '/theirs_file.bin')
`,
      { xb, xq, ours: faiss.serialize_index(ours) },
      ['oD', 'oI', 'tD', 'tI', 'theirs_file'],
    );
    expect(asI64(out.oI)).toEqual(I);
    const oD = asF32(out.oD);
    for (let i = 0; i < D.length; i++) expect(D[i]).toBeCloseTo(oD[i], 3);
    const theirs = faiss.deserialize_index(new Uint8Array(out.theirs_file));
    expect(theirs).toBeInstanceOf(faiss.IndexPreTransform);
    const [tD, tI] = theirs.search(xq, 10);
    expect(tI).toEqual(asI64(out.tI));
    const fD = asF32(out.tD);
    for (let i = 0; i < tD.length; i++) expect(tD[i]).toBeCloseTo(fD[i], 3);
  });
});
