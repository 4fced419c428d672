/**
 * index_factory / index_binary_factory wiring (issue #6): every string of the
 * issue builds the classes FAISS builds for it (structure down the wrapper
 * chain, with the parameters that matter), the newly wired families
 * (HNSW over PQ / SQ storage, binary IVF) train, add and search with recall
 * against exact ground truth, and refusals name the token and its position.
 */
import { describe, expect, it } from 'vitest';
import * as ix from '../src/index';
import { clustered, exactHamming, exactKnn, normalized, recallAt, rng } from './hnsw-helpers';

function err(f: () => unknown): ix.MetalFaissError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ix.MetalFaissError);
    return e as ix.MetalFaissError;
  }
  throw new Error('expected a MetalFaissError');
}

/** The exported name of an object's class. */
function nameOf(obj: object): string {
  const proto = Object.getPrototypeOf(obj);
  for (const [name, value] of Object.entries(ix)) if (typeof value === 'function' && value.prototype === proto) return name;
  return obj.constructor.name;
}

const SQ_NAMES = ['QT_8bit', 'QT_4bit', 'QT_8bit_uniform', 'QT_4bit_uniform', 'QT_fp16', 'QT_8bit_direct', 'QT_6bit'];

/** A compact description of what was built: classes, quantizers, codec parameters. */
function structure(o: object): string {
  const n = nameOf(o);
  if (o instanceof ix.IndexIDMap) return `${n}(${structure(o.index)})`;
  if (o instanceof ix.IndexBinaryIDMap) return `${n}(${structure(o.index)})`;
  if (o instanceof ix.IndexPreTransform) return `${n}[${o.chain.map((t) => `${nameOf(t)}:${t.dIn}>${t.dOut}`).join(',')}](${structure(o.index)})`;
  if (o instanceof ix.IndexRefine) return `${n}(${structure(o.baseIndex)};${structure(o.refineIndex)})`;
  if (o instanceof ix.IndexIVFPQ) return `${n}:${o.nlist}:PQ${o.pq.M}x${o.pq.nbits}(${structure(o.quantizer)})/${o.quantizerTrainsAlone}`;
  if (o instanceof ix.IndexIVFScalarQuantizer) return `${n}:${o.nlist}:${SQ_NAMES[o.sq.qtype]}(${structure(o.quantizer)})/${o.quantizerTrainsAlone}`;
  if (o instanceof ix.IndexIVF) return `${n}:${o.nlist}(${structure(o.quantizer)})/${o.quantizerTrainsAlone}`;
  if (o instanceof ix.IndexHNSWPQ) return `${n}:${o.hnsw.M}:PQ${o.pq.M}x${o.pq.nbits}`;
  if (o instanceof ix.IndexHNSWSQ) return `${n}:${o.hnsw.M}:${SQ_NAMES[o.sq.qtype]}`;
  if (o instanceof ix.IndexHNSW) return `${n}:${o.hnsw.M}`;
  if (o instanceof ix.IndexBinaryIVF) return `${n}:${o.nlist}(${structure(o.quantizer)})`;
  if (o instanceof ix.IndexBinaryHNSW) return `${n}:${o.hnsw.M}`;
  if (o instanceof ix.IndexPQ) return `${n}:PQ${o.pq.M}x${o.pq.nbits}`;
  if (o instanceof ix.IndexScalarQuantizer) return `${n}:${SQ_NAMES[o.sq.qtype]}`;
  if (o instanceof ix.IndexLSH) return `${n}:${o.nbits}`;
  return `${n}:${(o as { d: number }).d}`;
}

const d = 32;

