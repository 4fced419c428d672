/**
 * Small, valid, seeded records of every supported type, built from scratch
 * (no FAISS needed). Used by the round-trip, error and fuzz tests.
 */
import type {
  AnyIndexRecord,
  ArrayInvertedListsRecord,
  BinaryIndexHeader,
  BinaryIndexRecord,
  DirectMapRecord,
  HNSWRecord,
  IndexHeader,
  IndexRecord,
  LinearTransformRecord,
  ProductQuantizerRecord,
  RecordOf,
  ScalarQuantizerRecord,
  VectorTransformRecord,
} from '../../src/index';
import { sqCodeSize, sqTrainedLength } from '../../src/index';

/** mulberry32: a tiny deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomFloats(r: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * 2 - 1;
  return out;
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

export function header(d: number, ntotal: number, metricType = 1, metricArg = 0): IndexHeader {
  return { d, ntotal, isTrained: true, metricType, metricArg: metricType > 1 ? Math.fround(metricArg) : 0 };
}

export function binaryHeader(d: number, ntotal: number): BinaryIndexHeader {
  return { d, codeSize: d / 8, ntotal, isTrained: true, metricType: 1 };
}

export function flat(r: () => number, d: number, n: number, metricType = 1): IndexRecord {
  const fourcc = metricType === 0 ? 'IxFI' : metricType === 1 ? 'IxF2' : 'IxFl';
  return { fourcc, header: header(d, n, metricType, metricType > 1 ? 3 : 0), xb: randomFloats(r, n * d) };
}

export function productQuantizer(r: () => number, d: number, M: number, nbits: number): ProductQuantizerRecord {
  return { d, M, nbits, centroids: randomFloats(r, d * 2 ** nbits) };
}

export function pq(r: () => number, d: number, n: number, M = 4, nbits = 8): IndexRecord {
  const p = productQuantizer(r, d, M, nbits);
  return {
    fourcc: 'IxPq',
    header: header(d, n),
    pq: p,
    codes: randomBytes(r, n * Math.ceil((M * nbits) / 8)),
    searchType: 0,
    encodeSigns: false,
    polysemousHt: M * nbits + 1,
  };
}

export function scalarQuantizer(r: () => number, d: number, qtype: number): ScalarQuantizerRecord {
  return { qtype, rangestat: 0, rangestatArg: 0, d, codeSize: sqCodeSize(qtype, d), trained: randomFloats(r, sqTrainedLength(qtype, d)) };
}

export function sq(r: () => number, d: number, n: number, qtype = 0): IndexRecord {
  const s = scalarQuantizer(r, d, qtype);
  return { fourcc: 'IxSQ', header: header(d, n), sq: s, codes: randomBytes(r, n * s.codeSize) };
}

export function rrot(r: () => number, dIn: number, dOut: number, trained: boolean): LinearTransformRecord {
  return {
    fourcc: 'rrot',
    haveBias: false,
    A: trained ? randomFloats(r, dIn * dOut) : new Float32Array(0),
    b: new Float32Array(0),
    dIn,
    dOut,
    isTrained: trained,
  };
}

export function lsh(r: () => number, d: number, n: number, nbits: number, rotate: boolean): IndexRecord {
  const codeSize = Math.ceil(nbits / 8);
  return {
    fourcc: 'IxHe',
    header: header(d, n),
    nbits,
    rotateData: rotate,
    trainThresholds: true,
    thresholds: randomFloats(r, nbits),
    codeSize,
    rrot: rrot(r, d, nbits, rotate),
    codes: randomBytes(r, n * codeSize),
  };
}

/** Splits ids 0..n-1 (times 7) over nlist lists, leaving some lists empty. */
export function invlists(r: () => number, n: number, nlist: number, codeSize: number, sparse = false): ArrayInvertedListsRecord {
  const buckets: number[][] = Array.from({ length: nlist }, () => []);
  const used = sparse ? Math.max(1, Math.floor(nlist / 3)) : nlist;
  for (let i = 0; i < n; i++) buckets[Math.floor(r() * used)].push(i);
  return {
    fourcc: 'ilar',
    nlist,
    codeSize,
    lists: buckets.map((b) => ({ codes: randomBytes(r, b.length * codeSize), ids: BigInt64Array.from(b.map((i) => BigInt(i * 7))) })),
  };
}

