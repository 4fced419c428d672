/**
 * FAISS Python's IVF names: `faiss.IndexIVFFlat(quantizer, d, nlist, metric)`,
 * the IndexIVF fields and methods (`nprobe`, `nlist`, `quantizer`,
 * `invlists`, `make_direct_map`, `set_direct_map_type`, `merge_from`,
 * `search_preassigned`, `cp`, ...) shared by every IVF codec here, `faiss.DirectMap` codes,
 * `faiss.ArrayInvertedLists` and `faiss.SearchParametersIVF`.
 */
import * as ix from '@metalfaiss/indexes';
import type { VectorsInput } from '@metalfaiss/linalg';
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { Index, type SearchResultTuple } from './base';
import { ClusteringParameters } from './clustering';
import { registerWrapper, wrapIndex } from './wrap';

/** FAISS's DirectMap::Type codes: `faiss.DirectMap.NoMap / Array / Hashtable`. */
export const DirectMap = Object.freeze({ NoMap: 0, Array: 1, Hashtable: 2 } as const);

/** `faiss.SearchParametersIVF(nprobe=..., max_codes=..., sel=...)`: per-call IVF search parameters. */
export class SearchParametersIVF {
  nprobe?: number;
  maxCodes?: number;
  sel?: ix.IDSelector;
  constructor(options: { nprobe?: number; max_codes?: number; sel?: ix.IDSelector } = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an options object for SearchParametersIVF, received ${describeValue(options)}`);
    }
    if (options.nprobe !== undefined) this.nprobe = options.nprobe;
    if (options.max_codes !== undefined) this.maxCodes = options.max_codes;
    if (options.sel !== undefined) this.sel = options.sel;
  }
  get max_codes(): number | undefined {
    return this.maxCodes;
  }
  set max_codes(v: number | undefined) {
    this.maxCodes = v;
  }
}

/**
 * FAISS's InvertedLists as Python sees it: `list_size(l)`, `get_ids(l)`,
 * `get_codes(l)` (typed arrays instead of SWIG pointers), `add_entries`, ...
 */
export class InvertedLists {
  readonly impl: ix.InvertedLists;
  constructor(impl: ix.InvertedLists) {
    this.impl = impl;
  }
  get nlist(): number {
    return this.impl.nlist;
  }
  get code_size(): number {
    return this.impl.codeSize;
  }
  list_size(listNo: number): number {
    return this.impl.listSize(listNo);
  }
  /** the ids of a list (a copy) */
  get_ids(listNo: number): BigInt64Array {
    return this.impl.ids(listNo).slice();
  }
  /** the codes of a list, list_size * code_size bytes (a copy) */
  get_codes(listNo: number): Uint8Array {
    return this.impl.codes(listNo).slice();
  }
  get_single_id(listNo: number, offset: number): bigint {
    return this.impl.getSingleId(listNo, offset);
  }
  get_single_code(listNo: number, offset: number): Uint8Array {
    return this.impl.getSingleCode(listNo, offset);
  }
  /** `add_entries(list_no, n_entry, ids, codes)`; returns the offset of the first entry */
  add_entries(listNo: number, n: number, ids: BigInt64Array, codes: Uint8Array): number {
    if (ids?.length !== n) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected n_entry = ${n} ids for add_entries, received ${describeValue(ids)}`);
    }
    return this.impl.addEntries(listNo, ids, codes);
  }
  add_entry(listNo: number, id: bigint | number, code: Uint8Array): number {
    return this.impl.addEntry(listNo, ix.toId(id), code);
  }
  update_entries(listNo: number, offset: number, n: number, ids: BigInt64Array, codes: Uint8Array): void {
    if (ids?.length !== n) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected n_entry = ${n} ids for update_entries, received ${describeValue(ids)}`);
    }
    this.impl.updateEntries(listNo, offset, ids, codes);
  }
  resize(listNo: number, newSize: number): void {
    this.impl.resize(listNo, newSize);
  }
  reset(): void {
    this.impl.reset();
  }
  merge_from(other: InvertedLists, addId: number | bigint = 0): void {
    this.impl.mergeFrom(other.impl, ix.toId(addId, 'add_id'));
  }
  compute_ntotal(): number {
    return this.impl.computeNtotal();
  }
  imbalance_factor(): number {
    return this.impl.imbalanceFactor();
  }
}

/** `faiss.ArrayInvertedLists(nlist, code_size)` */
export class ArrayInvertedLists extends InvertedLists {
  constructor(nlist: number, codeSize: number) {
    super(new ix.ArrayInvertedLists(nlist, codeSize));
  }
}

/** The `@metalfaiss/indexes` object of a coarse quantizer given to an IVF constructor (a compat Index or an impl). */
export function quantizerImpl(quantizer: unknown, owner: string): ix.Index {
  if (quantizer instanceof Index) return quantizer.impl;
  if (quantizer instanceof ix.Index) return quantizer;
  throw new MetalFaissError('INVALID_ARGUMENT', `expected a faiss Index (the coarse quantizer) for ${owner}'s quantizer, received ${describeValue(quantizer)}`);
}

