/**
 * IndexIVFPQ (FAISS's name): an IVF index whose codes are product-quantizer
 * codes of the residual x - centroid (by_residual, the default) or of x.
 * Searches scan the probed lists with the native ADC kernel (lists grouped so
 * each is read once per batch, both threads), with FAISS's table modes:
 *
 * - L2 + by_residual, usePrecomputedTable = 1 (what training selects when the
 *   table fits in 2 GB, as FAISS does): distance = ||x - y_C||^2 (the coarse
 *   distance) + sum_m T_list[m][c_m] - 2 <x_m, y_R>, with the per-list term
 *   ||y_R||^2 + 2 <y_C, y_R> precomputed (nlist * M * ksub floats);
 * - L2 + by_residual, usePrecomputedTable 0 / -1: a distance table of the
 *   residual x - y_C for every (query, list) pair;
 * - L2 without residuals: one distance table per query;
 * - inner product: one inner-product table per query, plus <x, y_C> with
 *   residuals.
 *
 * Polysemous filtering and training are not implemented (UNSUPPORTED).
 * FAISS 1.7.3 allows nbits <= 8 here; so do we.
 */
import {
  MetalFaissError,
  pqIvfRangeSearch,
  pqIvfRangeSearchAsync,
  pqIvfSearch,
  pqIvfSearchAsync,
  pqPrecomputeTable,
  pqPrecomputeTableAsync,
  type PqIvfRangeSearchArgs,
  type PqIvfSearchArgs,
} from '@metalfaiss/metal-kernels';
import type { VectorsInput } from '@metalfaiss/linalg';
import { throwIfAborted } from '../abort';
import type { Index, RangeSearchResult } from '../index-base';
import { MetricType, type MetricInput } from '../metric';
import { ProductQuantizer, checkPqShape } from '../pq/product-quantizer';
import type { QuantizerProgress } from '../sq/options';
import { maybeSubsample } from '../transforms/random-normal';
import type { IndexIVF, IndexIVFParts } from './index-ivf';
import type { InvertedListScanner, IVFRangeJob, IVFSearchJob } from './scanner';
import { IndexIVFQuantizerCodes, type IndexIVFQuantizerCodesOptions } from './ivf-sq';

/** FAISS's precomputed_table_max_bytes: 2 GB. */
export const PRECOMPUTED_TABLE_MAX_BYTES = 2 ** 31;

export type IndexIVFPQOptions = IndexIVFQuantizerCodesOptions;

/** A stored IndexIVFPQ (FAISS's IwPQ record): shape, quantizer, PQ and IVF state. */
export interface IndexIVFPQParts extends IndexIVFParts {
  d: number;
  nlist: number;
  M: number;
  nbits: number;
  metric: MetricInput;
  /** the coarse quantizer (trained: nlist centroids) */
  quantizer: Index;
  byResidual: boolean;
  /** the PQ centroids, M * ksub * dsub floats (FAISS layout) */
  pqCentroids: Float32Array;
}

export class IndexIVFPQ extends IndexIVFQuantizerCodes {
  /** the product quantizer of the residuals (FAISS's `pq`) */
  readonly pq: ProductQuantizer;
  /**
   * FAISS's use_precomputed_table: -1 never, 0 = choose at training (becomes 1
   * for L2 + byResidual when the table fits in 2 GB), 1 = per-list tables.
   */
  usePrecomputedTable: -1 | 0 | 1 = 0;
  /** FAISS's scan_table_threshold (kept for files; unused) */
  scanTableThreshold = 0;
  #precomputed: Float32Array | null = null;
  #polysemousHt = 0;

  /**
   * `new IndexIVFPQ(d, nlist, M, nbits = 8, { metric, quantizer, nprobe, byResidual })`.
   * @throws MetalFaissError INVALID_ARGUMENT when M does not divide d or nbits is outside [1, 8]
   */
  constructor(d: number, nlist: number, M: number, nbits = 8, options: IndexIVFPQOptions = {}) {
    checkPqShape(d, M, nbits, 8, 'IndexIVFPQ (FAISS 1.7.3 allows nbits <= 8)');
    const pq = new ProductQuantizer(d, M, nbits);
    super(d, nlist, pq.codeSize, options);
    this.pq = pq;
  }

  /**
   * An index from stored parts (e.g. a FAISS file). As FAISS's reader does,
   * the precomputed table is recomputed (use_precomputed_table back to its
   * default choice).
   * @throws MetalFaissError INVALID_ARGUMENT / DIMENSION_MISMATCH for inconsistent parts
   */
  static fromParts(parts: IndexIVFPQParts): IndexIVFPQ {
    const index = new IndexIVFPQ(parts.d, parts.nlist, parts.M, parts.nbits, {
      metric: parts.metric,
      quantizer: parts.quantizer,
      byResidual: parts.byResidual,
    });
    if (parts.isTrained) index.pq.setCentroids(parts.pqCentroids);
    index.restoreParts(parts);
    if (parts.isTrained && index.byResidual) index.precomputeTable();
    return index;
  }

