/**
 * HNSW over compressed storage, as FAISS's IndexHNSWPQ and IndexHNSWSQ: the
 * graph links codes of a product quantizer (8 bits per sub-quantizer, L2)
 * or of a scalar quantizer (any FAISS qtype, L2 or inner product). Both need
 * training (the quantizer's) before add, except SQ types that need none
 * (QT_fp16, QT_8bit_direct). As in FAISS, insertion queries with the
 * original vectors (asymmetric distances to the stored codes) and compares
 * stored nodes through their codes (PQ: the centroid-to-centroid table).
 */
import { HNSW_STORAGE_PQ, HNSW_STORAGE_SQ, MetalFaissError, describeValue, type HnswStorageArrays } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { type MetricInput, MetricType, parseMetric } from '../metric';
import { checkDimension, checkKey } from '../validate';
import { throwIfAborted } from '../abort';
import { type QuantizerOptions, quantizerOptions } from '../sq/options';
import { ProductQuantizer } from '../pq/product-quantizer';
import { type QuantizerType, ScalarQuantizer } from '../sq/scalar-quantizer';
import { HnswGraph, type HnswParts } from './graph';
import { type HnswStore, type StorageStage, ensureCapacity, largeArray } from './core';
import { IndexHNSW } from './index-hnsw';
import { checkM } from './levels';

/** Codes with room to grow, encoded by a quantizer; rows past ntotal are invisible until committed. */
class CodeStore implements HnswStore {
  #codes: Uint8Array = new Uint8Array(0);
  #ntotal = 0;
  constructor(
    readonly codeSize: number,
    readonly encode: (x: Float32Array) => Uint8Array,
    readonly describe: (codes: Uint8Array) => HnswStorageArrays,
  ) {}
  get ntotal(): number {
    return this.#ntotal;
  }
  get codes(): Uint8Array {
    return this.#codes.subarray(0, this.#ntotal * this.codeSize);
  }
  arrays(): HnswStorageArrays {
    return this.describe(this.codes);
  }
  stage(x: Float32Array | Uint8Array, n: number, encoded?: Uint8Array): StorageStage {
    const cs = this.codeSize;
    const n0 = this.#ntotal;
    const codes = encoded ?? this.encode(x as Float32Array);
    const buf = ensureCapacity(this.#codes, (n0 + n) * cs, n0 * cs, (c) => largeArray(Uint8Array, c));
    buf.set(codes.subarray(0, n * cs), n0 * cs);
    return {
      arrays: this.describe(buf.subarray(0, (n0 + n) * cs)),
      rows: x,
      commit: () => {
        this.#codes = buf;
        this.#ntotal = n0 + n;
      },
    };
  }
  reset(): void {
    this.#codes = new Uint8Array(0);
    this.#ntotal = 0;
  }
  memoryBytes(): number {
    return this.#codes.byteLength;
  }
}

export interface IndexHNSWPQParts {
  d: number;
  hnsw: HnswParts;
  /** sub-quantizers (8 bits each) */
  pqM: number;
  /** the PQ centroids, [pqM][256][d / pqM]; empty when untrained */
  centroids: Float32Array;
  /** ntotal * pqM bytes */
  codes: Uint8Array;
}

export class IndexHNSWPQ extends IndexHNSW {
  /** the product quantizer of the storage (FAISS's storage->pq) */
  readonly pq: ProductQuantizer;
  declare protected readonly store: CodeStore;

