/**
 * IndexIVFScalarQuantizer (FAISS's name): an IVF index whose codes are
 * scalar-quantizer codes of the residual x - centroid (by_residual, the
 * default) or of x. Searches scan the probed lists with the native fused
 * decode-and-score kernel (each probed list read once per batch for all the
 * queries probing it, codes expanded in registers, both threads):
 * L2 scores || (x - y_C) - decode(code) ||^2, inner product scores
 * coarse_dis + <x, decode(code)> (FAISS's IVFSQScannerIP accu0).
 *
 * Also here, shared with IndexIVFPQ: IvfCodecSupport (residuals, centroids,
 * list views) and IndexIVFQuantizerCodes, the base of the quantizer-coded IVF
 * indexes (by_residual, encoding through residuals, reconstruction, train and
 * add progress).
 */
import {
  MetalFaissError,
  describeValue,
  sqIvfRangeSearch,
  sqIvfRangeSearchAsync,
  sqIvfSearch,
  sqIvfSearchAsync,
  type QuantizerListsInput,
  type SqIvfRangeSearchArgs,
  type SqIvfSearchArgs,
} from '@metalfaiss/metal-kernels';
import type { VectorsInput } from '@metalfaiss/linalg';
import { throwIfAborted } from '../abort';
import { IndexFlat } from '../flat';
import type { Index, RangeSearchResult } from '../index-base';
import { MetricType, type MetricInput } from '../metric';
import { type QuantizerOptions, quantizerOptions } from '../sq/options';
import { type QuantizerType, type RangeStat, ScalarQuantizer } from '../sq/scalar-quantizer';
import { maybeSubsample } from '../transforms/random-normal';
import { IndexIVF, type IndexIVFOptions, type IndexIVFParts, type IndexIVFTrainOptions, type IVFTrainProgress } from './index-ivf';
import type { InvertedListScanner, IVFRangeJob, IVFSearchJob } from './scanner';

type ReportFn = (step: string, done: number) => void;

/** Vectors encoded per async step of an IVF add (between progress reports). */
const ENCODE_CHUNK = 1 << 15;

/**
 * Encodes n rows in chunks off the event loop, reporting the rows encoded
 * so far (`report(step, done)`), into one n * codeSize buffer.
 */
async function encodeInChunks(
  n: number,
  codeSize: number,
  encode: (i0: number, i1: number) => Promise<Uint8Array>,
  report: ReportFn | null,
): Promise<Uint8Array> {
  if (n <= ENCODE_CHUNK) {
    const out = await encode(0, n);
    report?.('encode', n);
    return out;
  }
  const out = new Uint8Array(n * codeSize);
  for (let i0 = 0; i0 < n; i0 += ENCODE_CHUNK) {
    const i1 = Math.min(n, i0 + ENCODE_CHUNK);
    out.set(await encode(i0, i1), i0 * codeSize);
    report?.('encode', i1);
  }
  return out;
}

const TWO32 = 4294967296n;

/** Residuals, centroids and list views for the quantizer codecs of IVF indexes. */
export class IvfCodecSupport {
  readonly #index: IndexIVF;

  constructor(index: IndexIVF) {
    this.#index = index;
  }

  /** The coarse centroids, nlist * d (a view for an IndexFlat quantizer, else a copy). */
  centroids(): Float32Array {
    const q = this.#index.quantizer;
    const n = this.#index.nlist * this.#index.d;
    if (q instanceof IndexFlat) {
      const v = q.vectors;
      if (v.length !== n) throw new MetalFaissError('NOT_TRAINED', `the coarse quantizer holds ${v.length / this.#index.d} centroids, nlist is ${this.#index.nlist}: train the index first`);
      return v;
    }
    return q.reconstructN(0, this.#index.nlist);
  }

  centroid(listNo: number): Float32Array {
    const q = this.#index.quantizer;
    const d = this.#index.d;
    if (q instanceof IndexFlat) return q.vectors.slice(listNo * d, (listNo + 1) * d);
    return q.reconstruct(listNo);
  }

  /** x - centroid(listNos[i]) per row (zeros for rows with no list), as FAISS's compute_residuals. */
  residualsOf(x: Float32Array, n: number, listNos: BigInt64Array): Float32Array {
    const d = this.#index.d;
    const c = this.centroids();
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const l = Number(listNos[i]);
      if (l < 0) continue;
      const xo = i * d;
      const co = l * d;
      for (let j = 0; j < d; j++) out[xo + j] = x[xo + j] - c[co + j];
    }
    return out;
  }