  /** FAISS's polysemous_ht: only 0 (off) is supported. */
  get polysemousHt(): number {
    return this.#polysemousHt;
  }
  set polysemousHt(v: number) {
    if (v !== 0) throw new MetalFaissError('UNSUPPORTED', `IndexIVFPQ.polysemousHt = ${String(v)} is not supported: polysemous filtering is not implemented (use 0)`);
    this.#polysemousHt = 0;
  }

  /** FAISS's do_polysemous_training: setting it true is UNSUPPORTED. */
  get doPolysemousTraining(): boolean {
    return false;
  }
  set doPolysemousTraining(v: boolean) {
    if (v) throw new MetalFaissError('UNSUPPORTED', 'IndexIVFPQ.doPolysemousTraining = true is not supported: polysemous training is not implemented');
  }

  /** The precomputed table (nlist * M * ksub floats) when in use, else null. */
  get precomputedTable(): Float32Array | null {
    return this.#precomputed;
  }

  // ------------------------------------------------------------------ training

  /** Codec steps: the M sub-quantizers, then the precomputed table. */
  protected codecTrainSteps(): number {
    return this.pq.M + 1;
  }

  #trainSet(x: Float32Array, n: number): { data: Float32Array; n: number } {
    const sub = maybeSubsample(x, n, this.d, this.pq.cp.maxPointsPerCentroid * this.pq.ksub, this.pq.cp.seed);
    if (this.verbose && sub.n < n) process.stdout.write(`  subsampled ${sub.n} / ${n} training vectors\n`);
    return sub;
  }

  #logTraining(n: number): void {
    if (this.verbose) process.stdout.write(`training ${this.pq.M}x${this.pq.ksub} product quantizer on ${n} vectors in ${this.d}D\n`);
  }

  /** The sub-quantizers' progress as codec steps (the PQ's own 'done' is left to the index's). */
  #pqProgress = (p: QuantizerProgress): void => {
    if (p.step !== 'done') this.reportTrain(p.step, p.done);
  };

  /** Whether training ends with the precomputed table (byResidual, table mode 1: FAISS's choice for L2). */
  #trainsTable(): boolean {
    return this.byResidual && this.#tableMode() === 1;
  }

  /** FAISS's train_residual_o: the PQ on the (residual) vectors, then the precomputed table. */
  protected trainResidualSync(x: Float32Array, n: number): void {
    const sub = this.#trainSet(x, n);
    const set = this.codecTrainingSetSync(sub);
    this.#logTraining(sub.n);
    const pq = this.pq.clone();
    pq.train(set, { onProgress: this.#pqProgress });
    this.pq.setCentroids(pq.centroids);
    this.#precomputed = null;
    if (this.#trainsTable() && this.metricType === MetricType.L2) this.reportTrain('precomputed table', this.pq.M);
    if (this.byResidual) this.precomputeTable();
  }

  protected async trainResidual(x: Float32Array, n: number, signal?: AbortSignal): Promise<void> {
    const sub = this.#trainSet(x, n);
    const set = await this.codecTrainingSet(sub);
    throwIfAborted(signal, 'IndexIVFPQ.train');
    this.#logTraining(sub.n);
    const pq = this.pq.clone();
    await pq.trainAsync(set, { signal, onProgress: this.#pqProgress });
    let table: Float32Array | null = null;
    if (this.#trainsTable()) {
      this.reportTrain('precomputed table', this.pq.M);
      table = new Float32Array(this.nlist * this.pq.M * this.pq.ksub);
      await pqPrecomputeTableAsync({ ...this.#codec(pq), coarse: this.support.centroids(), nlist: this.nlist, out: table });
    }
    throwIfAborted(signal, 'IndexIVFPQ.train');
    this.pq.setCentroids(pq.centroids);
    this.#precomputed = table;
    if (table) this.usePrecomputedTable = 1;
  }

  /** FAISS's choice of table: 1 for L2 + byResidual when it fits in 2 GB, unless disabled (-1). */
  #tableMode(): -1 | 0 | 1 {
    if (this.usePrecomputedTable === -1) return -1;
    if (this.usePrecomputedTable === 1) return 1;
    if (this.metricType === MetricType.INNER_PRODUCT) return 0;
    return this.pq.M * this.pq.ksub * this.nlist * 4 > PRECOMPUTED_TABLE_MAX_BYTES ? 0 : 1;
  }

  /**
   * (Re)computes the precomputed table from the current quantizer and PQ
   * (FAISS's precompute_table), e.g. after changing either of them.
   */
  precomputeTable(): void {
    const mode = this.#tableMode();
    if (!this.byResidual || mode !== 1 || this.metricType !== MetricType.L2) {
      this.#precomputed = null;
      if (this.usePrecomputedTable === 0 || this.metricType !== MetricType.L2) this.usePrecomputedTable = this.usePrecomputedTable === -1 ? -1 : 0;
      return;
    }
    const table = new Float32Array(this.nlist * this.pq.M * this.pq.ksub);
    pqPrecomputeTable({ ...this.#codec(this.pq), coarse: this.support.centroids(), nlist: this.nlist, out: table });
    this.#precomputed = table;
    this.usePrecomputedTable = 1;
  }

  // ------------------------------------------------------------------ codec

  #codec(pq: ProductQuantizer) {
    return { d: this.d, M: pq.M, nbits: pq.nbits, centroids: pq.centroids };
  }

  protected encodeRows(src: Float32Array): Uint8Array {
    return this.pq.computeCodes(src);
  }

  protected encodeRowsAsync(src: Float32Array): Promise<Uint8Array> {
    return this.pq.computeCodesAsync(src);
  }

  protected decodeCode(code: Uint8Array): Float32Array {
    return this.pq.decode(code);
  }

  protected checkCompatibleForMerge(other: IndexIVF): void {
    const o = other as IndexIVFPQ;
    if (o.pq.M !== this.pq.M || o.pq.nbits !== this.pq.nbits || o.byResidual !== this.byResidual) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an IndexIVFPQ with the same M, nbits and byResidual for mergeFrom`);
    }
    const a = this.pq.centroids;
    const b = o.pq.centroids;
    for (let i = 0; i < a.length; i++) {
      if (!Object.is(a[i], b[i])) throw new MetalFaissError('INVALID_ARGUMENT', 'expected the same product-quantizer centroids for mergeFrom');
    }
  }

  /** The plain-TypeScript scanner (FAISS's scanner semantics; searches use the kernel). */
  protected getInvertedListScanner(): InvertedListScanner {
    const d = this.d;
    const { M, ksub, nbits, codeSize } = this.pq;
    const l2 = this.metricType === MetricType.L2;
    const byResidual = this.byResidual;
    const pq = this.pq;
    const support = this.support;
    let query: Float32Array = new Float32Array(d);
    let table: Float32Array = new Float32Array(M * ksub);
    let dis0 = 0;
    return {
      setQuery(q: Float32Array) {
        query = q.slice();
        if (!byResidual) table = l2 ? pq.computeDistanceTables(query) : pq.computeInnerProdTables(query);
      },
      setList(listNo: number) {
        if (!byResidual) return;
        const c = support.centroid(listNo);
        if (l2) {
          const r = new Float32Array(d);
          for (let j = 0; j < d; j++) r[j] = query[j] - c[j];
          table = pq.computeDistanceTables(r);
          dis0 = 0;
        } else {
          table = pq.computeInnerProdTables(query);
          let s = 0;
          for (let j = 0; j < d; j++) s += query[j] * c[j];
          dis0 = Math.fround(s);
        }
      },
      distanceToCode(codes: Uint8Array, i: number): number {
        let s = dis0;
        for (let m = 0; m < M; m++) {
          let v = 0;
          for (let b = 0; b < nbits; b++) {
            const p = m * nbits + b;
            if ((codes[i * codeSize + (p >> 3)] >> (p & 7)) & 1) v += 2 ** b;
          }
          s = Math.fround(s + table[m * ksub + v]);
        }
        return s;
      },
    };
  }

  #args(job: IVFSearchJob | IVFRangeJob) {
    const mode = this.byResidual && this.metricType === MetricType.L2 ? this.#tableMode() : 0;
    if (mode === 1 && !this.#precomputed) this.precomputeTable();
    const needCentroids = this.byResidual && !(mode === 1 && this.#precomputed);
    return {
      ...this.#codec(this.pq),
      metric: job.metric as 0 | 1,
      byResidual: this.byResidual,
      precomputed: mode === 1 ? this.#precomputed : null,
      coarseCentroids: needCentroids ? this.support.centroids() : null,
      lists: this.support.listsFor(job),
      xq: job.xq,
      nq: job.nq,
      nprobe: job.nprobe,
      coarse: job.coarse,
      coarseDis: job.coarseDistances,
    };
  }

  #requireSearchable(): void {
    if (!this.pq.isTrained) throw new MetalFaissError('NOT_TRAINED', 'IndexIVFPQ needs a trained product quantizer: call train() first');
  }

  protected scanListsSync(job: IVFSearchJob): void {
    this.#requireSearchable();
    const a: PqIvfSearchArgs = { ...this.#args(job), k: job.k, distances: job.distances, labels: job.labels };
    pqIvfSearch(a);
  }

  protected async scanLists(job: IVFSearchJob): Promise<void> {
    this.#requireSearchable();
    const a: PqIvfSearchArgs = { ...this.#args(job), k: job.k, distances: job.distances, labels: job.labels };
    await pqIvfSearchAsync(a);
  }

  protected rangeScanListsSync(job: IVFRangeJob): RangeSearchResult {
    this.#requireSearchable();
    const a: PqIvfRangeSearchArgs = { ...this.#args(job), radius: job.radius };
    return pqIvfRangeSearch(a);
  }

  protected async rangeScanLists(job: IVFRangeJob): Promise<RangeSearchResult> {
    this.#requireSearchable();
    const a: PqIvfRangeSearchArgs = { ...this.#args(job), radius: job.radius };
    return pqIvfRangeSearchAsync(a);
  }

  /** Lists, quantizer, PQ centroids and the precomputed table. */
  memoryBytes(): number {
    return super.memoryBytes() + this.pq.memoryBytes() + (this.#precomputed?.byteLength ?? 0);
  }
}