function directMapFor(il: ArrayInvertedListsRecord, n: number, type: number): DirectMapRecord {
  const empty = new BigInt64Array(0);
  if (type === 0) return { type, array: empty, hashtable: empty };
  const array = new BigInt64Array(n);
  const pairs: bigint[] = [];
  il.lists.forEach((l, li) => {
    l.ids.forEach((id, off) => {
      const lo = (BigInt(li) << 32n) | BigInt(off);
      if (type === 1) array[Number(id) / 7] = lo;
      else pairs.push(id, lo);
    });
  });
  return type === 1 ? { type, array, hashtable: empty } : { type, array: empty, hashtable: BigInt64Array.from(pairs) };
}

export function ivfFlat(r: () => number, d: number, n: number, nlist: number, opts: { fourcc?: 'IwFl' | 'IvFL' | 'IvFl'; directMap?: number; sparse?: boolean } = {}): IndexRecord {
  const il = invlists(r, n, nlist, d * 4, opts.sparse);
  // real float codes for IVF-Flat
  for (const l of il.lists) l.codes = new Uint8Array(randomFloats(r, l.ids.length * d).buffer);
  return {
    fourcc: opts.fourcc ?? 'IwFl',
    header: header(d, n),
    nlist,
    nprobe: 3,
    quantizer: flat(r, d, nlist),
    directMap: directMapFor(il, n, opts.directMap ?? 0),
    invlists: il,
  };
}

export function ivfPQ(r: () => number, d: number, n: number, nlist: number, fourcc: 'IwPQ' | 'IvPQ' = 'IwPQ', M = 4, nbits = 8): IndexRecord {
  const codeSize = Math.ceil((M * nbits) / 8);
  const il = invlists(r, n, nlist, codeSize);
  return {
    fourcc,
    header: header(d, n),
    nlist,
    nprobe: 2,
    quantizer: flat(r, d, nlist),
    directMap: directMapFor(il, n, 0),
    invlists: il,
    byResidual: true,
    codeSize,
    pq: productQuantizer(r, d, M, nbits),
  };
}

export function ivfSQ(r: () => number, d: number, n: number, nlist: number, fourcc: 'IwSq' | 'IwSQ' | 'IvSQ' = 'IwSq', qtype = 0): IndexRecord {
  const s = scalarQuantizer(r, d, qtype);
  const il = invlists(r, n, nlist, s.codeSize, true);
  return {
    fourcc,
    header: header(d, n),
    nlist,
    nprobe: 2,
    quantizer: flat(r, d, nlist),
    directMap: directMapFor(il, n, 2),
    invlists: il,
    sq: s,
    codeSize: s.codeSize,
    byResidual: fourcc === 'IwSq' ? false : true,
  };
}

export function ivfFlatDedup(r: () => number, d: number, n: number, nlist: number): IndexRecord {
  const base = ivfFlat(r, d, n, nlist) as RecordOf<'IwFl'>;
  return { ...base, fourcc: 'IwFd', instances: BigInt64Array.from([5n, 7n, 9n, 7n]) };
}

/** A valid random HNSW graph over n nodes with M neighbours per upper level. */
export function hnswGraph(r: () => number, n: number, M = 4, maxLevels = 3): HNSWRecord {
  const cum = new Int32Array(maxLevels + 1);
  for (let l = 0; l < maxLevels; l++) cum[l + 1] = cum[l] + (l === 0 ? 2 * M : M);
  const levels = new Int32Array(n);
  let top = -1;
  let entry = -1;
  for (let i = 0; i < n; i++) {
    const u = r();
    levels[i] = u < 0.7 ? 1 : u < 0.93 ? 2 : 3;
    if (levels[i] - 1 > top) {
      top = levels[i] - 1;
      entry = i;
    }
  }
  const offsets = new BigUint64Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + BigInt(cum[levels[i]]);
  const neighbors = new Int32Array(Number(offsets[n])).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < levels[i]; l++) {
      const begin = Number(offsets[i]) + cum[l];
      const slots = cum[l + 1] - cum[l];
      const fill = Math.floor(r() * (slots + 1));
      for (let s = 0; s < fill; s++) neighbors[begin + s] = Math.floor(r() * n);
    }
  }
  const probas = new Float64Array(maxLevels);
  for (let l = 0; l < maxLevels; l++) probas[l] = 0.5 ** (l + 1);
  return {
    assignProbas: probas,
    cumNneighborPerLevel: cum,
    levels,
    offsets,
    neighbors,
    entryPoint: entry,
    maxLevel: top,
    efConstruction: 40,
    efSearch: 16,
    upperBeam: 1,
  };
}

