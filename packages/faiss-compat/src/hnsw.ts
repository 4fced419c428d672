/**
 * FAISS's HNSW indexes under their Python names: IndexHNSWFlat (and the
 * IndexHNSW base), `index.hnsw.efSearch` / `efConstruction` /
 * `search_bounded_queue` / `check_relative_distance`, `set_efSearch` /
 * `set_efConstruction` shims, SearchParametersHNSW, and the io mapping of
 * `IHNf` records (FAISS files read and written both ways).
 */
import * as ix from '@metalfaiss/indexes';
import type * as io from '@metalfaiss/io';
import type { VectorsInput } from '@metalfaiss/linalg';
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { Index, type SearchParameters, type SearchResultTuple, type RangeSearchResultTuple } from './base';
import { METRIC_L2 } from './functions';
import { checkMetric, headerOf, registerMapping } from './io/registry';
import { ProductQuantizer } from './pq';
import { ScalarQuantizer } from './sq';
import { registerWrapper } from './wrap';

function positiveInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= 1 for ${name}, received ${describeValue(v)}`);
  }
  return v;
}

/** FAISS's `HNSW` struct as Python sees it (`index.hnsw`). */
export class HNSW {
  constructor(readonly impl: ix.HnswGraph) {}
  get efSearch(): number {
    return this.impl.efSearch;
  }
  set efSearch(v: number) {
    this.impl.efSearch = positiveInt(v, 'hnsw.efSearch');
  }
  get efConstruction(): number {
    return this.impl.efConstruction;
  }
  set efConstruction(v: number) {
    this.impl.efConstruction = positiveInt(v, 'hnsw.efConstruction');
  }
  get search_bounded_queue(): boolean {
    return this.impl.searchBoundedQueue;
  }
  set search_bounded_queue(v: boolean) {
    this.impl.searchBoundedQueue = Boolean(v);
  }
  get check_relative_distance(): boolean {
    return this.impl.checkRelativeDistance;
  }
  set check_relative_distance(v: boolean) {
    this.impl.checkRelativeDistance = Boolean(v);
  }
  get upper_beam(): number {
    return this.impl.upperBeam;
  }
  get max_level(): number {
    return this.impl.maxLevel;
  }
  get entry_point(): number {
    return this.impl.entryPoint;
  }
  /** per node: levels it belongs to (`faiss.vector_to_array(hnsw.levels)`) */
  get levels(): Int32Array {
    return this.impl.toParts().levels;
  }
  get offsets(): BigUint64Array {
    return this.impl.toParts().offsets as BigUint64Array;
  }
  get neighbors(): Int32Array {
    return this.impl.toParts().neighbors;
  }
  get assign_probas(): Float64Array {
    return this.impl.assignProbas;
  }
  get cum_nneighbor_per_level(): Int32Array {
    return this.impl.cumNneighborPerLevel;
  }
  nb_neighbors(layer: number): number {
    return this.impl.nbNeighbors(layer);
  }
  cum_nb_neighbors(layer: number): number {
    return this.impl.cumNneighborPerLevel[layer];
  }
}

/** `faiss.SearchParametersHNSW(efSearch=..., check_relative_distance=..., sel=...)`. */
export interface SearchParametersHNSW extends SearchParameters {
  efSearch?: number;
  check_relative_distance?: boolean;
  search_bounded_queue?: boolean;
}

function hnswParams(p: SearchParametersHNSW | undefined): ix.SearchParametersHNSW | undefined {
  if (!p) return undefined;
  return {
    selector: p.sel,
    efSearch: p.efSearch,
    checkRelativeDistance: p.check_relative_distance,
    searchBoundedQueue: p.search_bounded_queue,
  };
}

const graphs = new WeakMap<ix.HnswGraph, HNSW>();

/** The compat HNSW object of an index's graph (stable across calls). */
export function hnswOf(g: ix.HnswGraph): HNSW {
  let h = graphs.get(g);
  if (!h) {
    h = new HNSW(g);
    graphs.set(g, h);
  }
  return h;
}

export class IndexHNSW<T extends ix.IndexHNSW = ix.IndexHNSW> extends Index<T> {
  /** the graph and its parameters: `index.hnsw.efSearch = 64` */
  get hnsw(): HNSW {
    return hnswOf(this.impl.hnsw);
  }
  /** shim: `index.set_efSearch(ef)` = `index.hnsw.efSearch = ef` */
  set_efSearch(ef: number): void {
    this.hnsw.efSearch = ef;
  }
  /** shim: `index.set_efConstruction(ef)` = `index.hnsw.efConstruction = ef` */
  set_efConstruction(ef: number): void {
    this.hnsw.efConstruction = ef;
  }
  search(x: VectorsInput, k: number, params?: SearchParametersHNSW): SearchResultTuple {
    const r = this.impl.searchSync(x, k, hnswParams(params));
    return [r.distances, r.labels];
  }
  async search_async(x: VectorsInput, k: number, params?: SearchParametersHNSW): Promise<SearchResultTuple> {
    const r = await this.impl.search(x, k, hnswParams(params));
    return [r.distances, r.labels];
  }
  range_search(x: VectorsInput, radius: number, params?: SearchParametersHNSW): RangeSearchResultTuple {
    const r = this.impl.rangeSearchSync(x, radius, hnswParams(params));
    return [r.lims, r.distances, r.labels];
  }
  async range_search_async(x: VectorsInput, radius: number, params?: SearchParametersHNSW): Promise<RangeSearchResultTuple> {
    const r = await this.impl.rangeSearch(x, radius, hnswParams(params));
    return [r.lims, r.distances, r.labels];
  }
}

export class IndexHNSWFlat extends IndexHNSW<ix.IndexHNSWFlat> {
  /** `faiss.IndexHNSWFlat(d, M=32, metric=faiss.METRIC_L2)` */
  constructor(d: number, M = 32, metric: number = METRIC_L2) {
    super(new ix.IndexHNSWFlat(d, M, metric as ix.MetricType));
  }
  /** the flat storage's vectors (`faiss.rev_swig_ptr(index.storage.get_xb(), ...)`), ntotal * d */
  get_xb(): Float32Array {
    return this.impl.vectors;
  }
}

export class IndexHNSWPQ extends IndexHNSW<ix.IndexHNSWPQ> {
  /** `faiss.IndexHNSWPQ(d, pq_m, M)`: PQ storage of pq_m 8-bit sub-quantizers, L2 */
  constructor(d: number, pq_m: number, M = 32) {
    super(new ix.IndexHNSWPQ(d, pq_m, M));
  }
  /** the storage's product quantizer (`faiss.downcast_index(index.storage).pq`) */
  get pq(): ProductQuantizer {
    return new ProductQuantizer(this.impl.pq);
  }
}

export class IndexHNSWSQ extends IndexHNSW<ix.IndexHNSWSQ> {
  /** `faiss.IndexHNSWSQ(d, qtype, M, metric=faiss.METRIC_L2)` */
  constructor(d: number, qtype: number, M = 32, metric: number = METRIC_L2) {
    super(new ix.IndexHNSWSQ(d, qtype as ix.QuantizerType, M, metric as ix.MetricType));
  }
  /** the storage's scalar quantizer (`faiss.downcast_index(index.storage).sq`) */
  get sq(): ScalarQuantizer {
    return new ScalarQuantizer(this.impl.sq);
  }
}

registerWrapper(ix.IndexHNSW as unknown as abstract new (...args: never[]) => ix.IndexHNSW, IndexHNSW);
registerWrapper(ix.IndexHNSWFlat, IndexHNSWFlat);
registerWrapper(ix.IndexHNSWPQ, IndexHNSWPQ);
registerWrapper(ix.IndexHNSWSQ, IndexHNSWSQ);

/** HNSW record fields <-> the graph's parts. */
export function hnswFromRecord(r: io.HNSWRecord): ix.HnswParts {
  return {
    assignProbas: r.assignProbas,
    cumNneighborPerLevel: r.cumNneighborPerLevel,
    levels: r.levels,
    offsets: r.offsets,
    neighbors: r.neighbors,
    entryPoint: r.entryPoint,
    maxLevel: r.maxLevel,
    efConstruction: r.efConstruction,
    efSearch: r.efSearch,
    upperBeam: r.upperBeam,
  };
}

export function hnswToRecord(g: ix.HnswGraph): io.HNSWRecord {
  const p = g.toParts();
  return {
    assignProbas: p.assignProbas,
    cumNneighborPerLevel: p.cumNneighborPerLevel,
    levels: p.levels,
    offsets: p.offsets instanceof BigUint64Array ? p.offsets : new BigUint64Array(p.offsets.buffer, p.offsets.byteOffset, p.offsets.length),
    neighbors: p.neighbors,
    entryPoint: p.entryPoint,
    maxLevel: p.maxLevel,
    efConstruction: p.efConstruction,
    efSearch: p.efSearch,
    upperBeam: p.upperBeam ?? 1,
  };
}

function ioError(what: string, cause?: unknown): MetalFaissError {
  return new MetalFaissError('IO_FORMAT', `invalid IHNf index in the file: ${what}`, cause === undefined ? undefined : { cause });
}

registerMapping({
  name: 'IndexHNSWFlat',
  fourccs: ['IHNf'],
  fromRecord(record) {
    const r = record as io.IndexHNSWRecord;
    checkMetric(r.header, r.fourcc);
    const s = r.storage;
    if (s.fourcc !== 'IxF2' && s.fourcc !== 'IxFI' && s.fourcc !== 'IxFl') throw ioError(`expected flat storage (IxF2 / IxFI), received ${s.fourcc}`);
    const flat = s as io.IndexFlatRecord;
    checkMetric(flat.header, flat.fourcc);
    if (flat.header.d !== r.header.d || flat.header.ntotal !== r.header.ntotal) {
      throw ioError(`the storage holds ${flat.header.ntotal} vectors of d = ${flat.header.d}, the header says ${r.header.ntotal} of d = ${r.header.d}`);
    }
    if (flat.header.metricType !== r.header.metricType) throw ioError(`the storage's metric ${flat.header.metricType} differs from the index's ${r.header.metricType}`);
    try {
      return ix.IndexHNSWFlat.fromParts({ d: r.header.d, metricType: r.header.metricType, hnsw: hnswFromRecord(r.hnsw), vectors: flat.xb });
    } catch (cause) {
      if (MetalFaissError.isInstance(cause) && cause.code === 'IO_FORMAT') throw cause;
      throw ioError((cause as Error).message, cause);
    }
  },
  writes: (index) => index instanceof ix.IndexHNSWFlat,
  toRecord(index) {
    const h = index as ix.IndexHNSWFlat;
    const header = headerOf(h);
    return {
      fourcc: 'IHNf',
      header,
      hnsw: hnswToRecord(h.hnsw),
      storage: { fourcc: h.metricType === ix.MetricType.L2 ? 'IxF2' : 'IxFI', header: { ...header }, xb: h.vectors } satisfies io.IndexFlatRecord,
    } satisfies io.IndexHNSWRecord;
  },
});

function checkStorage(r: io.IndexHNSWRecord, storage: ix.Index): void {
  if (storage.d !== r.header.d || storage.ntotal !== r.header.ntotal) {
    throw new MetalFaissError(
      'IO_FORMAT',
      `invalid ${r.fourcc} index in the file: the storage holds ${storage.ntotal} vectors of d = ${storage.d}, the header says ${r.header.ntotal} of d = ${r.header.d}`,
    );
  }
}

function asIoFormat<T>(fourcc: string, build: () => T): T {
  try {
    return build();
  } catch (cause) {
    if (MetalFaissError.isInstance(cause) && cause.code !== 'IO_FORMAT' && cause.code !== 'UNSUPPORTED') {
      throw new MetalFaissError('IO_FORMAT', `invalid ${fourcc} index in the file: ${cause.message}`, { cause });
    }
    throw cause;
  }
}

registerMapping({
  name: 'IndexHNSWPQ',
  fourccs: ['IHNp'],
  fromRecord(record, ctx) {
    const r = record as io.IndexHNSWRecord;
    checkMetric(r.header, r.fourcc);
    const storage = ctx.fromRecord(r.storage);
    if (!(storage instanceof ix.IndexPQ)) throw new MetalFaissError('IO_FORMAT', `invalid IHNp index in the file: expected IndexPQ storage, received ${r.storage.fourcc}`);
    checkStorage(r, storage);
    if (storage.pq.nbits !== 8) throw new MetalFaissError('UNSUPPORTED', `the IHNp index in the file uses ${storage.pq.nbits}-bit PQ codes; IndexHNSWPQ supports 8 bits (as FAISS's constructor)`);
    return asIoFormat('IHNp', () =>
      ix.IndexHNSWPQ.fromParts({
        d: r.header.d,
        pqM: storage.pq.M,
        hnsw: hnswFromRecord(r.hnsw),
        centroids: storage.pq.isTrained ? storage.pq.centroids : new Float32Array(0),
        codes: storage.codes,
      }),
    );
  },
  writes: (index) => index instanceof ix.IndexHNSWPQ,
  toRecord(index, ctx) {
    const h = index as ix.IndexHNSWPQ;
    const storage = new ix.IndexPQ(h.d, h.pq.M, 8);
    if (h.pq.isTrained) storage.pq.setCentroids(h.pq.centroids);
    if (h.ntotal > 0) storage.addCodes(h.codes);
    return { fourcc: 'IHNp', header: headerOf(h), hnsw: hnswToRecord(h.hnsw), storage: ctx.toRecord(storage) as io.IndexRecord } satisfies io.IndexHNSWRecord;
  },
});

