/**
 * IndexScalarQuantizer (FAISS's name): exhaustive search over scalar-quantized
 * codes. Labels are positions 0..ntotal-1. Scores are computed by the fused
 * decode-and-score kernel (codes expanded in SIMD registers, never decoded to
 * memory), as FAISS's IndexScalarQuantizer::search does per code.
 *
 * QT_fp16 and QT_8bit_direct need no training (isTrained from the start);
 * the other types throw NOT_TRAINED from add/search until train().
 */
import { MetalFaissError, sqRangeSearch, sqRangeSearchAsync, sqSearch, sqSearchAsync } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { type MetricInput, parseMetric } from '../metric';
import { throwIfAborted } from '../abort';
import { FlatQuantizerIndex, type FlatScanKernels, type IndexFlatCodes } from './flat-codes';
import { type QuantizerOptions, quantizerOptions } from './options';
import { type QuantizerType, type RangeStat, ScalarQuantizer } from './scalar-quantizer';

export interface IndexScalarQuantizerOptions {
  /** 'l2' (default) or 'ip', or FAISS's metric code */
  metric?: MetricInput;
  /** range statistic used by train (default RS_minmax) */
  rangestat?: RangeStat;
  rangestatArg?: number;
}

export class IndexScalarQuantizer extends FlatQuantizerIndex {
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

  /** Fused decode-and-score scans. */
  protected scanKernels(): FlatScanKernels {
    const codec = { qtype: this.sq.qtype, d: this.d, trained: this.sq.trained };
    return {
      search: (job) => sqSearch({ ...codec, ...job }),
      searchAsync: (job) => sqSearchAsync({ ...codec, ...job }),
      rangeSearch: (job) => sqRangeSearch({ ...codec, ...job }),
      rangeSearchAsync: (job) => sqRangeSearchAsync({ ...codec, ...job }),
    };
  }
}
