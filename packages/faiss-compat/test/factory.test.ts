/**
 * index_factory against FAISS: the same strings build the same structures,
 * and FAISS's recipes build, train, add, save, load (both ways) and search
 * with the recall FAISS gets. ParameterSpace through wrappers.
 */
import { describe, expect, it } from 'vitest';
import * as ix from '@metalfaiss/indexes';
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
const xb = rand(4000 * d, 41).map((v, i) => v / (1 + (i % d) / 6));
const xq = rand(50 * d, 42).map((v, i) => v / (1 + (i % d) / 6));

/** The exported name of an object's class (bundlers may rename classes internally). */
function exportedName(obj: object): string {
  const proto = Object.getPrototypeOf(obj);
  for (const [name, value] of Object.entries(ix)) if (typeof value === 'function' && value.prototype === proto) return name;
  return obj.constructor.name;
}

/** FAISS-style structure: class names down the wrapper chain. */
function describe_(impl: object): string {
  // FAISS 1.7.3's downcast_index knows no IndexRefineFlat and builds a plain IndexFlat for 'Flat'
  const name = exportedName(impl).replace(/^(IndexFlat)(L2|IP)$/, '$1').replace(/^IndexRefineFlat$/, 'IndexRefine');
  if (impl instanceof ix.IndexIDMap) return `${name}(${describe_(impl.index)})`;
  if (impl instanceof ix.IndexPreTransform) {
    return `${name}[${impl.chain.map((t) => `${exportedName(t)}:${t.dIn}>${t.dOut}`).join(',')}](${describe_(impl.index)})`;
  }
  if (impl instanceof ix.IndexRefine) return `${name}(${describe_(impl.baseIndex)};${describe_(impl.refineIndex)})`;
  return `${name}:${(impl as ix.Index).d}`;
}

const pyDescribe = `
def describe(orig):
    idx = faiss.downcast_index(orig)
    name = type(idx).__name__
    if name in ('IndexFlatL2', 'IndexFlatIP'): name = 'IndexFlat'
    if isinstance(idx, (faiss.IndexIDMap, faiss.IndexIDMap2)): return '%s(%s)' % (name, describe(idx.index))
    if isinstance(idx, faiss.IndexPreTransform):
        ch = [faiss.downcast_VectorTransform(idx.chain.at(i)) for i in range(idx.chain.size())]
        return '%s[%s](%s)' % (name, ','.join('%s:%d>%d' % (type(t).__name__, t.d_in, t.d_out) for t in ch), describe(idx.index))
    if isinstance(idx, faiss.IndexRefine): return '%s(%s;%s)' % (name, describe(idx.base_index), describe(idx.refine_index))
    return '%s:%d' % (name, idx.d)
`;

/** Strings whose classes all exist here now; more join as the families land. */
function buildable(s: string, metric = faiss.METRIC_L2): boolean {
  try {
    faiss.index_factory(d, s, metric);
    return true;
  } catch (e) {
    if ((e as faiss.MetalFaissError).code !== 'UNSUPPORTED') throw e;
    return false;
  }
}

const RECIPES: Array<[string, number]> = [
  ['Flat', 1],
  ['IDMap,Flat', 1],
  ['Flat,IDMap2', 0],
  ['PCA16,Flat', 1],
  ['PCAW16,Flat', 1],
  ['PCAR16,Flat', 1],
  ['PCAWR16,Flat', 1],
  ['L2norm,Flat', 0],
  ['RR32,Flat', 1],
  ['RR16,Flat', 1],
  ['ITQ16,Flat', 1],
  ['Pad40,Flat', 1],
  ['PCA16,L2norm,RR16,Flat', 0],
  ['PCA8,Flat,RFlat', 1],
  ['PCA8,Flat,Refine(Flat)', 1],
  ['IDMap2,PCA16,Flat,RFlat', 1],
  ['PCA16,Flat,IDMap', 1],
  ['PCA8,Flat,RFlat,IDMap2', 1],
  ['IVF32,Flat', 1],
  ['IVF32,Flat', 0],
  ['IVF32_HNSW16,Flat', 1],
  ['IVF32,PQ8', 1],
  ['IVF32,PQ8x4np', 1],
  ['IVF32,SQ8', 1],
  ['IVF32,SQfp16', 0],
  ['PQ8', 1],
  ['SQ8', 1],
  ['SQ4', 0],
  ['HNSW16', 1],
  ['HNSW16,SQ8', 1],
  ['HNSW16_PQ8', 1],
  ['LSH', 1],
  ['OPQ8,IVF32,PQ8', 1],
  ['OPQ8_16,IVF32,PQ8', 1],
  ['PCA16,IVF32,Flat,RFlat', 1],
];