export function hnsw(r: () => number, d: number, n: number, kind: 'IHNf' | 'IHNp' | 'IHNs'): IndexRecord {
  const storage = kind === 'IHNf' ? flat(r, d, n) : kind === 'IHNp' ? pq(r, d, n) : sq(r, d, n, 0);
  return { fourcc: kind, header: header(d, n), hnsw: hnswGraph(r, n), storage };
}

export function idmap(r: () => number, inner: IndexRecord, two = false): IndexRecord {
  const n = inner.header.ntotal;
  const ids = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ids[i] = BigInt(1000 + 3 * i) * (i % 2 === 0 ? 1n : -1n);
  return { fourcc: two ? 'IxM2' : 'IxMp', header: { ...inner.header }, index: inner, idMap: ids };
}

export function linear(r: () => number, dIn: number, dOut: number, bias: boolean): LinearTransformRecord {
  return { fourcc: 'LTra', haveBias: bias, A: randomFloats(r, dIn * dOut), b: bias ? randomFloats(r, dOut) : new Float32Array(0), dIn, dOut, isTrained: true };
}

/** One of every transform type, chained dIn -> ... -> dOut. */
export function transformChain(r: () => number, d: number): { chain: VectorTransformRecord[]; dOut: number } {
  const chain: VectorTransformRecord[] = [];
  chain.push({ fourcc: 'VCnt', mean: randomFloats(r, d), dIn: d, dOut: d, isTrained: true });
  chain.push({ fourcc: 'VNrm', norm: 2, dIn: d, dOut: d, isTrained: true });
  const h = d / 2;
  chain.push({
    fourcc: 'Pcam',
    eigenPower: Math.fround(-0.5),
    epsilon: 0,
    randomRotation: false,
    balancedBins: 0,
    mean: randomFloats(r, d),
    eigenvalues: randomFloats(r, d),
    PCAMat: randomFloats(r, d * d),
    haveBias: true,
    A: randomFloats(r, h * d),
    b: randomFloats(r, h),
    dIn: d,
    dOut: h,
    isTrained: true,
  });
  chain.push({ ...rrot(r, h, h, true), fourcc: 'rrot' });
  chain.push(linear(r, h, h, false));
  chain.push({
    fourcc: 'Viqt',
    mean: randomFloats(r, h),
    doPca: true,
    itq: { fourcc: 'Viqm', maxIter: 50, seed: 123, haveBias: false, A: randomFloats(r, h * h), b: new Float32Array(0), dIn: h, dOut: h, isTrained: true },
    pcaThenItq: linear(r, h, h, false),
    dIn: h,
    dOut: h,
    isTrained: true,
  });
  const map = new Int32Array(h);
  for (let i = 0; i < h; i++) map[i] = i % 3 === 2 ? -1 : h - 1 - i;
  chain.push({ fourcc: 'RmDT', map, dIn: h, dOut: h, isTrained: true });
  return { chain, dOut: h };
}

export function preTransform(r: () => number, d: number, n: number): IndexRecord {
  const { chain, dOut } = transformChain(r, d);
  return { fourcc: 'IxPT', header: header(d, n), chain, index: flat(r, dOut, n) };
}

export function refine(r: () => number, d: number, n: number): IndexRecord {
  return { fourcc: 'IxRF', header: header(d, n), base: pq(r, d, n), refine: flat(r, d, n), kFactor: 4 };
}

export function binaryFlat(r: () => number, d: number, n: number): BinaryIndexRecord {
  return { fourcc: 'IBxF', header: binaryHeader(d, n), xb: randomBytes(r, (n * d) / 8) };
}

export function binaryIvf(r: () => number, d: number, n: number, nlist: number): BinaryIndexRecord {
  const il = invlists(r, n, nlist, d / 8);
  return {
    fourcc: 'IBwF',
    header: binaryHeader(d, n),
    nlist,
    nprobe: 2,
    quantizer: binaryFlat(r, d, nlist),
    directMap: directMapFor(il, n, 1),
    invlists: il,
  };
}

export function binaryHnsw(r: () => number, d: number, n: number): BinaryIndexRecord {
  return { fourcc: 'IBHf', header: binaryHeader(d, n), hnsw: hnswGraph(r, n), storage: binaryFlat(r, d, n) };
}

