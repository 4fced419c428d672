/**
 * The abstract index, mirroring FAISS's `Index`:
 *
 * - vectors are row-major Float32Array batches of n * d values (or arrays of
 *   d-component rows); labels are FAISS's idx_t as BigInt64Array, padded with
 *   -1 (distance +Infinity for L2, -Infinity for inner product) when fewer
 *   than k results exist;
 * - Node's convention: `search()` returns a Promise and computes off the event
 *   loop, `searchSync()` is its synchronous twin; likewise add/train/rangeSearch;
 * - per-call parameters (`SearchParameters`) instead of mutable fields, so
 *   concurrent searches are safe; an index mutated while an async search runs
 *   stays consistent (the search sees the index as it was when it started);
 * - optional operations an index does not support throw MetalFaissError with
 *   code UNSUPPORTED;
 * - a failed call (bad input) leaves the index unchanged.
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { type VectorsInput } from '@metalfaiss/linalg';
import { type MetricType, metricName } from './metric';
import type { IDSelector } from './selector';
import type { IdsInput } from './validate';
import { type AsyncOptions, signalOf, throwIfAborted } from './abort';

export interface SearchResult {
  /** nq * k distances (squared L2) or similarities (inner product), best first per query */
  distances: Float32Array;
  /** nq * k labels; -1 where fewer than k results exist */
  labels: BigInt64Array;
}

export interface RangeSearchResult {
  /** nq + 1 offsets: the results of query i are [lims[i], lims[i+1]) */
  lims: BigInt64Array;
  distances: Float32Array;
  labels: BigInt64Array;
}

/** Per-call search parameters (FAISS's SearchParameters); subclasses extend. */
export interface SearchParameters {
  /** only ids the selector accepts may be returned */
  selector?: IDSelector;
}

export abstract class Index {
  /** vector dimension */
  readonly d: number;
  /** FAISS metric code (0 inner product, 1 L2) */
  readonly metricType: MetricType;

  protected constructor(d: number, metricType: MetricType) {
    this.d = d;
    this.metricType = metricType;
  }

  /** number of indexed vectors */
  abstract get ntotal(): number;
  /** whether the index can accept vectors (trained, or needing no training) */
  abstract get isTrained(): boolean;
  /** the class name, used in error messages */
  get typeName(): string {
    return this.constructor.name;
  }
  get metricName(): string {
    return metricName(this.metricType);
  }

  protected unsupported(method: string, why = ''): MetalFaissError {
    return new MetalFaissError('UNSUPPORTED', `${this.typeName}.${method} is not supported${why ? `: ${why}` : ''}`);
  }

  /** Trains the index on n * d vectors. Indexes that need no training accept and ignore it. */
  trainSync(_x: VectorsInput): void {
    throw this.unsupported('train');
  }
  /**
   * Trains off the event loop where the index can. `options.signal` aborts it:
   * the promise rejects with ABORTED and the index is left as it was.
   */
  async train(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    throwIfAborted(signalOf(options, `${this.typeName}.train`), `${this.typeName}.train`);
    this.trainSync(x);
  }

  abstract addSync(x: VectorsInput): void;
  /** Adds n * d vectors; `options.signal` aborts it (ABORTED, index unchanged). */
  async add(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    throwIfAborted(signalOf(options, `${this.typeName}.add`), `${this.typeName}.add`);
    this.addSync(x);
  }

  addWithIdsSync(_x: VectorsInput, _ids: IdsInput): void {
    throw this.unsupported('addWithIds', 'this index numbers vectors by position; wrap it in an IndexIDMap to add with ids');
  }
  async addWithIds(x: VectorsInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    throwIfAborted(signalOf(options, `${this.typeName}.addWithIds`), `${this.typeName}.addWithIds`);
    this.addWithIdsSync(x, ids);
  }

  abstract searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult;
  abstract search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult>;

  rangeSearchSync(_xq: VectorsInput, _radius: number, _params?: SearchParameters): RangeSearchResult {
    throw this.unsupported('rangeSearch');
  }
  async rangeSearch(xq: VectorsInput, radius: number, params?: SearchParameters): Promise<RangeSearchResult> {
    return this.rangeSearchSync(xq, radius, params);
  }

  /** Removes the ids the selector (or list) names; returns how many were removed. */
  removeIds(_sel: IDSelector | IdsInput): number {
    throw this.unsupported('removeIds');
  }

  /** The stored (or decoded) vector with label `key`, as a new Float32Array of length d. */
  reconstruct(_key: number | bigint): Float32Array {
    throw this.unsupported('reconstruct');
  }

  /** Vectors i0 .. i0+n-1 as a new Float32Array of n * d values. */
  reconstructN(i0: number, n: number): Float32Array {
    const out = new Float32Array(n * this.d);
    for (let i = 0; i < n; i++) out.set(this.reconstruct(i0 + i), i * this.d);
    return out;
  }

  /** Removes every vector (training is kept). */
  abstract reset(): void;

  /** Bytes held by the index's own storage (vectors, codes, ids, graphs). */
  abstract memoryBytes(): number;
}