/** [description, metric, expected structure]: every form issue #6 lists. */
const FLOAT_CASES: Array<[string, 'l2' | 'ip', string]> = [
  ['Flat', 'l2', 'IndexFlat:32'],
  ['IVF64,Flat', 'l2', 'IndexIVFFlat:64(IndexFlat:32)/0'],
  ['IVF64,Flat', 'ip', 'IndexIVFFlat:64(IndexFlat:32)/0'],
  ['IVF64,PQ8', 'l2', 'IndexIVFPQ:64:PQ8x8(IndexFlat:32)/0'],
  ['IVF64,PQ16x4', 'l2', 'IndexIVFPQ:64:PQ16x4(IndexFlat:32)/0'],
  ['IVF64,PQ8np', 'l2', 'IndexIVFPQ:64:PQ8x8(IndexFlat:32)/0'],
  ['IVF64,SQ8', 'l2', 'IndexIVFScalarQuantizer:64:QT_8bit(IndexFlat:32)/0'],
  ['IVF64,SQ4', 'l2', 'IndexIVFScalarQuantizer:64:QT_4bit(IndexFlat:32)/0'],
  ['IVF64,SQfp16', 'ip', 'IndexIVFScalarQuantizer:64:QT_fp16(IndexFlat:32)/0'],
  ['IVF64,SQ8_direct', 'l2', 'IndexIVFScalarQuantizer:64:QT_8bit_direct(IndexFlat:32)/0'],
  ['IVF64,SQ6', 'l2', 'IndexIVFScalarQuantizer:64:QT_6bit(IndexFlat:32)/0'],
  ['PQ8', 'l2', 'IndexPQ:PQ8x8'],
  ['PQ8x6', 'ip', 'IndexPQ:PQ8x6'],
  ['SQ8', 'l2', 'IndexScalarQuantizer:QT_8bit'],
  ['SQ4', 'l2', 'IndexScalarQuantizer:QT_4bit'],
  ['SQ6', 'l2', 'IndexScalarQuantizer:QT_6bit'],
  ['SQfp16', 'ip', 'IndexScalarQuantizer:QT_fp16'],
  ['SQ8_direct', 'l2', 'IndexScalarQuantizer:QT_8bit_direct'],
  ['HNSW16', 'l2', 'IndexHNSWFlat:16'],
  ['HNSW', 'l2', 'IndexHNSWFlat:32'],
  ['HNSW16,Flat', 'ip', 'IndexHNSWFlat:16'],
  ['HNSW16,PQ8', 'l2', 'IndexHNSWPQ:16:PQ8x8'],
  ['HNSW16_PQ4np', 'l2', 'IndexHNSWPQ:16:PQ4x8'],
  ['HNSW16,SQ8', 'l2', 'IndexHNSWSQ:16:QT_8bit'],
  ['HNSW24_SQfp16', 'ip', 'IndexHNSWSQ:24:QT_fp16'],
  ['HNSW16,SQ4', 'l2', 'IndexHNSWSQ:16:QT_4bit'],
  ['IVF64_HNSW16,Flat', 'l2', 'IndexIVFFlat:64(IndexHNSWFlat:16)/2'],
  ['IVF64_HNSW16,PQ8', 'l2', 'IndexIVFPQ:64:PQ8x8(IndexHNSWFlat:16)/2'],
  ['IVF64_HNSW,SQ8', 'l2', 'IndexIVFScalarQuantizer:64:QT_8bit(IndexHNSWFlat:32)/2'],
  ['IVF64(PQ8),Flat', 'l2', 'IndexIVFFlat:64(IndexPQ:PQ8x8)/2'],
  ['LSH', 'l2', 'IndexLSH:32'],
  ['LSH64rt', 'l2', 'IndexLSH:64'],
  ['OPQ8,IVF64,PQ8', 'l2', 'IndexPreTransform[OPQMatrix:32>32](IndexIVFPQ:64:PQ8x8(IndexFlat:32)/0)'],
  ['OPQ8_16,IVF64,PQ8', 'l2', 'IndexPreTransform[OPQMatrix:32>16](IndexIVFPQ:64:PQ8x8(IndexFlat:16)/0)'],
  ['OPQ4_16,HNSW16,PQ4', 'l2', 'IndexPreTransform[OPQMatrix:32>16](IndexHNSWPQ:16:PQ4x8)'],
  ['PCA16,Flat', 'l2', 'IndexPreTransform[PCAMatrix:32>16](IndexFlat:16)'],
  ['PCAR16,IVF64,Flat', 'l2', 'IndexPreTransform[PCAMatrix:32>16](IndexIVFFlat:64(IndexFlat:16)/0)'],
  ['PCAW16,HNSW16,SQ8', 'l2', 'IndexPreTransform[PCAMatrix:32>16](IndexHNSWSQ:16:QT_8bit)'],
  ['L2norm,IVF64,Flat', 'ip', 'IndexPreTransform[NormalizationTransform:32>32](IndexIVFFlat:64(IndexFlat:32)/0)'],
  ['RR32,Flat', 'l2', 'IndexPreTransform[RandomRotationMatrix:32>32](IndexFlat:32)'],
  ['RR16,PQ4', 'l2', 'IndexPreTransform[RandomRotationMatrix:32>16](IndexPQ:PQ4x8)'],
  ['IDMap,Flat', 'l2', 'IndexIDMap(IndexFlat:32)'],
  ['IDMap,HNSW16,PQ8', 'l2', 'IndexIDMap(IndexHNSWPQ:16:PQ8x8)'],
  ['IDMap2,IVF64,SQ8', 'l2', 'IndexIDMap2(IndexIVFScalarQuantizer:64:QT_8bit(IndexFlat:32)/0)'],
  ['HNSW16,SQ8,IDMap2', 'l2', 'IndexIDMap2(IndexHNSWSQ:16:QT_8bit)'],
  ['IVF64,PQ8,RFlat', 'l2', 'IndexRefineFlat(IndexIVFPQ:64:PQ8x8(IndexFlat:32)/0;IndexFlat:32)'],
  ['HNSW16,PQ8,RFlat', 'l2', 'IndexRefineFlat(IndexHNSWPQ:16:PQ8x8;IndexFlat:32)'],
  ['IVF64,PQ8,Refine(SQfp16)', 'l2', 'IndexRefine(IndexIVFPQ:64:PQ8x8(IndexFlat:32)/0;IndexScalarQuantizer:QT_fp16)'],
  ['HNSW16,SQ4,Refine(HNSW16,SQ8)', 'l2', 'IndexRefine(IndexHNSWSQ:16:QT_4bit;IndexHNSWSQ:16:QT_8bit)'],
];

