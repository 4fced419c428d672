/**
 * IndexHNSW (FAISS's name): a hierarchical navigable small-world graph over a
 * storage of vectors (flat floats, PQ or SQ codes). Labels are positions
 * 0..ntotal-1. Subclasses: IndexHNSWFlat, IndexHNSWPQ, IndexHNSWSQ.
 *
 * Parameters as FAISS names them, on `index.hnsw`: `efConstruction` (40),
 * `efSearch` (16), `searchBoundedQueue` (true), `checkRelativeDistance`
 * (true); `efSearch`, `checkRelativeDistance` and `searchBoundedQueue` can
 * also be given per call (SearchParametersHNSW). When efSearch < k, the
 * search runs with efSearch = k, so k results come back whenever the index
 * holds k vectors. (FAISS 1.7.3 raises only its candidate queue to k and
 * keeps efSearch in its stopping rule, so it can stop early and pad with -1:
 * the one case where results differ from FAISS's on the same graph.)
 *
 * Insertion is FAISS 1.7.3's: levels drawn from FAISS's generator (seed
 * 12345, probabilities from M), nodes inserted level by level from the
 * highest, in parallel (native threads, per-node locks) within a level.
 * `add` (async) reports progress (nodes inserted / total) and can be aborted;
 * removal is not supported (UNSUPPORTED, as in FAISS).
 *
 * Concurrency: searches see the graph and storage as they were when they
 * started (see HnswGraph); adds run one at a time, an async add into copies
 * installed at the end. `addSync` while an async add is running throws.
 */
import {
  MetalFaissError,
  hnswRangeSearch,
  hnswRangeSearchAsync,
  hnswSearch,
  hnswSearchAsync,
  type HnswRangeArgs,
  type HnswSearchArgs,
} from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { Index, type RangeSearchResult, type SearchResult } from '../index-base';
import type { MetricType } from '../metric';
import type { IDSelector } from '../selector';
import { checkK, checkRadius, checkResultSize, type IdsInput } from '../validate';
import { throwIfAborted } from '../abort';
import { type QuantizerOptions, quantizerOptions } from '../sq/options';
import { HnswGraph } from './graph';
import {
  AddQueue,
  HNSW_NO_REMOVE,
  type HnswStore,
  type SearchParametersHNSW,
  insertAsync,
  insertSync,
  resolveWalk,
  selectorMask,
} from './core';

/** Options of IndexHNSW.add: an AbortSignal and a progress callback (step 'insert': nodes inserted / total). */
export type HnswAddOptions = QuantizerOptions;

export abstract class IndexHNSW extends Index {
  /** the graph and its parameters (FAISS's `hnsw`) */
  readonly hnsw: HnswGraph;
  protected readonly store: HnswStore;
  readonly #adds = new AddQueue();

  protected constructor(d: number, metricType: MetricType, hnsw: HnswGraph, store: HnswStore) {
    super(d, metricType);
    this.hnsw = hnsw;
    this.store = store;
  }

  get ntotal(): number {
    return this.hnsw.ntotal;
  }

  /** Checks that vectors can be added (subclasses refuse untrained storage here). */
  protected abstract checkAddable(method: string): void;

  /** The storage codes of n rows computed off the event loop (code storages), or undefined. */
  protected async encodeAsync(_rows: Float32Array, _n: number): Promise<Uint8Array | undefined> {
    return undefined;
  }

  addSync(x: VectorsInput): void {
    if (this.#adds.busy) {
      throw new MetalFaissError('UNSUPPORTED', `${this.typeName}.addSync while an async add is running is not supported: await it first`);
    }
    this.checkAddable('add');
    const m = asMatrix(x, this.d, { name: 'x' });
    if (m.rows === 0) return;
    const stage = this.store.stage(m.data, m.rows);
    insertSync(this.hnsw, stage, m.rows);
  }