  /**
   * `faiss.IndexHNSWPQ(d, pq_m, M)`: PQ codes of pq_m bytes (8 bits per
   * sub-quantizer, as FAISS), L2.
   * @throws MetalFaissError INVALID_ARGUMENT (d % pqM, M), UNSUPPORTED (nbits other than 8, inner product)
   */
  constructor(d: number, pqM: number, M = 32, nbits = 8, options: { metric?: MetricInput } = {}) {
    checkDimension(d);
    checkM(M);
    if (nbits !== 8) {
      throw new MetalFaissError('UNSUPPORTED', `expected nbits = 8 for IndexHNSWPQ (FAISS's IndexHNSWPQ uses 8-bit sub-quantizers), received ${describeValue(nbits)}`);
    }
    if (parseMetric(options.metric) !== MetricType.L2) {
      throw new MetalFaissError('UNSUPPORTED', "IndexHNSWPQ supports the L2 metric only (as FAISS's IndexHNSWPQ)");
    }
    const pq = new ProductQuantizer(d, pqM, 8);
    const store = new CodeStore(
      pq.codeSize,
      (x) => pq.computeCodes(x),
      (codes) => ({ kind: HNSW_STORAGE_PQ, metric: 1, d, pqM: pq.M, pqCentroids: pq.centroids, codes }),
    );
    super(d, MetricType.L2, new HnswGraph(M, false), store);
    this.pq = pq;
  }

  /** An index from FAISS's parts (an `IHNp` record: graph, PQ centroids, codes), checked. */
  static fromParts(parts: IndexHNSWPQParts): IndexHNSWPQ {
    const index = new IndexHNSWPQ(parts.d, parts.pqM, 2);
    if (parts.centroids.length > 0) index.pq.setCentroids(parts.centroids.slice());
    if (parts.codes.length % parts.pqM !== 0) {
      throw new MetalFaissError('IO_FORMAT', `expected a multiple of pqM = ${parts.pqM} code bytes, received ${parts.codes.length}`);
    }
    const ntotal = parts.codes.length / parts.pqM;
    if (ntotal > 0 && !index.pq.isTrained) throw new MetalFaissError('IO_FORMAT', 'an IndexHNSWPQ with vectors must have trained PQ centroids');
    (index as unknown as { hnsw: HnswGraph }).hnsw = HnswGraph.fromParts(parts.hnsw, ntotal, false);
    index.store.stage(new Float32Array(0), ntotal, parts.codes.slice()).commit();
    return index;
  }

  toParts(): IndexHNSWPQParts {
    return { d: this.d, hnsw: this.hnsw.toParts(), pqM: this.pq.M, centroids: this.pq.isTrained ? this.pq.centroids.slice() : new Float32Array(0), codes: this.store.codes.slice() };
  }

  get isTrained(): boolean {
    return this.pq.isTrained;
  }
  /** the stored PQ codes (ntotal * pqM bytes; a read-only view) */
  get codes(): Uint8Array {
    return this.store.codes;
  }

  protected checkAddable(method: string): void {
    if (!this.pq.isTrained) throw new MetalFaissError('NOT_TRAINED', `${this.typeName}.${method} needs a trained index: call train() first`);
  }

  protected async encodeAsync(rows: Float32Array): Promise<Uint8Array> {
    return this.pq.computeCodesAsync(rows);
  }

  /** Trains the product quantizer (FAISS's IndexHNSWPQ::train). */
  trainSync(x: VectorsInput): void {
    this.pq.train(asMatrix(x, this.d, { name: 'x' }).data);
  }

  async train(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    const { signal } = quantizerOptions(options, `${this.typeName}.train`, 'train');
    throwIfAborted(signal, `${this.typeName}.train`);
    await this.pq.trainAsync(asMatrix(x, this.d, { name: 'x' }).data, options);
  }

  /** The decoded vector of node `key` (PQ reconstruction). */
  reconstruct(key: number | bigint): Float32Array {
    const i = checkKey(key, this.ntotal);
    return this.pq.decode(this.store.codes.slice(i * this.pq.codeSize, (i + 1) * this.pq.codeSize));
  }
}

export interface IndexHNSWSQParts {
  d: number;
  /** FAISS's metric code */
  metricType: number;
  hnsw: HnswParts;
  qtype: number;
  /** the scalar quantizer's trained values (empty when untrained / not needed) */
  trained: Float32Array;
  codes: Uint8Array;
  /** FAISS's range statistic and its argument (kept for files) */
  rangestat?: number;
  rangestatArg?: number;
}

export class IndexHNSWSQ extends IndexHNSW {
  /** the scalar quantizer of the storage (FAISS's storage->sq) */
  readonly sq: ScalarQuantizer;
  declare protected readonly store: CodeStore;

