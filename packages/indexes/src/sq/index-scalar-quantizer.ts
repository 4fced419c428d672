/**
 * IndexScalarQuantizer (FAISS's name): exhaustive search over scalar-quantized
 * codes. Labels are positions 0..ntotal-1. Scores are computed by the fused
 * decode-and-score kernel (codes expanded in SIMD registers, never decoded to
 * memory), as FAISS's IndexScalarQuantizer::search does per code.
 *
 * QT_fp16 and QT_8bit_direct need no training (isTrained from the start);
 * the other types throw NOT_TRAINED from add/search until train().
 */
import {
  MetalFaissError,
  describeValue,
  sqRangeSearch,
  sqRangeSearchAsync,
  sqSearch,
  sqSearchAsync,
  type SqRangeSearchArgs,
  type SqSearchArgs,
} from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import type { RangeSearchResult, SearchParameters, SearchResult } from '../index-base';
import { type MetricInput, parseMetric } from '../metric';
import { checkK, checkRadius, checkResultSize } from '../validate';
import { throwIfAborted } from '../abort';
import { IndexFlatCodes } from './flat-codes';
import { type QuantizerOptions, quantizerOptions } from './options';
import { type QuantizerType, type RangeStat, ScalarQuantizer } from './scalar-quantizer';

export interface IndexScalarQuantizerOptions {
  /** 'l2' (default) or 'ip', or FAISS's metric code */
  metric?: MetricInput;
  /** range statistic used by train (default RS_minmax) */
  rangestat?: RangeStat;
  rangestatArg?: number;
}

export class IndexScalarQuantizer extends IndexFlatCodes {
  /** the quantizer (FAISS's `sq`) */
  readonly sq: ScalarQuantizer;

  /**
   * @param qtype a QuantizerType value or name ('QT_8bit', ...)
   * @param metricOrOptions a metric ('l2' | 'ip' | FAISS code) or options
   * @throws MetalFaissError INVALID_ARGUMENT (d, qtype, metric)
   */
  constructor(d: number, qtype: QuantizerType | string, metricOrOptions: MetricInput | IndexScalarQuantizerOptions = {}) {
    const options: IndexScalarQuantizerOptions =
      typeof metricOrOptions === 'object' && metricOrOptions !== null ? metricOrOptions : { metric: metricOrOptions };
    const sq = new ScalarQuantizer(d, qtype as QuantizerType, { rangestat: options.rangestat, rangestatArg: options.rangestatArg });
    super(d, parseMetric(options.metric), sq.codeSize);
    this.sq = sq;
  }

  get isTrained(): boolean {
    return this.sq.isTrained;
  }

  /** Trains the quantizer's ranges on n * d vectors (FAISS's IndexScalarQuantizer::train). */
  trainSync(x: VectorsInput): void {
    const m = asMatrix(x, this.d, { name: 'x' });
    if (this.sq.needsTraining && m.rows === 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected at least 1 training vector for ${this.typeName}.train (${this.sq.qtypeName}), received 0`);
    }
    this.sq.setTrainedFrom(m.data, m.rows);
  }

  /** trainSync, reporting progress; the statistics run on the JS thread (a single O(n d) pass, RS_optim excepted). */
  async train(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    const { signal, report } = quantizerOptions(options, `${this.typeName}.train`, 'train');
    throwIfAborted(signal, `${this.typeName}.train`);
    const m = asMatrix(x, this.d, { name: 'x' });
    if (this.sq.needsTraining && m.rows === 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected at least 1 training vector for ${this.typeName}.train (${this.sq.qtypeName}), received 0`);
    }
    report('range statistics', 0, 1);
    const trained = this.sq.computeTrained(m.data, m.rows);
    throwIfAborted(signal, `${this.typeName}.train`);
    this.sq.installTrained(trained);
    report('range statistics', 1, 1);
  }

  protected encodeRows(x: Float32Array, n: number): Uint8Array {
    const codes = new Uint8Array(n * this.codeSize);
    return this.sq.encodeInto(x, n, codes);
  }

  protected encodeRowsAsync(x: Float32Array, n: number): Promise<Uint8Array> {
    return this.sq.encodeIntoAsync(x, n, new Uint8Array(n * this.codeSize));
  }

  protected decodeRows(codes: Uint8Array, n: number): Float32Array {
    return this.sq.decode(codes.subarray(0, n * this.codeSize));
  }

  protected checkCompatible(other: IndexFlatCodes): void {
    const o = other as IndexScalarQuantizer;
    if (o.sq.qtype !== this.sq.qtype || o.metricType !== this.metricType) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected an IndexScalarQuantizer with qtype ${this.sq.qtypeName} and metric ${this.metricName} for mergeFrom, received ${o.sq.qtypeName}, ${o.metricName}`,
      );
    }
  }

  protected codecBytes(): number {
    return this.sq.trained.length * 4;
  }

  #searchArgs(xq: VectorsInput, k: number, params: SearchParameters | undefined): SqSearchArgs {
    this.requireTrained('search');
    checkK(k);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    checkResultSize(q.rows, k);
    const snap = this.snapshot();
    const mask = this.selectorMask(checkParams(params).selector, snap.ntotal);
    return {
      qtype: this.sq.qtype,
      d: this.d,
      trained: this.sq.trained,
      codes: snap.codes,
      nb: snap.ntotal,
      xq: q.data,
      nq: q.rows,
      k,
      metric: this.metricType,
      distances: new Float32Array(q.rows * k),
      labels: new BigInt64Array(q.rows * k),
      mask,
    };
  }

  /**
   * The k nearest codes of each query (nq * k results, best first, padded
   * with -1). `params.selector` restricts the labels.
   * @throws MetalFaissError NOT_TRAINED, INVALID_ARGUMENT, DIMENSION_MISMATCH
   */
  searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult {
    const a = this.#searchArgs(xq, k, params);
    sqSearch(a);
    return { distances: a.distances, labels: a.labels };
  }

  async search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult> {
    const a = this.#searchArgs(xq, k, params);
    await sqSearchAsync(a);
    return { distances: a.distances, labels: a.labels };
  }

  #rangeArgs(xq: VectorsInput, radius: number, params: SearchParameters | undefined): SqRangeSearchArgs {
    this.requireTrained('rangeSearch');
    checkRadius(radius);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    const snap = this.snapshot();
    return {
      qtype: this.sq.qtype,
      d: this.d,
      trained: this.sq.trained,
      codes: snap.codes,
      nb: snap.ntotal,
      xq: q.data,
      nq: q.rows,
      radius,
      metric: this.metricType,
      mask: this.selectorMask(checkParams(params).selector, snap.ntotal),
    };
  }

  /** All codes within `radius` (L2: distance < radius; IP: similarity > radius), by position within a query. */
  rangeSearchSync(xq: VectorsInput, radius: number, params?: SearchParameters): RangeSearchResult {
    return sqRangeSearch(this.#rangeArgs(xq, radius, params));
  }

  async rangeSearch(xq: VectorsInput, radius: number, params?: SearchParameters): Promise<RangeSearchResult> {
    return sqRangeSearchAsync(this.#rangeArgs(xq, radius, params));
  }
}

export function checkParams(params: SearchParameters | undefined): SearchParameters {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a SearchParameters object for params, received ${describeValue(params)}`);
  }
  return params;
}
