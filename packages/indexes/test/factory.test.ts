/** index_factory grammar and builder. */
import { describe, expect, it } from 'vitest';
import {
  Index,
  IndexFlat,
  IndexIDMap,
  IndexIDMap2,
  IndexPreTransform,
  IndexRefine,
  IndexRefineFlat,
  ITQTransform,
  MetalFaissError,
  NormalizationTransform,
  PCAMatrix,
  RandomRotationMatrix,
  RemapDimensionsTransform,
  indexBinaryFactory,
  indexFactory,
  parseBinaryDescription,
  parseIndexDescription,
} from '../src/index';
import { randomVectors } from './helpers';

function err(f: () => unknown): MetalFaissError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MetalFaissError);
    return e as MetalFaissError;
  }
  throw new Error('expected a MetalFaissError');
}

describe('grammar', () => {
  it('parses FAISS recipes into trees with token positions', () => {
    const t = parseIndexDescription('IDMap2,OPQ16_64,IVF1024_HNSW32,PQ16x8np');
    expect(t).toMatchObject({ kind: 'IDMap', two: true, pos: 0 });
    const pt = (t as { sub: { kind: string; chain: unknown[]; sub: unknown } }).sub;
    expect(pt).toMatchObject({ kind: 'PreTransform', chain: [{ type: 'OPQ', M: 16, dOut: 64, pos: 7 }] });
    expect(pt.sub).toMatchObject({
      kind: 'IVF',
      nlist: 1024,
      quantizer: { type: 'HNSW', M: 32 },
      code: { type: 'PQ', M: 16, nbits: 8, polysemous: false, pos: 31 },
    });
    expect(parseIndexDescription('IVF4k,Flat')).toMatchObject({ kind: 'IVF', nlist: 4096 });
    expect(parseIndexDescription('IVF1M,SQ8')).toMatchObject({ kind: 'IVF', nlist: 1 << 20, code: { type: 'SQ', qtype: 'SQ8' } });
    expect(parseIndexDescription('PCAWR32,L2norm,RR32,Flat')).toMatchObject({
      kind: 'PreTransform',
      chain: [{ type: 'PCA', whiten: true, rotate: true, dOut: 32 }, { type: 'L2norm', pos: 8 }, { type: 'RR', dOut: 32, pos: 15 }],
    });
    expect(parseIndexDescription('HNSW')).toMatchObject({ kind: 'HNSW', M: 32, storage: { type: 'Flat' } });
    expect(parseIndexDescription('HNSW16_SQ8')).toMatchObject({ kind: 'HNSW', M: 16, storage: { type: 'SQ', qtype: 'SQ8' } });
    expect(parseIndexDescription('HNSW32,PQ8x4')).toMatchObject({ kind: 'HNSW', storage: { type: 'PQ', M: 8, nbits: 4 } });
    expect(parseIndexDescription('LSH64rt')).toMatchObject({ kind: 'LSH', nbits: 64, rotate: true, trainThresholds: true });
    expect(parseIndexDescription('PCA16,IVF64,Flat,Refine(SQfp16)')).toMatchObject({
      kind: 'Refine',
      pos: 17,
      base: { kind: 'PreTransform' },
      refine: { kind: 'SQ', qtype: 'SQfp16', pos: 24 },
    });
    expect(parseIndexDescription('Flat,IDMap')).toMatchObject({ kind: 'IDMap', two: false, sub: { kind: 'Flat' }, pos: 5 });
    expect(parseIndexDescription('IVF100(HNSW16),Flat')).toMatchObject({ kind: 'IVF', quantizer: { type: 'Index', index: { kind: 'HNSW', M: 16, pos: 7 } } });
    expect(parseBinaryDescription('IDMap2,BIVF64_HNSW16')).toMatchObject({ kind: 'IDMap', sub: { kind: 'BIVF', nlist: 64, hnswM: 16, pos: 7 } });
  });

  it('rejects malformed and unknown tokens with INVALID_ARGUMENT naming the token, its position and the alternatives', () => {
    const cases: Array<[string, RegExp]> = [
      ['IVF1024', /missing code after the coarse quantizer 'IVF1024' at position 0/],
      ['IVF1024,PQ16x', /unknown code 'PQ16x' at position 8 of 'IVF1024,PQ16x'; expected an IVF code: Flat, PQ\{M\}/],
      ['Fla', /unknown index 'Fla' at position 0/],
      ['PCA16,Fla', /unknown index 'Fla' at position 6/],
      ['PCA16,', /missing index after the transform 'PCA16'/],
      ['PQ16x4fs', /fast-scan PQ \(FAISS syntax that metalfaiss does not implement\)/],
      ['IVF64,RQ8x8', /additive quantizers/],
      ['NSG32,Flat', /NSG graphs/],
      ['IVF64,Flat,Refine(Flat', /unbalanced parenthesis/],
      ['HNSW32,Foo', /unknown code 'Foo' at position 7.*HNSW storage/],
      ['PQ8x30', /nbits in \[1, 24\]/],
      ['PCA0,Flat', /positive integer/],
      ['IVF64,SQbf16', /newer than FAISS 1.7.3/],
    ];
    for (const [s, re] of cases) {
      const e = err(() => parseIndexDescription(s));
      expect(e.code, s).toBe('INVALID_ARGUMENT');
      expect(e.message, s).toMatch(re);
    }
    expect(err(() => parseIndexDescription('')).code).toBe('INVALID_ARGUMENT');
    expect(err(() => parseBinaryDescription('BFoo')).message).toMatch(/unknown binary index 'BFoo' at position 0.*BFlat/);
    expect(err(() => parseBinaryDescription('BHash8')).message).toMatch(/binary hashing/);
  });
});