  residualsSync(x: Float32Array, n: number): Float32Array {
    return this.residualsOf(x, n, this.#index.quantizer.searchSync(x.subarray(0, n * this.#index.d), 1).labels);
  }

  async residuals(x: Float32Array, n: number): Promise<Float32Array> {
    const r = await this.#index.quantizer.search(x.subarray(0, n * this.#index.d), 1);
    return this.residualsOf(x, n, r.labels);
  }

  /** The job's lists; with storePairs, ids replaced by positions (listNo << 32 | offset) for the probed lists. */
  listsFor(job: IVFSearchJob | IVFRangeJob): QuantizerListsInput {
    const lists = job.lists;
    if (!job.storePairs) return lists;
    const ids = lists.ids.slice();
    const done = new Set<number>();
    for (const key of job.coarse) {
      const l = Number(key);
      if (l < 0 || done.has(l)) continue;
      done.add(l);
      const n = lists.sizes[l];
      const pos = new BigInt64Array(n);
      for (let j = 0; j < n; j++) pos[j] = (BigInt(l) * TWO32) | BigInt(j);
      ids[l] = pos;
    }
    return { codes: lists.codes, ids, sizes: lists.sizes };
  }
}

/** Options of the quantizer-coded IVF indexes. */
export interface IndexIVFQuantizerCodesOptions extends IndexIVFOptions {
  /** encode x - centroid (default true) */
  byResidual?: boolean;
}

/**
 * The base of IndexIVFPQ and IndexIVFScalarQuantizer: codes of the residual
 * x - centroid (byResidual) or of x, encoded by the subclass's codec
 * (encodeRows / decodeCode), and train / add with progress.
 *
 * Train progress extends IndexIVF's (every coarse k-means iteration, then
 * 'codec', then 'done'): the codec's own steps (codecTrainSteps() of them,
 * reported with reportTrain) follow 'codec', so total = k-means iterations +
 * codecTrainSteps().
 */
export abstract class IndexIVFQuantizerCodes extends IndexIVF {
  /** FAISS's by_residual */
  byResidual: boolean;
  protected readonly support: IvfCodecSupport;
  #trainReport: ReportFn | null = null;
  #addReport: ReportFn | null = null;