/**
 * FAISS's IndexIVF fields and methods over an `@metalfaiss/indexes` IndexIVF:
 * the one compat base of IndexIVFFlat, IndexIVFPQ and IndexIVFScalarQuantizer.
 */
export class IndexIVF<T extends ix.IndexIVF = ix.IndexIVF> extends Index<T> {
  /**
   * The compat quantizer object given to the constructor, when there was one
   * (set by keepQuantizer: a non-enumerable own property, absent on wrapped objects).
   */
  declare protected readonly _quantizer?: Index;

  /** Remembers the compat quantizer a subclass constructor was given, so `quantizer` returns that same object. */
  protected keepQuantizer(quantizer: unknown): void {
    Object.defineProperty(this, '_quantizer', { value: quantizer instanceof Index ? quantizer : undefined });
  }

  /** the coarse quantizer (the compat object given to the constructor, else a wrapper) */
  get quantizer(): Index {
    const given = this._quantizer;
    return given && given.impl === this.impl.quantizer ? given : wrapIndex(this.impl.quantizer);
  }
  get nlist(): number {
    return this.impl.nlist;
  }
  get nprobe(): number {
    return this.impl.nprobe;
  }
  set nprobe(v: number) {
    this.impl.nprobe = v;
  }
  get max_codes(): number {
    return this.impl.maxCodes;
  }
  set max_codes(v: number) {
    this.impl.maxCodes = v;
  }
  get code_size(): number {
    return this.impl.codeSize;
  }
  /**
   * `train` off the event loop. metalfaiss extension: `options.onProgress`
   * reports the coarse quantizer's k-means iterations (and the codec's
   * steps), `options.signal` aborts (the index is then unchanged).
   */
  train_async(x: VectorsInput, options?: ix.AsyncOptions & { onProgress?: (progress: ix.QuantizerProgress) => void }): Promise<void> {
    return this.impl.train(x, options);
  }
  get verbose(): boolean {
    return this.impl.verbose;
  }
  set verbose(v: boolean) {
    this.impl.verbose = Boolean(v);
  }
  get quantizer_trains_alone(): number {
    return this.impl.quantizerTrainsAlone;
  }
  set quantizer_trains_alone(v: number) {
    if (v !== 0 && v !== 1 && v !== 2) throw new MetalFaissError('INVALID_ARGUMENT', `expected 0, 1 or 2 for quantizer_trains_alone, received ${describeValue(v)}`);
    this.impl.quantizerTrainsAlone = v;
  }
  /** the clustering parameters of the quantizer training (`index.cp.niter = 20`) */
  get cp(): ClusteringParameters {
    return ClusteringParameters.over(this.impl.cp);
  }
  get invlists(): InvertedLists {
    return new InvertedLists(this.impl.invlists);
  }
  /** the direct map: `index.direct_map.type` is FAISS's code (0 none, 1 array, 2 hashtable) */
  get direct_map(): { type: number; no(): boolean } {
    const type = ix.DirectMapTypeCode[this.impl.directMap.type];
    return { type, no: () => type === 0 };
  }
  get_list_size(listNo: number): number {
    return this.impl.getListSize(listNo);
  }
  imbalance_factor(): number {
    return this.impl.imbalanceFactor();
  }
  make_direct_map(on = true): void {
    this.impl.makeDirectMap(on);
  }
  set_direct_map_type(type: number | ix.DirectMapType): void {
    this.impl.setDirectMapType(type as ix.DirectMapType);
  }
  replace_invlists(lists: InvertedLists): void {
    this.impl.replaceInvlists(lists.impl);
  }
  merge_from(other: IndexIVF, add_id: number | bigint = 0): void {
    if (!(other instanceof IndexIVF)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an IVF index for merge_from, received ${describeValue(other)}`);
    }
    this.impl.mergeFrom(other.impl, add_id);
  }
  /** `D, I = index.quantizer.search(x, nprobe)` then `index.search_preassigned(x, k, I, D)` */
  search_preassigned(x: VectorsInput, k: number, assign: BigInt64Array, centroid_dis: Float32Array, store_pairs = false, params?: SearchParametersIVF): SearchResultTuple {
    const r = this.impl.searchPreassignedSync(x, k, assign, centroid_dis, { ...(params as object), selector: params?.sel, storePairs: store_pairs });
    return [r.distances, r.labels];
  }
}

/** `faiss.IndexIVFFlat(quantizer, d, nlist, metric=faiss.METRIC_L2)` */
export class IndexIVFFlat extends IndexIVF<ix.IndexIVFFlat> {
  constructor(quantizer: Index, d: number, nlist: number, metric: number = ix.MetricType.L2) {
    super(new ix.IndexIVFFlat(d, nlist, { metric: metric as ix.MetricType, quantizer: quantizerImpl(quantizer, 'IndexIVFFlat') }));
    this.keepQuantizer(quantizer);
  }
}

registerWrapper(ix.IndexIVF as unknown as abstract new (...args: never[]) => ix.IndexIVF, IndexIVF);
registerWrapper(ix.IndexIVFFlat, IndexIVFFlat);