  /**
   * `faiss.IndexHNSWSQ(d, qtype, M, metric)`.
   * @param qtype a QuantizerType value or name ('QT_8bit', 'QT_fp16', ...)
   * @param metricOrOptions 'l2' (default), 'ip', FAISS's code, or `{ metric }`
   */
  constructor(d: number, qtype: QuantizerType | string, M = 32, metricOrOptions: MetricInput | { metric?: MetricInput } = 'l2') {
    checkDimension(d);
    checkM(M);
    const mt = parseMetric(typeof metricOrOptions === 'object' && metricOrOptions !== null ? metricOrOptions.metric : metricOrOptions);
    const sq = new ScalarQuantizer(d, qtype as QuantizerType);
    const store = new CodeStore(
      sq.codeSize,
      (x) => sq.computeCodes(x),
      (codes) => ({ kind: HNSW_STORAGE_SQ, metric: mt, d, sqType: sq.qtype, sqTrained: sq.isTrained ? sq.trained : new Float32Array(0), codes }),
    );
    super(d, mt, new HnswGraph(M, false), store);
    this.sq = sq;
  }

  /** An index from FAISS's parts (an `IHNs` record: graph, SQ parameters, codes), checked. */
  static fromParts(parts: IndexHNSWSQParts): IndexHNSWSQ {
    const index = new IndexHNSWSQ(parts.d, parts.qtype as QuantizerType, 2, parts.metricType as MetricType);
    if (parts.rangestat !== undefined) index.sq.setRangeStat(parts.rangestat as never, parts.rangestatArg ?? 0);
    if (parts.trained.length > 0) index.sq.setTrained(parts.trained.slice());
    const cs = index.sq.codeSize;
    if (parts.codes.length % cs !== 0) throw new MetalFaissError('IO_FORMAT', `expected a multiple of code_size = ${cs} code bytes, received ${parts.codes.length}`);
    const ntotal = parts.codes.length / cs;
    if (ntotal > 0 && !index.sq.isTrained) throw new MetalFaissError('IO_FORMAT', 'an IndexHNSWSQ with vectors must have a trained scalar quantizer');
    (index as unknown as { hnsw: HnswGraph }).hnsw = HnswGraph.fromParts(parts.hnsw, ntotal, false);
    index.store.stage(new Float32Array(0), ntotal, parts.codes.slice()).commit();
    return index;
  }

  toParts(): IndexHNSWSQParts {
    return {
      d: this.d,
      metricType: this.metricType,
      hnsw: this.hnsw.toParts(),
      qtype: this.sq.qtype,
      trained: this.sq.isTrained ? this.sq.trained.slice() : new Float32Array(0),
      codes: this.store.codes.slice(),
    };
  }

  get isTrained(): boolean {
    return this.sq.isTrained;
  }
  get codes(): Uint8Array {
    return this.store.codes;
  }

  protected checkAddable(method: string): void {
    if (!this.sq.isTrained) throw new MetalFaissError('NOT_TRAINED', `${this.typeName}.${method} needs a trained index: call train() first`);
  }

  protected async encodeAsync(rows: Float32Array): Promise<Uint8Array> {
    return this.sq.computeCodesAsync(rows);
  }

  /** Trains the scalar quantizer's ranges (FAISS's IndexHNSWSQ::train). */
  trainSync(x: VectorsInput): void {
    const m = asMatrix(x, this.d, { name: 'x' });
    if (this.sq.needsTraining && m.rows === 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected at least 1 training vector for ${this.typeName}.train, received 0`);
    }
    this.sq.setTrainedFrom(m.data, m.rows);
  }

  async train(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    const { signal } = quantizerOptions(options, `${this.typeName}.train`, 'train');
    throwIfAborted(signal, `${this.typeName}.train`);
    this.trainSync(x);
  }

  reconstruct(key: number | bigint): Float32Array {
    const i = checkKey(key, this.ntotal);
    return this.sq.decode(this.store.codes.slice(i * this.sq.codeSize, (i + 1) * this.sq.codeSize));
  }
}