const BINARY_CASES: Array<[string, string]> = [
  ['BFlat', 'IndexBinaryFlat:64'],
  ['BIVF32', 'IndexBinaryIVF:32(IndexBinaryFlat:64)'],
  ['BIVF32_HNSW8', 'IndexBinaryIVF:32(IndexBinaryHNSW:8)'],
  ['BHNSW16', 'IndexBinaryHNSW:16'],
  ['IDMap,BFlat', 'IndexBinaryIDMap(IndexBinaryFlat:64)'],
  ['IDMap,BIVF32', 'IndexBinaryIDMap(IndexBinaryIVF:32(IndexBinaryFlat:64))'],
  ['BIVF32_HNSW8,IDMap2', 'IndexBinaryIDMap2(IndexBinaryIVF:32(IndexBinaryHNSW:8))'],
  ['IDMap2,BHNSW16', 'IndexBinaryIDMap2(IndexBinaryHNSW:16)'],
];

describe('index_factory builds every string of issue #6', () => {
  it.each(FLOAT_CASES)('%s (%s)', (s, metric, expected) => {
    const index = ix.indexFactory(d, s, metric);
    expect(index).toBeInstanceOf(ix.Index);
    expect(index.d).toBe(d);
    expect(index.metricType).toBe(metric === 'l2' ? ix.MetricType.L2 : ix.MetricType.INNER_PRODUCT);
    expect(index.ntotal).toBe(0);
    expect(structure(index)).toBe(expected);
  });

  it.each(BINARY_CASES)('binary %s', (s, expected) => {
    const index = ix.indexBinaryFactory(64, s) as ix.IndexBinary;
    expect(index).toBeInstanceOf(ix.IndexBinary);
    expect(index.d).toBe(64);
    expect(structure(index)).toBe(expected);
  });

  it('binary IVF from the factory has FAISS\'s defaults (nprobe 1, k-means niter 10) and is untrained until its quantizer is', () => {
    const ivf = ix.indexBinaryFactory(64, 'BIVF32') as ix.IndexBinaryIVF;
    expect(ivf.nprobe).toBe(1);
    expect(ivf.cp.niter).toBe(10);
    expect(ivf.isTrained).toBe(false);
  });
});

