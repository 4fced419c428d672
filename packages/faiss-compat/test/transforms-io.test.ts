/**
 * Vector transforms and composite indexes (IndexPreTransform, IndexRefineFlat)
 * through FAISS's file format, both ways, against real FAISS.
 */
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
// a decaying spectrum so that PCA is meaningful
const xb = rand(3000 * d, 31).map((v, i) => v / (1 + (i % d) / 4) + 0.1);
const xq = rand(25 * d, 32).map((v, i) => v / (1 + (i % d) / 4) + 0.1);

function expectSameResults(ours: [Float32Array, BigInt64Array], D: Float32Array, I: BigInt64Array, digits = 3): void {
  expect(ours[1]).toEqual(I);
  for (let i = 0; i < D.length; i++) expect(ours[0][i]).toBeCloseTo(D[i], digits);
}

describe('transforms and composites, ours', () => {
  it('round trip through bytes: PCA, whitening + rotation, L2 norm, centring, remap, refine', () => {
    const builds: Array<() => faiss.Index> = [
      () => new faiss.IndexPreTransform(new faiss.PCAMatrix(d, 8), new faiss.IndexFlatL2(8)),
      () => new faiss.IndexPreTransform(new faiss.PCAMatrix(d, 8, -0.5, true), new faiss.IndexFlatL2(8)),
      () => {
        const i = new faiss.IndexPreTransform(new faiss.NormalizationTransform(d), new faiss.IndexFlatIP(d));
        i.prepend_transform(new faiss.CenteringTransform(d));
        return i;
      },
      () => new faiss.IndexPreTransform(new faiss.RemapDimensionsTransform(d, 40, true), new faiss.IndexFlatL2(40)),
      () => new faiss.IndexPreTransform(new faiss.RandomRotationMatrix(d, 16), new faiss.IndexFlatL2(16)),
      () => new faiss.IndexRefineFlat(new faiss.IndexPreTransform(new faiss.PCAMatrix(d, 4), new faiss.IndexFlatL2(4))),
      () => new faiss.IndexPreTransform(new faiss.ITQTransform(d, 16, true), new faiss.IndexFlatL2(16)),
      () => {
        const opq = new faiss.OPQMatrix(d, 4, 16);
        opq.niter = 5;
        return new faiss.IndexPreTransform(opq, new faiss.IndexFlatL2(16));
      },
    ];
    for (const build of builds) {
      const index = build();
      index.train(xb);
      index.add(xb);
      const bytes = faiss.serialize_index(index);
      const back = faiss.deserialize_index(bytes);
      expect(back.constructor).toBe(index.constructor);
      expect(back.search(xq, 5)).toEqual(index.search(xq, 5));
      expect(Buffer.from(faiss.serialize_index(back)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('exposes chain, index, base_index and k_factor as FAISS Python does', () => {
    const pt = new faiss.IndexPreTransform(new faiss.PCAMatrix(d, 8), new faiss.IndexFlatL2(8));
    pt.train(xb);
    const pca = pt.chain[0] as faiss.PCAMatrix;
    expect(pca).toBeInstanceOf(faiss.PCAMatrix);
    expect(pt.chain[0]).toBe(pca);
    expect(pca.eigenvalues.length).toBe(d);
    expect(faiss.vector_to_array(pca.A).length).toBe(8 * d);
    expect(pt.index).toBeInstanceOf(faiss.IndexFlatL2);
    const rf = new faiss.IndexRefineFlat(pt);
    rf.k_factor = 4;
    expect(rf.base_index).toBe(pt);
    expect(() => (rf.k_factor = 0)).toThrow(faiss.MetalFaissError);
    const shards = new faiss.IndexShards(d);
    expect(() => faiss.serialize_index(shards)).toThrow(/no IndexShards/);
  });
});

const writeScript = `
faiss.omp_set_num_threads(1)  # FAISS's OpenMP threads spin on a busy 2-core machine
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32)
idx = {}
opq = faiss.OPQMatrix(32, 8, 16); opq.niter = 8; idx['opq'] = faiss.IndexPreTransform(opq, faiss.IndexFlatL2(16))
idx['pca'] = faiss.index_factory(32, 'PCA8,Flat')
idx['pcawr'] = faiss.index_factory(32, 'PCAWR8,Flat')
idx['l2n'] = faiss.index_factory(32, 'L2norm,Flat', faiss.METRIC_INNER_PRODUCT)
idx['rr'] = faiss.index_factory(32, 'RR32,Flat')
c = faiss.IndexPreTransform(faiss.CenteringTransform(32), faiss.IndexFlatL2(32)); idx['cnt'] = c
idx['remap'] = faiss.IndexPreTransform(faiss.RemapDimensionsTransform(32, 24, True), faiss.IndexFlatL2(24))
rf = faiss.IndexRefineFlat(faiss.index_factory(32, 'PCA4,Flat')); rf.k_factor = 3; idx['refine'] = rf
itq = faiss.IndexPreTransform(faiss.ITQTransform(32, 16, True), faiss.IndexFlatL2(16)); idx['itq'] = itq
bal = faiss.PCAMatrix(32, 8); bal.balanced_bins = 4; idx['bal'] = faiss.IndexPreTransform(bal, faiss.IndexFlatL2(8))
for name, index in idx.items():
    index.train(xb); index.add(xb)
    faiss.write_index(index, D + '/' + name + '.bin')
    Dv, Iv = index.search(xq, 5)
    save(name + '_D', Dv); save(name + '_I', Iv)
`;

describe.skipIf(!faissAvailable())('interop with real FAISS', () => {
  const names = ['pca', 'pcawr', 'l2n', 'rr', 'cnt', 'remap', 'refine', 'itq', 'bal', 'opq'];

  it('FAISS-written transform chains and refine indexes load here with FAISS results and write back byte for byte', () => {
    const out = runFaiss(writeScript, { xb, xq }, names.flatMap((n) => [n, `${n}_D`, `${n}_I`]));
    for (const name of names) {
      const bytes = new Uint8Array(out[name]);
      const index = faiss.deserialize_index(bytes);
      expect(index.ntotal).toBe(3000);
      expectSameResults(index.search(xq, 5), asF32(out[`${name}_D`]), asI64(out[`${name}_I`]));
      expect(Buffer.from(faiss.serialize_index(index)).equals(Buffer.from(bytes))).toBe(true);
    }
    const rf = faiss.deserialize_index(new Uint8Array(out.refine)) as faiss.IndexRefineFlat;
    expect(rf).toBeInstanceOf(faiss.IndexRefineFlat);
    expect(rf.k_factor).toBe(3);
  });

  it('indexes trained here load in FAISS with our results', () => {
    const ours: Record<string, faiss.Index> = {
      pca: new faiss.IndexPreTransform(new faiss.PCAMatrix(d, 8), new faiss.IndexFlatL2(8)),
      pcaw: new faiss.IndexPreTransform(new faiss.PCAMatrix(d, 8, -0.5), new faiss.IndexFlatL2(8)),
      rr: new faiss.IndexPreTransform(new faiss.RandomRotationMatrix(d, d), new faiss.IndexFlatL2(d)),
      l2n: new faiss.IndexPreTransform(new faiss.NormalizationTransform(d), new faiss.IndexFlatIP(d)),
      refine: new faiss.IndexRefineFlat(new faiss.IndexPreTransform(new faiss.PCAMatrix(d, 4), new faiss.IndexFlatL2(4))),
      itq: new faiss.IndexPreTransform(new faiss.ITQTransform(d, 16, true), new faiss.IndexFlatL2(16)),
      opq: faiss.index_factory(d, 'OPQ8_16,Flat'),
    };
    (ours.refine as faiss.IndexRefineFlat).k_factor = 4;
    const inputs: Record<string, Uint8Array | Float32Array> = { xq };
    const results: Record<string, [Float32Array, BigInt64Array]> = {};
    for (const [name, index] of Object.entries(ours)) {
      index.train(xb);
      index.add(xb);
      inputs[`${name}_file`] = faiss.serialize_index(index);
      results[name] = index.search(xq, 5);
    }
    const script = `
xq = load('xq', 'float32').reshape(-1, 32)
for name in ${JSON.stringify(Object.keys(ours))}:
    index = faiss.read_index(D + '/' + name + '_file.bin')
    Dv, Iv = index.search(xq, 5)
    save(name + '_D', Dv); save(name + '_I', Iv)
`;
    const out = runFaiss(script, inputs, Object.keys(ours).flatMap((n) => [`${n}_D`, `${n}_I`]));
    for (const name of Object.keys(ours)) expectSameResults(results[name], asF32(out[`${name}_D`]), asI64(out[`${name}_I`]));
  });

  it('PCA trained here matches FAISS-trained PCA (eigenvalues; search results on the same data)', () => {
    const out = runFaiss(
      `xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32)
p = faiss.PCAMatrix(32, 8); p.train(xb); save('ev', faiss.vector_to_array(p.eigenvalues))
index = faiss.IndexPreTransform(p, faiss.IndexFlatL2(8)); index.add(xb); Dv, Iv = index.search(xq, 5); save('D', Dv); save('I', Iv)`,
      { xb, xq },
      ['ev', 'D', 'I'],
    );
    const index = new faiss.IndexPreTransform(new faiss.PCAMatrix(d, 8), new faiss.IndexFlatL2(8));
    index.train(xb);
    index.add(xb);
    const ev = asF32(out.ev);
    const ours = (index.chain[0] as faiss.PCAMatrix).eigenvalues;
    for (let i = 0; i < d; i++) expect(ours[i] / ev[0]).toBeCloseTo(ev[i] / ev[0], 4);
    expectSameResults(index.search(xq, 5), asF32(out.D), asI64(out.I), 3);
  });
});