describe('index_factory', () => {
  it('builds compat objects; wrappers expose their parts', () => {
    // FAISS 1.7.3 applies a trailing RFlat first: IndexRefineFlat(IndexIDMap2(IndexPreTransform(...)))
    const idx = faiss.index_factory(d, 'IDMap2,PCA16,Flat,RFlat') as faiss.IndexRefineFlat;
    expect(idx).toBeInstanceOf(faiss.IndexRefineFlat);
    expect(idx.base_index).toBeInstanceOf(faiss.IndexIDMap2);
    expect((idx.base_index as faiss.IndexIDMap2).index).toBeInstanceOf(faiss.IndexPreTransform);
    expect(faiss.downcast_index(idx)).toBeInstanceOf(faiss.IndexRefineFlat);
    expect(() => faiss.index_factory(d, 'IVF32,PQ8y')).toThrow(/unknown code 'PQ8y' at position 6/);
  });

  it.skipIf(!faissAvailable())('builds the structures FAISS builds for every string it can build here', () => {
    const ok = RECIPES.filter(([s, m]) => buildable(s, m));
    expect(ok.length).toBeGreaterThanOrEqual(15);
    const script = `${pyDescribe}
import json
cases = json.loads(${JSON.stringify(JSON.stringify(ok))})
built = [faiss.index_factory(32, s, m) for s, m in cases]  # kept alive: downcasts do not own
out = [describe(b) for b in built]
open(D + '/out.bin', 'w').write(json.dumps(out))
`;
    const theirs = JSON.parse(runFaiss(script, {}, ['out']).out.toString()) as string[];
    ok.forEach(([s, m], i) => {
      const ours = describe_(faiss.index_factory(d, s, m).impl);
      expect(ours, s).toBe(theirs[i]);
    });
  });

  it.skipIf(!faissAvailable())('FAISS recipes build, train, add, round-trip through files both ways and search as FAISS does', () => {
    const ok = RECIPES.filter(([s, m]) => buildable(s, m) && !s.includes('IDMap') && !/ITQ|PCAR|PCAWR|RR|OPQ|PQ|LSH|HNSW|IVF|SQ/.test(s));
    // deterministic recipes: FAISS builds the same index from the same data (up to PCA axis signs)
    const script = `
import json
xb = load('xb', 'float32').reshape(-1, 32); xq = load('xq', 'float32').reshape(-1, 32)
cases = json.loads(${JSON.stringify(JSON.stringify(ok))})
for i, (s, m) in enumerate(cases):
    index = faiss.index_factory(32, s, m); index.train(xb); index.add(xb)
    Dv, Iv = index.search(xq, 10); save('D%d' % i, Dv); save('I%d' % i, Iv)
    faiss.write_index(index, D + '/f%d.bin' % i)
`;
    const out = runFaiss(script, { xb, xq }, ok.flatMap((_, i) => [`D${i}`, `I${i}`, `f${i}`]));
    const ourFiles: Record<string, Uint8Array> = {};
    const ourResults: Array<[Float32Array, BigInt64Array]> = [];
    ok.forEach(([s, m], i) => {
      const ours = faiss.index_factory(d, s, m);
      ours.train(xb);
      ours.add(xb);
      const [D, I] = ours.search(xq, 10);
      ourResults.push([D, I]);
      // same neighbours as FAISS (PCA axis signs do not change distances)
      const FI = asI64(out[`I${i}`]);
      let same = 0;
      for (let j = 0; j < I.length; j++) if (I[j] === FI[j]) same++;
      expect(same / I.length, s).toBeGreaterThan(0.97);
      // FAISS's file loads here with FAISS's results
      const theirs = faiss.deserialize_index(new Uint8Array(out[`f${i}`]));
      expect(theirs.search(xq, 10)[1], s).toEqual(FI);
      ourFiles[`o${i}_file`] = faiss.serialize_index(ours);
    });
    const back = runFaiss(
      `import json
xq = load('xq', 'float32').reshape(-1, 32)
for i in range(${ok.length}):
    index = faiss.read_index(D + '/o%d_file.bin' % i); Dv, Iv = index.search(xq, 10); save('I%d' % i, Iv); save('D%d' % i, Dv)`,
      { xq, ...ourFiles },
      ok.flatMap((_, i) => [`I${i}`, `D${i}`]),
    );
    ok.forEach(([s], i) => {
      expect(asI64(back[`I${i}`]), s).toEqual(ourResults[i][1]);
      const FD = asF32(back[`D${i}`]);
      for (let j = 0; j < FD.length; j++) expect(ourResults[i][0][j]).toBeCloseTo(FD[j], 3);
    });
  });
});