  /**
   * Adds off the event loop: nodes are inserted in chunks, `options.onProgress`
   * reports { step: 'insert', done, total } after each, `options.signal`
   * aborts between chunks (ABORTED; the index is unchanged).
   */
  async add(x: VectorsInput, options?: HnswAddOptions): Promise<void> {
    const method = `${this.typeName}.add`;
    const { signal, report } = quantizerOptions(options, method, 'add');
    throwIfAborted(signal, method);
    this.checkAddable('add');
    const m = asMatrix(x, this.d, { name: 'x' });
    if (m.rows === 0) return;
    const rows = m.data.slice();
    await this.#adds.run(async () => {
      throwIfAborted(signal, method);
      const encoded = await this.encodeAsync(rows, m.rows);
      throwIfAborted(signal, method);
      const stage = this.store.stage(rows, m.rows, encoded);
      await insertAsync(this.hnsw, stage, m.rows, method, { signal, report });
    });
  }

  addWithIdsSync(_x: VectorsInput, _ids: IdsInput): void {
    throw this.unsupported('addWithIds', 'HNSW labels are positions; wrap the index in an IndexIDMap to add with ids');
  }

  #searchArgs(xq: VectorsInput, k: number, params: SearchParametersHNSW | undefined): HnswSearchArgs {
    checkK(k);
    const walk = resolveWalk(this.hnsw, params);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    checkResultSize(q.rows, k);
    const graph = this.hnsw.snapshot();
    return {
      graph,
      storage: this.store.arrays(),
      xq: q.data,
      nq: q.rows,
      k,
      efSearch: Math.max(walk.efSearch, k),
      boundedQueue: walk.boundedQueue,
      checkRelativeDistance: walk.checkRelativeDistance,
      filter: selectorMask(walk.selector as IDSelector | undefined, graph.ntotal),
      distances: new Float32Array(q.rows * k),
      labels: new BigInt64Array(q.rows * k),
    };
  }

  protected checkSearchable(): void {}

  /**
   * k nearest neighbours of each query (squared L2 distances, or inner
   * products best first), -1 / +-Infinity padded.
   * @param params SearchParametersHNSW: efSearch, checkRelativeDistance, searchBoundedQueue, selector
   */
  searchSync(xq: VectorsInput, k: number, params?: SearchParametersHNSW): SearchResult {
    this.checkSearchable();
    const args = this.#searchArgs(xq, k, params);
    hnswSearch(args);
    return { distances: args.distances, labels: args.labels };
  }

  async search(xq: VectorsInput, k: number, params?: SearchParametersHNSW): Promise<SearchResult> {
    this.checkSearchable();
    const args = this.#searchArgs(xq, k, params);
    this.hnsw.beginRead();
    try {
      await hnswSearchAsync(args);
    } finally {
      this.hnsw.endRead();
    }
    return { distances: args.distances, labels: args.labels };
  }

  #rangeArgs(xq: VectorsInput, radius: number, params: SearchParametersHNSW | undefined): HnswRangeArgs {
    checkRadius(radius);
    const walk = resolveWalk(this.hnsw, params);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    const graph = this.hnsw.snapshot();
    return {
      graph,
      storage: this.store.arrays(),
      xq: q.data,
      nq: q.rows,
      radius,
      efSearch: walk.efSearch,
      boundedQueue: walk.boundedQueue,
      checkRelativeDistance: walk.checkRelativeDistance,
      filter: selectorMask(walk.selector as IDSelector | undefined, graph.ntotal),
    };
  }

  /**
   * The vectors within the radius that the graph walk meets (L2: distance <
   * radius; inner product: similarity > radius), per query in the order the
   * walk finds them, as FAISS's IndexHNSW::range_search: approximate, like
   * the k-NN search (a larger efSearch finds more).
   */
  rangeSearchSync(xq: VectorsInput, radius: number, params?: SearchParametersHNSW): RangeSearchResult {
    this.checkSearchable();
    return hnswRangeSearch(this.#rangeArgs(xq, radius, params));
  }

  async rangeSearch(xq: VectorsInput, radius: number, params?: SearchParametersHNSW): Promise<RangeSearchResult> {
    this.checkSearchable();
    const args = this.#rangeArgs(xq, radius, params);
    this.hnsw.beginRead();
    try {
      return await hnswRangeSearchAsync(args);
    } finally {
      this.hnsw.endRead();
    }
  }

  /** @throws MetalFaissError UNSUPPORTED: FAISS's HNSW cannot remove vectors */
  removeIds(_sel: IDSelector | IdsInput): number {
    throw this.unsupported('removeIds', HNSW_NO_REMOVE);
  }

  /** Empties the graph and the storage (training is kept). An async add running now is discarded (ABORTED). */
  reset(): void {
    this.hnsw.reset();
    this.store.reset();
  }

  memoryBytes(): number {
    return this.hnsw.memoryBytes() + this.store.memoryBytes();
  }
}
