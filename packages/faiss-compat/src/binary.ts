/**
 * FAISS's binary indexes under their Python names: IndexBinaryFlat,
 * IndexBinaryHNSW, IndexBinaryIDMap / IndexBinaryIDMap2 (d in bits; codes
 * are Uint8Arrays; distances Int32Array), and the io mappings of `IBxF`,
 * `IBHf`, `IBMp` / `IBM2` records for `read_index_binary` /
 * `write_index_binary`.
 */
import * as ix from '@metalfaiss/indexes';
import type * as io from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { HNSW, type SearchParametersHNSW, hnswFromRecord, hnswOf, hnswToRecord } from './hnsw';
import { directMapRecordOf, invlistsRecordOf } from './io/ivf';
import { registerMapping } from './io/registry';
import { registerWrapper, wrapObject } from './wrap';

export type BinarySearchResultTuple = [D: Int32Array, I: BigInt64Array];
export type BinaryRangeSearchResultTuple = [lims: BigInt64Array, D: Int32Array, I: BigInt64Array];

/** FAISS's SearchParameters for binary indexes (`sel`), plus HNSW's fields for IndexBinaryHNSW. */
export interface BinarySearchParameters extends Omit<SearchParametersHNSW, 'sel'> {
  sel?: ix.IDSelector;
}

function toParams(p: BinarySearchParameters | undefined): ix.SearchParametersHNSW | undefined {
  if (!p) return undefined;
  return { selector: p.sel, efSearch: p.efSearch, checkRelativeDistance: p.check_relative_distance, searchBoundedQueue: p.search_bounded_queue };
}

export class IndexBinary<T extends ix.IndexBinary = ix.IndexBinary> {
  /** the underlying @metalfaiss/indexes object */
  readonly impl: T;
  constructor(impl: T) {
    this.impl = impl;
  }
  /** dimension in bits */
  get d(): number {
    return this.impl.d;
  }
  get code_size(): number {
    return this.impl.codeSize;
  }
  get ntotal(): number {
    return this.impl.ntotal;
  }
  get is_trained(): boolean {
    return this.impl.isTrained;
  }
  get metric_type(): number {
    return this.impl.metricType;
  }
  train(x: ix.CodesInput): void {
    this.impl.trainSync(x);
  }
  train_async(x: ix.CodesInput): Promise<void> {
    return this.impl.train(x);
  }
  add(x: ix.CodesInput): void {
    this.impl.addSync(x);
  }
  add_async(x: ix.CodesInput): Promise<void> {
    return this.impl.add(x);
  }
  add_with_ids(x: ix.CodesInput, ids: ix.IdsInput): void {
    this.impl.addWithIdsSync(x, ids);
  }
  add_with_ids_async(x: ix.CodesInput, ids: ix.IdsInput): Promise<void> {
    return this.impl.addWithIds(x, ids);
  }
  search(x: ix.CodesInput, k: number, params?: BinarySearchParameters): BinarySearchResultTuple {
    const r = this.impl.searchSync(x, k, toParams(params));
    return [r.distances, r.labels];
  }
  async search_async(x: ix.CodesInput, k: number, params?: BinarySearchParameters): Promise<BinarySearchResultTuple> {
    const r = await this.impl.search(x, k, toParams(params));
    return [r.distances, r.labels];
  }
  /** `index.range_search(x, radius)`: codes at Hamming distance < radius (an integer) */
  range_search(x: ix.CodesInput, radius: number, params?: BinarySearchParameters): BinaryRangeSearchResultTuple {
    const r = this.impl.rangeSearchSync(x, radius, toParams(params));
    return [r.lims, r.distances, r.labels];
  }
  async range_search_async(x: ix.CodesInput, radius: number, params?: BinarySearchParameters): Promise<BinaryRangeSearchResultTuple> {
    const r = await this.impl.rangeSearch(x, radius, toParams(params));
    return [r.lims, r.distances, r.labels];
  }
  remove_ids(sel: ix.IDSelector | ix.IdsInput): number {
    return this.impl.removeIds(sel);
  }
  reconstruct(key: number | bigint): Uint8Array {
    return this.impl.reconstruct(key);
  }
  reconstruct_n(i0 = 0, n = this.impl.ntotal - i0): Uint8Array {
    return this.impl.reconstructN(i0, n);
  }
  reset(): void {
    this.impl.reset();
  }
}