describe('indexFactory', () => {
  const d = 32;
  const xb = randomVectors(1500, d, 5);

  it('builds flat, wrappers, transform chains and refinement as FAISS does', () => {
    const f = indexFactory(d, 'Flat');
    expect(f).toBeInstanceOf(IndexFlat);
    expect(indexFactory(d, 'Flat', 'ip').metricType).toBe(0);
    expect(indexFactory(d, 'IDMap,Flat')).toBeInstanceOf(IndexIDMap);
    const m2 = indexFactory(d, 'Flat,IDMap2') as IndexIDMap2;
    expect(m2).toBeInstanceOf(IndexIDMap2);
    expect(m2.index).toBeInstanceOf(IndexFlat);
    const pt = indexFactory(d, 'PCAW16,L2norm,Flat', 'ip') as IndexPreTransform;
    expect(pt.chain[0]).toBeInstanceOf(PCAMatrix);
    expect((pt.chain[0] as PCAMatrix).eigenPower).toBe(-0.5);
    expect(pt.chain[1]).toBeInstanceOf(NormalizationTransform);
    expect(pt.index.d).toBe(16);
    expect(pt.metricType).toBe(0);
    expect(((indexFactory(d, 'PCAR8,Flat') as IndexPreTransform).chain[0] as PCAMatrix).randomRotation).toBe(true);
    const rr = indexFactory(d, 'RR,Flat') as IndexPreTransform;
    expect(rr.chain[0]).toBeInstanceOf(RandomRotationMatrix);
    expect(rr.chain[0].dOut).toBe(d);
    const itq = indexFactory(d, 'ITQ16,Flat') as IndexPreTransform;
    expect(itq.chain[0]).toBeInstanceOf(ITQTransform);
    expect((itq.chain[0] as ITQTransform).doPca).toBe(true);
    const pad = indexFactory(d, 'Pad40,Flat') as IndexPreTransform;
    expect(pad.chain[0]).toBeInstanceOf(RemapDimensionsTransform);
    expect(pad.index.d).toBe(40);
    const rf = indexFactory(d, 'PCA8,Flat,RFlat') as IndexRefineFlat;
    expect(rf).toBeInstanceOf(IndexRefineFlat);
    expect(rf.baseIndex).toBeInstanceOf(IndexPreTransform);
    const r2 = indexFactory(d, 'PCA8,Flat,Refine(Flat)') as IndexRefine;
    expect(r2).toBeInstanceOf(IndexRefine);
    expect(r2.refineIndex).toBeInstanceOf(IndexFlat);
  });

  it('built indexes train, add and search', () => {
    for (const s of ['PCA16,Flat', 'IDMap2,RR32,Flat', 'PCA8,Flat,RFlat', 'L2norm,Flat']) {
      const index = indexFactory(d, s);
      index.trainSync(xb);
      if (index instanceof IndexIDMap) index.addWithIdsSync(xb, Array.from({ length: 1500 }, (_, i) => i * 2));
      else index.addSync(xb);
      const r = index.searchSync(xb.subarray(0, 5 * d), 1);
      // each query finds itself (PCA8 without refinement may not, so only check with exact stages)
      if (s !== 'PCA16,Flat') for (let q = 0; q < 5; q++) expect(Number(r.labels[q])).toBe(index instanceof IndexIDMap ? q * 2 : q);
    }
  });

  it('refuses dimensions that do not fit; every family builds its class', () => {
    expect(err(() => indexFactory(d, 'PCA64,Flat')).message).toMatch(/'PCA64' at position 0.*cannot reduce to 64/);
    expect(err(() => indexFactory(30, 'PQ7')).message).toMatch(/PQ M = 7 must divide the dimension 30/);
    expect(err(() => indexFactory(0, 'Flat')).code).toBe('INVALID_ARGUMENT');
    expect(err(() => indexFactory(d, 'LSH', 'ip')).message).toMatch(/only the L2 metric/);
    // every family is wired: each token builds its class (a missing class would be UNSUPPORTED naming it)
    for (const [s, cls] of [
      ['IVF64,Flat', 'IndexIVFFlat'],
      ['IVF64,PQ8', 'IndexIVFPQ'],
      ['IVF64,SQ8', 'IndexIVFScalarQuantizer'],
      ['PQ8', 'IndexPQ'],
      ['SQ8', 'IndexScalarQuantizer'],
      ['HNSW32', 'IndexHNSWFlat'],
      ['HNSW32,PQ8', 'IndexHNSWPQ'],
      ['HNSW32,SQ8', 'IndexHNSWSQ'],
      ['LSH', 'IndexLSH'],
    ] as const) {
      expect(indexFactory(d, s).constructor.name, s).toBe(cls);
    }
    expect(indexFactory(d, 'OPQ8,Flat')).toBeInstanceOf(IndexPreTransform);
    for (const [s, cls] of [
      ['BFlat', 'IndexBinaryFlat'],
      ['BIVF64', 'IndexBinaryIVF'],
      ['BHNSW16', 'IndexBinaryHNSW'],
      ['IDMap,BFlat', 'IndexBinaryIDMap'],
    ] as const) {
      expect(indexBinaryFactory(64, s).constructor.name, s).toBe(cls);
    }
    expect(err(() => indexBinaryFactory(63, 'BFlat')).code).toBe('INVALID_ARGUMENT');
  });
});