registerMapping({
  name: 'IndexHNSWSQ',
  fourccs: ['IHNs'],
  fromRecord(record, ctx) {
    const r = record as io.IndexHNSWRecord;
    checkMetric(r.header, r.fourcc);
    const storage = ctx.fromRecord(r.storage);
    if (!(storage instanceof ix.IndexScalarQuantizer)) throw new MetalFaissError('IO_FORMAT', `invalid IHNs index in the file: expected IndexScalarQuantizer storage, received ${r.storage.fourcc}`);
    checkStorage(r, storage);
    return asIoFormat('IHNs', () =>
      ix.IndexHNSWSQ.fromParts({
        d: r.header.d,
        metricType: r.header.metricType,
        hnsw: hnswFromRecord(r.hnsw),
        qtype: storage.sq.qtype,
        trained: storage.sq.isTrained ? storage.sq.trained : new Float32Array(0),
        codes: storage.codes,
        rangestat: storage.sq.rangestat,
        rangestatArg: storage.sq.rangestatArg,
      }),
    );
  },
  writes: (index) => index instanceof ix.IndexHNSWSQ,
  toRecord(index, ctx) {
    const h = index as ix.IndexHNSWSQ;
    const storage = new ix.IndexScalarQuantizer(h.d, h.sq.qtype, { metric: h.metricType, rangestat: h.sq.rangestat, rangestatArg: h.sq.rangestatArg });
    if (h.sq.isTrained && h.sq.trained.length > 0) storage.sq.setTrained(h.sq.trained);
    if (h.ntotal > 0) storage.addCodes(h.codes);
    return { fourcc: 'IHNs', header: headerOf(h), hnsw: hnswToRecord(h.hnsw), storage: ctx.toRecord(storage) as io.IndexRecord } satisfies io.IndexHNSWRecord;
  },
});
