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
  describeValue,
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
import type { QuantizerOptions } from '../sq/options';
import { quantizerOptions } from '../sq/options';
import { maybeSubsample } from '../transforms/random-normal';
import { IndexIVF, type IndexIVFOptions, type IndexIVFParts } from './index-ivf';
import type { InvertedListScanner, IVFRangeJob, IVFSearchJob } from './scanner';
import { IvfCodecSupport, encodeInChunks, type ReportFn } from './ivf-sq';

/** FAISS's precomputed_table_max_bytes: 2 GB. */
export const PRECOMPUTED_TABLE_MAX_BYTES = 2 ** 31;

export interface IndexIVFPQOptions extends IndexIVFOptions {
  /** encode x - centroid (default true) */
  byResidual?: boolean;
}

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

export class IndexIVFPQ extends IndexIVF {
  /** the product quantizer of the residuals (FAISS's `pq`) */
  readonly pq: ProductQuantizer;
  /** FAISS's by_residual */
  byResidual: boolean;
  /**
   * FAISS's use_precomputed_table: -1 never, 0 = choose at training (becomes 1
   * for L2 + byResidual when the table fits in 2 GB), 1 = per-list tables.
   */
  usePrecomputedTable: -1 | 0 | 1 = 0;
  /** FAISS's scan_table_threshold (kept for files; unused) */
  scanTableThreshold = 0;
  #precomputed: Float32Array | null = null;
  #polysemousHt = 0;
  readonly #support: IvfCodecSupport;
  #report: ReportFn | null = null;

  /**
   * `new IndexIVFPQ(d, nlist, M, nbits = 8, { metric, quantizer, nprobe, byResidual })`.
   * @throws MetalFaissError INVALID_ARGUMENT when M does not divide d or nbits is outside [1, 8]
   */
  constructor(d: number, nlist: number, M: number, nbits = 8, options: IndexIVFPQOptions = {}) {
    checkPqShape(d, M, nbits, 8, 'IndexIVFPQ (FAISS 1.7.3 allows nbits <= 8)');
    const pq = new ProductQuantizer(d, M, nbits);
    super(d, nlist, pq.codeSize, options);
    this.pq = pq;
    const br = options.byResidual ?? true;
    if (typeof br !== 'boolean') throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for byResidual, received ${describeValue(br)}`);
    this.byResidual = br;
    this.#support = new IvfCodecSupport(this);
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

  /**
   * Trains the coarse quantizer, then the PQ on the residuals (FAISS's
   * train_residual_o), then the precomputed table. `options.onProgress`
   * reports the stages and every sub-quantizer; `options.signal` aborts.
   */
  async train(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    const { signal, report } = quantizerOptions(options, 'IndexIVFPQ.train', 'train');
    const total = this.pq.M + 2;
    report('coarse quantizer', 0, total);
    this.#report = (step, done) => report(step, 1 + done, total);
    try {
      await super.train(x, { signal });
    } finally {
      this.#report = null;
    }
    report('done', total, total);
  }

  #trainSet(x: Float32Array, n: number): { data: Float32Array; n: number } {
    const sub = maybeSubsample(x, n, this.d, this.pq.cp.maxPointsPerCentroid * this.pq.ksub, this.pq.cp.seed);
    if (this.verbose && sub.n < n) process.stdout.write(`  subsampled ${sub.n} / ${n} training vectors\n`);
    return sub;
  }

  protected trainResidualSync(x: Float32Array, n: number): void {
    const sub = this.#trainSet(x, n);
    const set = this.byResidual ? this.#support.residualsSync(sub.data, sub.n) : sub.data;
    if (this.verbose) process.stdout.write(`training ${this.pq.M}x${this.pq.ksub} product quantizer on ${sub.n} vectors in ${this.d}D\n`);
    const pq = this.pq.clone();
    pq.train(set);
    this.pq.setCentroids(pq.centroids);
    this.#precomputed = null;
    if (this.byResidual) this.precomputeTable();
  }

  protected async trainResidual(x: Float32Array, n: number, signal?: AbortSignal): Promise<void> {
    const sub = this.#trainSet(x, n);
    const set = this.byResidual ? await this.#support.residuals(sub.data, sub.n) : sub.data;
    throwIfAborted(signal, 'IndexIVFPQ.train');
    if (this.verbose) process.stdout.write(`training ${this.pq.M}x${this.pq.ksub} product quantizer on ${sub.n} vectors in ${this.d}D\n`);
    const report = this.#report;
    const pq = this.pq.clone();
    await pq.trainAsync(set, {
      signal,
      onProgress: report ? (p) => report(p.step, p.done) : undefined,
    });
    let table: Float32Array | null = null;
    const mode = this.#tableMode();
    if (this.byResidual && mode === 1) {
      report?.('precomputed table', this.pq.M);
      table = new Float32Array(this.nlist * this.pq.M * this.pq.ksub);
      await pqPrecomputeTableAsync({ ...this.#codec(pq), coarse: this.#support.centroids(), nlist: this.nlist, out: table });
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
    pqPrecomputeTable({ ...this.#codec(this.pq), coarse: this.#support.centroids(), nlist: this.nlist, out: table });
    this.#precomputed = table;
    this.usePrecomputedTable = 1;
  }

  // ------------------------------------------------------------------ codec

  #codec(pq: ProductQuantizer) {
    return { d: this.d, M: pq.M, nbits: pq.nbits, centroids: pq.centroids };
  }

  protected encodeVectors(x: Float32Array, n: number, listNos: BigInt64Array): Uint8Array {
    const src = this.byResidual ? this.#support.residualsOf(x, n, listNos) : x;
    return this.pq.computeCodes(src.subarray(0, n * this.d));
  }

  protected async encodeVectorsAsync(x: Float32Array, n: number, listNos: BigInt64Array): Promise<Uint8Array> {
    const d = this.d;
    return encodeInChunks(n, d, this.codeSize, (i0, i1) => {
      const rows = x.subarray(i0 * d, i1 * d);
      const src = this.byResidual ? this.#support.residualsOf(rows, i1 - i0, listNos.subarray(i0, i1)) : rows;
      return this.pq.computeCodesAsync(src);
    }, this.#addReport);
  }

  #addReport: ReportFn | null = null;

  /** Adds off the event loop; `options.onProgress` reports the vectors encoded, `options.signal` aborts (index unchanged). */
  async add(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    const { signal, report } = quantizerOptions(options, 'IndexIVFPQ.add', 'add');
    const n = Array.isArray(x) ? x.length : x instanceof Float32Array ? Math.floor(x.length / this.d) : 0;
    this.#addReport = (step, done) => report(step, done, n);
    try {
      await super.add(x, { signal });
    } finally {
      this.#addReport = null;
    }
    report('done', n, n);
  }

  protected reconstructFromOffset(listNo: number, offset: number): Float32Array {
    const v = this.pq.decode(this.invlists.getSingleCode(listNo, offset));
    if (this.byResidual) {
      const c = this.#support.centroid(listNo);
      for (let j = 0; j < this.d; j++) v[j] += c[j];
    }
    return v;
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
    const support = this.#support;
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
      coarseCentroids: needCentroids ? this.#support.centroids() : null,
      lists: this.#support.listsFor(job),
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

  /** The plain-TypeScript search path through the scanner (a test oracle). */
  scanWithScannerSync(job: IVFSearchJob): void {
    super.scanListsSync(job);
  }

  /** Lists, quantizer, PQ centroids and the precomputed table. */
  memoryBytes(): number {
    return super.memoryBytes() + this.pq.memoryBytes() + (this.#precomputed?.byteLength ?? 0);
  }
}