describe('ParameterSpace', () => {
  it('reaches through IDMap, PreTransform, Refine, Shards and Replicas', () => {
    const ps = new faiss.ParameterSpace();
    // IndexPreTransform(IndexIDMap2(IndexRefineFlat(IndexFlat)))
    const idx = faiss.index_factory(d, 'PCA16,Flat,RFlat,IDMap2') as faiss.IndexPreTransform;
    const refine = (idx.index as faiss.IndexIDMap2).index as faiss.IndexRefineFlat;
    expect(refine).toBeInstanceOf(faiss.IndexRefineFlat);
    ps.set_index_parameter(idx, 'k_factor_rf', 8);
    expect(refine.k_factor).toBe(8);
    ps.set_index_parameters(idx, 'k_factor_rf=4');
    expect(refine.k_factor).toBe(4);
    expect(() => ps.set_index_parameter(idx, 'nprobe', 8)).toThrow(/unknown parameter nprobe for IndexFlat/);
    expect(() => ps.set_index_parameters(idx, 'k_factor_rf=5,oops')).toThrow(/name=value at position 14/);
    expect(refine.k_factor).toBe(4);
    const shards = new faiss.IndexShards(d);
    const r1 = new faiss.IndexRefineFlat(new faiss.IndexFlatL2(d));
    const r2 = new faiss.IndexRefineFlat(new faiss.IndexFlatL2(d));
    shards.add_shard(r1);
    shards.add_shard(r2);
    ps.set_index_parameter(shards, 'k_factor_rf', 3);
    expect([r1.k_factor, r2.k_factor]).toEqual([3, 3]);
    expect(() => faiss.extract_index_ivf(idx)).toThrow(/expected an IVF index/);
    expect(() => faiss.setNumProbes(idx, 4)).toThrow(faiss.MetalFaissError);
  });

  it('sets nprobe / quantizer parameters on IVF indexes inside wrappers (when IVF is available)', () => {
    if (!buildable('IVF32,Flat')) return;
    const idx = faiss.index_factory(d, 'PCA16,IVF32,Flat');
    const ps = new faiss.ParameterSpace();
    ps.set_index_parameters(idx, 'nprobe=7');
    const ivf = faiss.extract_index_ivf(idx) as unknown as { impl: { nprobe: number } };
    expect(ivf.impl.nprobe).toBe(7);
    faiss.setNumProbes(idx, 3);
    expect(ivf.impl.nprobe).toBe(3);
    expect(() => ps.set_index_parameter(idx, 'nprobe', 0)).toThrow(/>= 1/);
  });

  it('sets efSearch on HNSW, quantizer_efSearch on an IVF with an HNSW quantizer, and refuses unsupported values', () => {
    const ps = new faiss.ParameterSpace();
    if (buildable('HNSW16')) {
      const h = faiss.index_factory(d, 'IDMap,HNSW16');
      ps.set_index_parameters(h, 'efSearch=77');
      const inner = (h as unknown as { index: { impl: { hnsw: { efSearch: number } } } }).index;
      expect(inner.impl.hnsw.efSearch).toBe(77);
    }
    if (buildable('IVF32_HNSW16,Flat')) {
      const q = faiss.index_factory(d, 'IVF32_HNSW16,Flat');
      ps.set_index_parameters(q, 'nprobe=5,quantizer_efSearch=40');
      const ivf = q as unknown as { impl: { nprobe: number; quantizer: { hnsw: { efSearch: number } } } };
      expect(ivf.impl.nprobe).toBe(5);
      expect(ivf.impl.quantizer.hnsw.efSearch).toBe(40);
      ps.set_index_parameter(q, 'efSearch', 41);
      expect(ivf.impl.quantizer.hnsw.efSearch).toBe(41);
    }
    if (buildable('IVF32,PQ8')) {
      const pq = faiss.index_factory(d, 'IVF32,PQ8');
      ps.set_index_parameter(pq, 'ht', 0);
      expect(() => ps.set_index_parameter(pq, 'ht', 12)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
      expect(() => ps.set_index_parameter(pq, 'efSearch', 12)).toThrow(/unknown parameter efSearch/);
    }
  });
});