export class IndexBinaryFlat extends IndexBinary<ix.IndexBinaryFlat> {
  /** `faiss.IndexBinaryFlat(d)` (d in bits, a multiple of 8) */
  constructor(d: number) {
    super(new ix.IndexBinaryFlat(d));
  }
  /** the stored codes (`faiss.vector_to_array(index.xb)`) */
  get xb(): Uint8Array {
    return this.impl.codes;
  }
}

export class IndexBinaryHNSW extends IndexBinary<ix.IndexBinaryHNSW> {
  /** `faiss.IndexBinaryHNSW(d, M=32)` */
  constructor(d: number, M = 32) {
    super(new ix.IndexBinaryHNSW(d, M));
  }
  get hnsw(): HNSW {
    return hnswOf(this.impl.hnsw);
  }
  set_efSearch(ef: number): void {
    this.hnsw.efSearch = ef;
  }
  set_efConstruction(ef: number): void {
    this.hnsw.efConstruction = ef;
  }
}

function implOfBinary(x: unknown, what: string): ix.IndexBinary {
  const impl = (x as { impl?: unknown } | null)?.impl;
  if (!(impl instanceof ix.IndexBinary)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a faiss-compat binary index for ${what}`);
  return impl;
}

export class IndexBinaryIDMap extends IndexBinary<ix.IndexBinaryIDMap> {
  readonly index!: IndexBinary;
  /** `faiss.IndexBinaryIDMap(index)` */
  constructor(index: IndexBinary) {
    super(new ix.IndexBinaryIDMap(implOfBinary(index, 'IndexBinaryIDMap(index)')));
    Object.defineProperty(this, 'index', { value: index, enumerable: true });
  }
  get id_map(): BigInt64Array {
    return this.impl.idMap;
  }
}

export class IndexBinaryIDMap2 extends IndexBinary<ix.IndexBinaryIDMap2> {
  readonly index!: IndexBinary;
  /** `faiss.IndexBinaryIDMap2(index)` */
  constructor(index: IndexBinary) {
    super(new ix.IndexBinaryIDMap2(implOfBinary(index, 'IndexBinaryIDMap2(index)')));
    Object.defineProperty(this, 'index', { value: index, enumerable: true });
  }
  get id_map(): BigInt64Array {
    return this.impl.idMap;
  }
}

/** `faiss.IndexBinaryIVF(quantizer, d, nlist)`: `nprobe`, `max_codes`, `quantizer`, `invlists`. */
export class IndexBinaryIVF extends IndexBinary<ix.IndexBinaryIVF> {
  /** the compat quantizer given to the constructor; absent on wrapped objects (index_binary_factory, read_index_binary) */
  declare private readonly _quantizer?: IndexBinary;
  constructor(quantizer: IndexBinary, d: number, nlist: number) {
    super(new ix.IndexBinaryIVF(implOfBinary(quantizer, 'IndexBinaryIVF(quantizer, d, nlist)'), d, nlist));
    Object.defineProperty(this, '_quantizer', { value: quantizer });
  }
  /** the coarse quantizer (the compat object given to the constructor, else a wrapper of the index's own) */
  get quantizer(): IndexBinary {
    return this._quantizer ?? (wrapObject(this.impl.quantizer) as IndexBinary);
  }
  get nlist(): number {
    return this.impl.nlist;
  }
  get nprobe(): number {
    return this.impl.nprobe;
  }
  set nprobe(v: number) {
    if (!Number.isInteger(v) || v < 1) throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= 1 for nprobe, received ${String(v)}`);
    this.impl.nprobe = v;
  }
  get max_codes(): number {
    return this.impl.maxCodes;
  }
  set max_codes(v: number) {
    if (!Number.isInteger(v) || v < 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= 0 for max_codes, received ${String(v)}`);
    this.impl.maxCodes = v;
  }
  make_direct_map(on = true): void {
    this.impl.makeDirectMap(on);
  }
  get invlists(): ix.ArrayInvertedLists {
    return this.impl.invlists;
  }
}

registerWrapper(ix.IndexBinary as unknown as abstract new (...args: never[]) => ix.IndexBinary, IndexBinary);
registerWrapper(ix.IndexBinaryFlat, IndexBinaryFlat);
registerWrapper(ix.IndexBinaryHNSW, IndexBinaryHNSW);
registerWrapper(ix.IndexBinaryIVF, IndexBinaryIVF);
const idmapInit = (w: { impl: ix.IndexBinaryIDMap }, impl: ix.IndexBinaryIDMap) =>
  Object.defineProperty(w, 'index', { value: wrapObject(impl.index), enumerable: true });
registerWrapper(ix.IndexBinaryIDMap, IndexBinaryIDMap, idmapInit);
registerWrapper(ix.IndexBinaryIDMap2, IndexBinaryIDMap2, idmapInit as never);

// ------------------------------------------------------------------ io mappings

export function binaryHeaderOf(index: ix.IndexBinary, codeSize = index.codeSize): io.BinaryIndexHeader {
  return { d: index.d, codeSize, ntotal: index.ntotal, isTrained: index.isTrained, metricType: 1 };
}

function ioError(fourcc: string, what: string, cause?: unknown): MetalFaissError {
  return new MetalFaissError('IO_FORMAT', `invalid ${fourcc} index in the file: ${what}`, cause === undefined ? undefined : { cause });
}

function checkHeader(h: io.BinaryIndexHeader, fourcc: string): void {
  if (h.d <= 0 || h.d % 8 !== 0) throw ioError(fourcc, `d = ${h.d} bits is not a positive multiple of 8`);
}

registerMapping({
  name: 'IndexBinaryFlat',
  fourccs: ['IBxF'],
  fromRecord(record) {
    const r = record as io.IndexBinaryFlatRecord;
    checkHeader(r.header, r.fourcc);
    if (r.xb.length !== r.header.ntotal * (r.header.d / 8)) throw ioError(r.fourcc, `xb holds ${r.xb.length} bytes, expected ntotal * d / 8 = ${r.header.ntotal * (r.header.d / 8)}`);
    return ix.IndexBinaryFlat.fromParts({ d: r.header.d, codes: r.xb });
  },
  writes: (index) => index instanceof ix.IndexBinaryFlat,
  toRecord(index) {
    const f = index as ix.IndexBinaryFlat;
    return { fourcc: 'IBxF', header: binaryHeaderOf(f), xb: f.codes } satisfies io.IndexBinaryFlatRecord;
  },
});

registerMapping({
  name: 'IndexBinaryHNSW',
  fourccs: ['IBHf'],
  fromRecord(record) {
    const r = record as io.IndexBinaryHNSWRecord;
    checkHeader(r.header, r.fourcc);
    if (r.storage.fourcc !== 'IBxF') throw ioError(r.fourcc, `expected IndexBinaryFlat storage (IBxF), received ${r.storage.fourcc}`);
    const s = r.storage as io.IndexBinaryFlatRecord;
    if (s.header.d !== r.header.d || s.header.ntotal !== r.header.ntotal) {
      throw ioError(r.fourcc, `the storage holds ${s.header.ntotal} codes of ${s.header.d} bits, the header says ${r.header.ntotal} of ${r.header.d}`);
    }
    try {
      return ix.IndexBinaryHNSW.fromParts({ d: r.header.d, hnsw: hnswFromRecord(r.hnsw), codes: s.xb });
    } catch (cause) {
      if (MetalFaissError.isInstance(cause) && cause.code === 'IO_FORMAT') throw cause;
      throw ioError(r.fourcc, (cause as Error).message, cause);
    }
  },
  writes: (index) => index instanceof ix.IndexBinaryHNSW,
  toRecord(index) {
    const h = index as ix.IndexBinaryHNSW;
    const header = binaryHeaderOf(h);
    return {
      fourcc: 'IBHf',
      header,
      hnsw: hnswToRecord(h.hnsw),
      storage: { fourcc: 'IBxF', header: { ...header }, xb: h.codes } satisfies io.IndexBinaryFlatRecord,
    } satisfies io.IndexBinaryHNSWRecord;
  },
});

registerMapping({
  name: 'IndexBinaryIDMap',
  fourccs: ['IBMp', 'IBM2'],
  fromRecord(record, ctx) {
    const r = record as io.IndexBinaryIDMapRecord;
    const sub = ctx.fromRecord(r.index);
    if (!(sub instanceof ix.IndexBinary)) throw ioError(r.fourcc, `the wrapped index is not a binary index`);
    if (r.idMap.length !== sub.ntotal) throw ioError(r.fourcc, `expected ${sub.ntotal} ids (the sub-index's ntotal), received ${r.idMap.length}`);
    return ix.IndexBinaryIDMap.fromParts(sub, r.idMap, r.fourcc === 'IBM2');
  },
  writes: (index) => index instanceof ix.IndexBinaryIDMap,
  toRecord(index, ctx) {
    const m = index as ix.IndexBinaryIDMap;
    // FAISS 1.7.3 writes code_size 0 in the IDMap header (it never sets it for the wrapper)
    return {
      fourcc: m instanceof ix.IndexBinaryIDMap2 ? 'IBM2' : 'IBMp',
      header: binaryHeaderOf(m, 0),
      index: ctx.toRecord(m.index) as io.BinaryIndexRecord,
      idMap: m.idMap,
    } satisfies io.IndexBinaryIDMapRecord;
  },
});