export function binaryIdmap(r: () => number, inner: BinaryIndexRecord, two = false): BinaryIndexRecord {
  const n = inner.header.ntotal;
  return { fourcc: two ? 'IBM2' : 'IBMp', header: { ...inner.header }, index: inner, idMap: BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 11 + 5)) };
}

/** One small record of every supported type (name -> record). */
export function allSyntheticRecords(seed = 1): Array<{ name: string; record: AnyIndexRecord; binary: boolean }> {
  const r = rng(seed);
  const d = 8;
  const n = 20;
  const out: Array<{ name: string; record: AnyIndexRecord; binary: boolean }> = [];
  const f = (name: string, record: IndexRecord): void => void out.push({ name, record, binary: false });
  const b = (name: string, record: BinaryIndexRecord): void => void out.push({ name, record, binary: true });
  f('IxF2', flat(r, d, n, 1));
  f('IxFI', flat(r, d, n, 0));
  f('IxFl L1', flat(r, d, n, 2));
  f('IxFl Lp', flat(r, d, n, 4));
  f('IxPq', pq(r, d, n));
  f('IxPq nbits 5', pq(r, d, n, 2, 5));
  f('IxPo', { ...(pq(r, d, n) as object), fourcc: 'IxPo' } as IndexRecord);
  {
    const p = pq(r, d, n) as RecordOf<'IxPq'>;
    f('IxPQ', { fourcc: 'IxPQ', header: p.header, pq: p.pq, codes: p.codes });
  }
  for (const qt of [0, 1, 2, 3, 4, 5, 6]) f(`IxSQ qtype ${qt}`, sq(r, d, n, qt));
  f('IxHe rotate', lsh(r, d, n, 16, true));
  f('IxHe plain', lsh(r, 16, n, 12, false));
  f('IxHE', { ...(lsh(r, d, n, 64, true) as object), fourcc: 'IxHE' } as IndexRecord);
  f('IwFl', ivfFlat(r, d, n, 5));
  f('IwFl sparse', ivfFlat(r, d, n, 9, { sparse: true, directMap: 1 }));
  f('IwFl hashtable', ivfFlat(r, d, n, 4, { directMap: 2 }));
  f('IwFl il00', { ...(ivfFlat(r, d, 0, 4) as object), invlists: { fourcc: 'il00' } } as IndexRecord);
  f('IvFL', ivfFlat(r, d, n, 5, { fourcc: 'IvFL' }));
  f('IvFl', ivfFlat(r, d, n, 5, { fourcc: 'IvFl', sparse: true }));
  f('IwFd', ivfFlatDedup(r, d, n, 4));
  f('IwPQ', ivfPQ(r, d, n, 4));
  f('IvPQ', ivfPQ(r, d, n, 4, 'IvPQ'));
  f('IwSq', ivfSQ(r, d, n, 6, 'IwSq', 1));
  f('IwSQ', ivfSQ(r, d, n, 6, 'IwSQ', 4));
  f('IvSQ', ivfSQ(r, d, n, 6, 'IvSQ', 6));
  f('IHNf', hnsw(r, d, n, 'IHNf'));
  f('IHNp', hnsw(r, d, n, 'IHNp'));
  f('IHNs', hnsw(r, d, n, 'IHNs'));
  f('IxMp', idmap(r, flat(r, d, n)));
  f('IxM2', idmap(r, ivfFlat(r, d, n, 3), true));
  f('IxPT', preTransform(r, 16, n));
  {
    const pca = transformChain(r, 16).chain[2];
    f('IxPT PcAm', { fourcc: 'IxPT', header: header(16, n), chain: [{ ...pca, fourcc: 'PcAm', epsilon: 0 } as VectorTransformRecord], index: flat(r, 8, n) });
    f('IxPT PCAm', { fourcc: 'IxPT', header: header(16, n), chain: [{ ...pca, fourcc: 'PCAm', epsilon: 0, balancedBins: 0 } as VectorTransformRecord], index: flat(r, 8, n) });
  }
  f('IxPT empty chain', { fourcc: 'IxPT', header: header(d, n), chain: [], index: flat(r, d, n) });
  f('IxRF', refine(r, d, n));
  f('IxF2 empty', flat(r, d, 0));
  b('IBxF', binaryFlat(r, 16, n));
  b('IBwF', binaryIvf(r, 16, n, 4));
  b('IBHf', binaryHnsw(r, 16, n));
  b('IBMp', binaryIdmap(r, binaryFlat(r, 16, n)));
  b('IBM2', binaryIdmap(r, binaryIvf(r, 16, n, 3), true));
  return out;
}