  protected constructor(d: number, nlist: number, codeSize: number, options: IndexIVFQuantizerCodesOptions) {
    super(d, nlist, codeSize, options);
    const br = options.byResidual ?? true;
    if (typeof br !== 'boolean') throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for byResidual, received ${describeValue(br)}`);
    this.byResidual = br;
    this.support = new IvfCodecSupport(this);
  }

  /** n rows (n * d floats, residuals or vectors) into n * codeSize bytes. */
  protected abstract encodeRows(src: Float32Array, n: number): Uint8Array;
  protected abstract encodeRowsAsync(src: Float32Array, n: number): Promise<Uint8Array>;
  /** One code back to d floats (a residual when byResidual). */
  protected abstract decodeCode(code: Uint8Array): Float32Array;
  /** Progress units of the codec's training (after the coarse k-means). */
  protected abstract codecTrainSteps(): number;

  /** Reports a codec training step, done in [0, codecTrainSteps()); nothing outside a train with onProgress. */
  protected reportTrain(step: string, done: number): void {
    this.#trainReport?.(step, done);
  }

  /** The caller's train options with a progress callback that counts the codec steps in the total. */
  #trainOptions(options: IndexIVFTrainOptions | undefined, method: string): IndexIVFTrainOptions | undefined {
    const cb = options?.onProgress;
    if (cb === undefined) return options;
    if (typeof cb !== 'function') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a function for ${method}'s options.onProgress, received ${describeValue(cb)}`);
    }
    const t0 = Date.now();
    const codecSteps = this.codecTrainSteps();
    let kmeansSteps = 0;
    const emit = (p: IVFTrainProgress) => cb({ ...p, total: kmeansSteps + codecSteps, elapsedMs: Date.now() - t0 });
    this.#trainReport = (step, done) => emit({ phase: 'train', step, done: kmeansSteps + done, total: 0, elapsedMs: 0 });
    return {
      ...options,
      onProgress: (p: IVFTrainProgress) => {
        kmeansSteps = p.total - 1; // IndexIVF counts the k-means iterations and one codec step
        emit(p.step === 'done' ? { ...p, done: kmeansSteps + codecSteps } : p);
      },
    };
  }

  /**
   * Trains the coarse quantizer, then the codec on (residual) vectors.
   * `options.onProgress` sees every coarse k-means iteration ('coarse
   * quantizer'), 'codec', the codec's own steps, then 'done' (done === total).
   */
  trainSync(x: VectorsInput, options?: Omit<IndexIVFTrainOptions, 'signal'>): void {
    const wrapped = this.#trainOptions(options, `${this.typeName}.trainSync`);
    try {
      super.trainSync(x, wrapped);
    } finally {
      this.#trainReport = null;
    }
  }

  /** trainSync off the event loop; `options.signal` aborts (the index is then as it was). */
  async train(x: VectorsInput, options?: IndexIVFTrainOptions): Promise<void> {
    const wrapped = this.#trainOptions(options, `${this.typeName}.train`);
    try {
      await super.train(x, wrapped);
    } finally {
      this.#trainReport = null;
    }
  }

  /** The rows the codec trains on: the (subsampled) vectors, or their residuals. */
  protected codecTrainingSetSync(sub: { data: Float32Array; n: number }): Float32Array {
    return this.byResidual ? this.support.residualsSync(sub.data, sub.n) : sub.data;
  }

  protected async codecTrainingSet(sub: { data: Float32Array; n: number }): Promise<Float32Array> {
    return this.byResidual ? this.support.residuals(sub.data, sub.n) : sub.data;
  }

  /** The rows to encode: x's first n rows, or their residuals to listNos. */
  #rows(x: Float32Array, n: number, listNos: BigInt64Array): Float32Array {
    return this.byResidual ? this.support.residualsOf(x, n, listNos) : x.subarray(0, n * this.d);
  }

  protected encodeVectors(x: Float32Array, n: number, listNos: BigInt64Array): Uint8Array {
    return this.encodeRows(this.#rows(x, n, listNos), n);
  }

  protected encodeVectorsAsync(x: Float32Array, n: number, listNos: BigInt64Array): Promise<Uint8Array> {
    const d = this.d;
    return encodeInChunks(n, this.codeSize, (i0, i1) => {
      const rows = this.#rows(x.subarray(i0 * d, i1 * d), i1 - i0, listNos.subarray(i0, i1));
      return this.encodeRowsAsync(rows, i1 - i0);
    }, this.#addReport);
  }

  /** Adds off the event loop; `options.onProgress` reports the vectors encoded, `options.signal` aborts (index unchanged). */
  async add(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    const { signal, report } = quantizerOptions(options, `${this.typeName}.add`, 'add');
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
    const v = this.decodeCode(this.invlists.getSingleCode(listNo, offset));
    if (this.byResidual) {
      const c = this.support.centroid(listNo);
      for (let j = 0; j < this.d; j++) v[j] += c[j];
    }
    return v;
  }

  /** The plain-TypeScript search path through the scanner (a test oracle). */
  scanWithScannerSync(job: IVFSearchJob): void {
    super.scanListsSync(job);
  }
}

export interface IndexIVFScalarQuantizerOptions extends IndexIVFQuantizerCodesOptions {
  /** range statistic of the quantizer training (default RS_minmax) */
  rangestat?: RangeStat;
  rangestatArg?: number;
}

/** A stored IndexIVFScalarQuantizer (FAISS's IwSq record). */
export interface IndexIVFScalarQuantizerParts extends IndexIVFParts {
  d: number;
  nlist: number;
  qtype: QuantizerType;
  metric: MetricInput;
  quantizer: Index;
  byResidual: boolean;
  /** the scalar quantizer's trained parameters (FAISS's sq.trained) */
  trained: Float32Array;
  rangestat?: RangeStat;
  rangestatArg?: number;
}

/** FAISS's train_residual subsample size for the scalar quantizer. */
const SQ_TRAIN_MAX = 100000;

export class IndexIVFScalarQuantizer extends IndexIVFQuantizerCodes {
  /** the scalar quantizer (FAISS's `sq`) */
  readonly sq: ScalarQuantizer;
  /** FAISS's by_residual (fixed at construction) */
  declare readonly byResidual: boolean;

  /**
   * `new IndexIVFScalarQuantizer(d, nlist, qtype, { metric, quantizer, nprobe, byResidual })`.
   * @throws MetalFaissError INVALID_ARGUMENT (d, nlist, qtype, metric)
   */
  constructor(d: number, nlist: number, qtype: QuantizerType | string, options: IndexIVFScalarQuantizerOptions = {}) {
    const sq = new ScalarQuantizer(d, qtype as QuantizerType, { rangestat: options.rangestat, rangestatArg: options.rangestatArg });
    super(d, nlist, sq.codeSize, options);
    this.sq = sq;
  }

  /**
   * An index from stored parts (e.g. a FAISS file).
   * @throws MetalFaissError INVALID_ARGUMENT / DIMENSION_MISMATCH for inconsistent parts
   */
  static fromParts(parts: IndexIVFScalarQuantizerParts): IndexIVFScalarQuantizer {
    const index = new IndexIVFScalarQuantizer(parts.d, parts.nlist, parts.qtype, {
      metric: parts.metric,
      quantizer: parts.quantizer,
      byResidual: parts.byResidual,
      rangestat: parts.rangestat,
      rangestatArg: parts.rangestatArg,
    });
    if (parts.isTrained || parts.trained.length > 0) index.sq.setTrained(parts.trained);
    index.restoreParts(parts);
    return index;
  }

  /** One codec step: the scalar quantizer's ranges. */
  protected codecTrainSteps(): number {
    return 1;
  }

  /** FAISS's ScalarQuantizer::train_residual: at most 100000 vectors (seed 1234), residuals, ranges. */
  #trained(set: Float32Array, n: number): Float32Array {
    if (this.sq.needsTraining && n === 0) throw new MetalFaissError('INVALID_ARGUMENT', 'expected at least 1 training vector for the scalar quantizer, received 0');
    this.reportTrain('scalar quantizer ranges', 0);
    return this.sq.computeTrained(set, n);
  }

  protected trainResidualSync(x: Float32Array, n: number): void {
    const sub = maybeSubsample(x, n, this.d, SQ_TRAIN_MAX, 1234);
    this.sq.installTrained(this.#trained(this.codecTrainingSetSync(sub), sub.n));
  }

  protected async trainResidual(x: Float32Array, n: number, signal?: AbortSignal): Promise<void> {
    const sub = maybeSubsample(x, n, this.d, SQ_TRAIN_MAX, 1234);
    const set = await this.codecTrainingSet(sub);
    throwIfAborted(signal, 'IndexIVFScalarQuantizer.train');
    const t = this.#trained(set, sub.n);
    throwIfAborted(signal, 'IndexIVFScalarQuantizer.train');
    this.sq.installTrained(t);
  }

  protected encodeRows(src: Float32Array, n: number): Uint8Array {
    return this.sq.encodeInto(src, n, new Uint8Array(n * this.codeSize));
  }

  protected encodeRowsAsync(src: Float32Array, n: number): Promise<Uint8Array> {
    return this.sq.encodeIntoAsync(src, n, new Uint8Array(n * this.codeSize));
  }

  protected decodeCode(code: Uint8Array): Float32Array {
    return this.sq.decode(code);
  }

  protected checkCompatibleForMerge(other: IndexIVF): void {
    const o = other as IndexIVFScalarQuantizer;
    if (o.sq.qtype !== this.sq.qtype || o.byResidual !== this.byResidual) {
      throw new MetalFaissError('INVALID_ARGUMENT', 'expected an IndexIVFScalarQuantizer with the same qtype and byResidual for mergeFrom');
    }
    const a = this.sq.trained;
    const b = o.sq.trained;
    if (a.length !== b.length || a.some((v, i) => !Object.is(v, b[i]))) {
      throw new MetalFaissError('INVALID_ARGUMENT', 'expected the same scalar-quantizer ranges (trained) for mergeFrom');
    }
  }

  /** The plain-TypeScript scanner (FAISS's IVFSQScanner semantics; searches use the kernel). */
  protected getInvertedListScanner(): InvertedListScanner {
    const d = this.d;
    const sq = this.sq;
    const l2 = this.metricType === MetricType.L2;
    const byResidual = this.byResidual;
    const support = this.support;
    let query: Float32Array = new Float32Array(d);
    let y: Float32Array = query;
    let accu0 = 0;
    return {
      setQuery(q: Float32Array) {
        query = q.slice();
        y = query;
      },
      setList(listNo: number, coarse: number) {
        if (!byResidual) return;
        if (l2) {
          const c = support.centroid(listNo);
          y = new Float32Array(d);
          for (let j = 0; j < d; j++) y[j] = query[j] - c[j];
        } else {
          accu0 = coarse;
        }
      },
      distanceToCode(codes: Uint8Array, i: number): number {
        const v = sq.decode(codes.subarray(i * sq.codeSize, (i + 1) * sq.codeSize));
        let s = 0;
        for (let j = 0; j < d; j++) s += l2 ? (y[j] - v[j]) ** 2 : y[j] * v[j];
        return l2 ? s : accu0 + s;
      },
    };
  }

  #args(job: IVFSearchJob | IVFRangeJob) {
    return {
      qtype: this.sq.qtype,
      d: this.d,
      trained: this.sq.trained,
      metric: job.metric as 0 | 1,
      byResidual: this.byResidual,
      lists: this.support.listsFor(job),
      centroids: this.byResidual && job.metric === MetricType.L2 ? this.support.centroids() : undefined,
      xq: job.xq,
      nq: job.nq,
      nprobe: job.nprobe,
      coarse: job.coarse,
      coarseDis: job.coarseDistances,
    };
  }

  protected scanListsSync(job: IVFSearchJob): void {
    const a: SqIvfSearchArgs = { ...this.#args(job), k: job.k, distances: job.distances, labels: job.labels };
    sqIvfSearch(a);
  }

  protected async scanLists(job: IVFSearchJob): Promise<void> {
    const a: SqIvfSearchArgs = { ...this.#args(job), k: job.k, distances: job.distances, labels: job.labels };
    await sqIvfSearchAsync(a);
  }

  protected rangeScanListsSync(job: IVFRangeJob): RangeSearchResult {
    const a: SqIvfRangeSearchArgs = { ...this.#args(job), radius: job.radius };
    return sqIvfRangeSearch(a);
  }

  protected async rangeScanLists(job: IVFRangeJob): Promise<RangeSearchResult> {
    const a: SqIvfRangeSearchArgs = { ...this.#args(job), radius: job.radius };
    return sqIvfRangeSearchAsync(a);
  }

  memoryBytes(): number {
    return super.memoryBytes() + this.sq.trained.byteLength;
  }
}