describe('index_factory refusals name the token, its position and the alternatives', () => {
  it('HNSW over PQ: 8-bit codes and L2 only (FAISS 1.7.3\'s IndexHNSWPQ)', () => {
    let e = err(() => ix.indexFactory(d, 'HNSW16,PQ8x4'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/'PQ8x4' at position 7 of 'HNSW16,PQ8x4'.*8-bit.*expected PQ8 or PQ8np.*SQ8/);
    e = err(() => ix.indexFactory(d, 'IDMap,HNSW16_PQ8', 'ip'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/'PQ8' at position 13 of 'IDMap,HNSW16_PQ8'.*only the L2 metric.*SQ8/);
    e = err(() => ix.indexFactory(30, 'HNSW16,PQ7'));
    expect(e.message).toMatch(/'PQ7' at position 7.*PQ M = 7 must divide the dimension 30/);
  });

  it('malformed HNSW, IVF and binary strings', () => {
    const cases: Array<[string, RegExp]> = [
      ['HNSW16,PQ', /unknown code 'PQ' at position 7 of 'HNSW16,PQ'; expected an HNSW storage: Flat .*PQ\{M\}\[np\] \(8-bit codes\)/],
      ['HNSW16,SQ3', /unknown code 'SQ3' at position 7.*SQ8, SQ4, SQ6, SQfp16 or SQ8_direct/],
      ['IVF64_HNSWx,Flat', /unknown index or transform 'IVF64_HNSWx' at position 0.*IVF\{n\}_HNSW\{M\}/],
      ['IVF64,HNSW16', /unknown code 'HNSW16' at position 6.*an IVF code: Flat, PQ/],
      ['PCA16,HNSW0', /HNSW M must be a positive integer in 'HNSW0' at position 6/],
      ['IVF64,PQ8,Flat', /unexpected token after the code 'PQ8': 'Flat' at position 10 of 'IVF64,PQ8,Flat'; expected nothing more/],
      ['HNSW32,Flat,SQ8', /unexpected token after the code 'Flat': 'SQ8' at position 12/],
      ['IVF64,SQ8,Refine()', /unexpected token after the code 'SQ8': 'Refine\(\)' at position 10.*,Refine\(<index>\) with a non-empty index/],
      ['IVF64,Foo,Flat', /unknown code 'Foo' at position 6/],
      ['IVF64,', /missing code '' at position 6 of 'IVF64,'; expected an IVF code/],
    ];
    for (const [s, re] of cases) {
      const e = err(() => ix.indexFactory(d, s));
      expect(e.code, s).toBe('INVALID_ARGUMENT');
      expect(e.message, s).toMatch(re);
    }
    const b: Array<[string, RegExp]> = [
      ['BIVF', /unknown binary index 'BIVF' at position 0 of 'BIVF'; expected a binary index: BFlat, BIVF\{n\}/],
      ['IDMap,BIVF0', /nlist must be a positive integer in 'BIVF0' at position 6/],
      ['BIVF32_HNSW', /unknown binary index 'BIVF32_HNSW' at position 0/],
      ['IDMap,BHash8', /binary hashing.*at position 6/],
      ['BIDMap,BFlat', /unknown binary wrapper 'BIDMap' at position 0 of 'BIDMap,BFlat'; expected 'IDMap,<binary index>' or '<binary index>,IDMap' with a binary index: BFlat/],
      ['BFlat,BIDMap2', /unknown binary wrapper 'BIDMap2' at position 6 of 'BFlat,BIDMap2'; expected 'IDMap2,<binary index>'/],
      ['IDMap2,BIVF8,BFlat', /a second binary index 'BFlat' at position 13.*one binary index per description/],
      ['BFlat,IDMap3', /unknown binary index 'IDMap3' at position 6.*IDMap\/IDMap2/],
    ];
    for (const [s, re] of b) {
      const e = err(() => ix.indexBinaryFactory(64, s));
      expect(e.code, s).toBe('INVALID_ARGUMENT');
      expect(e.message, s).toMatch(re);
    }
    // a binary IVF with more lists than training codes is refused at train, naming nlist
    const ivf = ix.indexBinaryFactory(64, 'BIVF32') as ix.IndexBinaryIVF;
    expect(err(() => ivf.trainSync(new Uint8Array(8 * 10))).message).toMatch(/nlist = 32/);
    expect(ivf.isTrained).toBe(false);
  });
});

describe('the newly wired families train, add and search', () => {
  const nb = 3000;
  const nq = 40;
  const k = 10;

  it.each([
    ['HNSW16,PQ8np', 'l2', 0.65],
    ['HNSW16,SQ8', 'l2', 0.95],
    ['HNSW16,SQfp16', 'ip', 0.97],
    ['IVF32_HNSW16,SQ8', 'l2', 0.9],
    ['IDMap2,HNSW16,SQ8', 'l2', 0.95],
    ['HNSW16,PQ8,RFlat', 'l2', 0.95],
  ] as const)('%s (%s): recall@10 >= %s against exact search', async (s, metric, minRecall) => {
    let xb = clustered(nb, d, 11);
    let xq = clustered(nq, d, 12);
    if (metric === 'ip') {
      xb = normalized(xb, d);
      xq = normalized(xq, d);
    }
    const index = ix.indexFactory(d, s, metric);
    await index.train(xb);
    expect(index.isTrained).toBe(true);
    const ids = index instanceof ix.IndexIDMap ? BigInt64Array.from({ length: nb }, (_, i) => BigInt(1000 + 3 * i)) : null;
    if (ids) await index.addWithIds(xb, ids);
    else await index.add(xb);
    expect(index.ntotal).toBe(nb);
    const inner = index instanceof ix.IndexIDMap ? index.index : index instanceof ix.IndexRefine ? index.baseIndex : index;
    if (inner instanceof ix.IndexHNSW) inner.hnsw.efSearch = 64;
    if (inner instanceof ix.IndexIVF) inner.nprobe = 8;
    // refinement re-ranks kFactor * k candidates of the base index
    const params: ix.SearchParametersRefine | undefined = index instanceof ix.IndexRefine ? { kFactor: 4 } : undefined;
    const r = await index.search(xq, k, params);
    let gt = exactKnn(xq, xb, d, k, metric === 'l2' ? 1 : 0);
    if (ids) gt = gt.map((l) => (l >= 0n ? ids[Number(l)] : l));
    const rec = recallAt(r.labels, gt, nq, k);
    expect(rec, `${s} recall ${rec}`).toBeGreaterThanOrEqual(minRecall);
    // the sync twin gives the same results
    expect(index.searchSync(xq, k, params).labels).toEqual(r.labels);
  });

  it.each([
    ['BIVF32', 0.9],
    ['BIVF32_HNSW8', 0.9],
    ['IDMap,BIVF32', 0.9],
    ['BIVF32,IDMap2', 0.9],
  ] as const)('binary %s: recall@10 >= %s at nprobe 4 against exact Hamming search', async (s, minRecall) => {
    const cs = 8;
    const r = rng(5);
    // codes around 40 prototypes, a few bits flipped
    const protos = new Uint8Array(40 * cs).map(() => Math.floor(r() * 256));
    const make = (n: number) => {
      const x = new Uint8Array(n * cs);
      for (let i = 0; i < n; i++) {
        const p = Math.floor(r() * 40);
        for (let t = 0; t < cs; t++) x[i * cs + t] = protos[p * cs + t] ^ (r() < 0.3 ? 1 << Math.floor(r() * 8) : 0);
      }
      return x;
    };
    const xb = make(nb);
    const xq = make(nq);
    const index = ix.indexBinaryFactory(64, s) as ix.IndexBinary;
    await index.train(xb);
    expect(index.isTrained).toBe(true);
    const wrapped = index instanceof ix.IndexBinaryIDMap;
    const ids = BigInt64Array.from({ length: nb }, (_, i) => BigInt(7 * i + 1));
    if (wrapped) await index.addWithIds(xb, ids);
    else await index.add(xb);
    const ivf = (wrapped ? index.index : index) as ix.IndexBinaryIVF;
    ivf.nprobe = 4;
    const res = await index.search(xq, k);
    const exact = exactHamming(xq, xb, cs, k);
    // recall by distance (Hamming ties make ids ambiguous): the k-th exact distance bounds what counts as a hit
    let hit = 0;
    for (let q = 0; q < nq; q++) {
      const kth = exact.D[q * k + k - 1];
      for (let j = 0; j < k; j++) if (res.labels[q * k + j] >= 0n && res.distances[q * k + j] <= kth) hit++;
    }
    expect(hit / (nq * k), s).toBeGreaterThanOrEqual(minRecall);
    // labels are the caller's ids when wrapped
    if (wrapped) for (const l of res.labels) if (l >= 0n) expect((l - 1n) % 7n).toBe(0n);
    // every returned distance is the true Hamming distance to the labelled code
    for (let q = 0; q < 3; q++) {
      for (let j = 0; j < k; j++) {
        const l = res.labels[q * k + j];
        if (l < 0n) continue;
        const pos = wrapped ? Number((l - 1n) / 7n) : Number(l);
        let dist = 0;
        for (let t = 0; t < cs; t++) {
          let v = xq[q * cs + t] ^ xb[pos * cs + t];
          while (v) {
            dist += v & 1;
            v >>= 1;
          }
        }
        expect(res.distances[q * k + j]).toBe(dist);
      }
    }
  });
});