const DIRECT_MAP_TYPES: readonly ix.DirectMapType[] = ['none', 'array', 'hashtable'];

registerMapping({
  name: 'IndexBinaryIVF',
  fourccs: ['IBwF'],
  fromRecord(record, ctx) {
    const r = record as io.IndexBinaryIVFRecord;
    checkHeader(r.header, r.fourcc);
    if (r.invlists.fourcc !== 'ilar') {
      throw new MetalFaissError('UNSUPPORTED', `the IBwF index in the file was written without its inverted lists ("${r.invlists.fourcc}"); metalfaiss needs the lists stored in the file`);
    }
    const quantizer = ctx.fromRecord(r.quantizer);
    if (!(quantizer instanceof ix.IndexBinary)) throw ioError(r.fourcc, 'the quantizer is not a binary index');
    const inv = r.invlists;
    if (inv.nlist !== r.nlist || inv.codeSize !== r.header.d / 8) {
      throw ioError(r.fourcc, `expected lists with nlist = ${r.nlist} and code size ${r.header.d / 8}, received nlist = ${inv.nlist}, code size ${inv.codeSize}`);
    }
    try {
      const index = ix.IndexBinaryIVF.fromParts({
        quantizer,
        d: r.header.d,
        nlist: r.nlist,
        nprobe: r.nprobe,
        lists: inv.lists.map((l) => ({ codes: l.codes, ids: l.ids })),
        isTrained: r.header.isTrained,
        directMap: { type: DIRECT_MAP_TYPES[r.directMap.type] ?? 'none', array: r.directMap.array, pairs: r.directMap.hashtable },
      });
      if (index.ntotal !== r.header.ntotal) throw ioError(r.fourcc, `the lists hold ${index.ntotal} codes, the header says ${r.header.ntotal}`);
      return index;
    } catch (cause) {
      if (MetalFaissError.isInstance(cause) && (cause.code === 'IO_FORMAT' || cause.code === 'UNSUPPORTED')) throw cause;
      throw ioError(r.fourcc, (cause as Error).message, cause);
    }
  },
  writes: (index) => index instanceof ix.IndexBinaryIVF,
  toRecord(index, ctx) {
    const v = index as ix.IndexBinaryIVF;
    return {
      fourcc: 'IBwF',
      header: binaryHeaderOf(v),
      nlist: v.nlist,
      nprobe: v.nprobe,
      quantizer: ctx.toRecord(v.quantizer) as io.BinaryIndexRecord,
      directMap: directMapRecordOf(v.directMap),
      invlists: invlistsRecordOf(v.invlists, v.nlist, v.codeSize),
    } satisfies io.IndexBinaryIVFRecord;
  },
});
