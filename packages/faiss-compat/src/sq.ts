/**
 * FAISS's scalar-quantizer names: `faiss.ScalarQuantizer` (with
 * `ScalarQuantizer.QT_8bit` ... and `RS_minmax` ...), `faiss.IndexScalarQuantizer`
 * and `faiss.IndexIVFScalarQuantizer` (with the IndexIVF accessors of ivf.ts:
 * nprobe, nlist, quantizer, invlists, direct maps, merge, cp, ...).
 * Codes are Uint8Arrays of n * code_size bytes (FAISS Python: n x code_size).
 */
import * as ix from '@metalfaiss/indexes';
import type { VectorsInput } from '@metalfaiss/linalg';
import { Index } from './base';
import { IndexIVF, quantizerImpl } from './ivf';
import { registerWrapper } from './wrap';

/** `faiss.ScalarQuantizer(d, qtype)`: a view of (or a new) @metalfaiss/indexes ScalarQuantizer. */
export class ScalarQuantizer {
  static readonly QT_8bit = 0;
  static readonly QT_4bit = 1;
  static readonly QT_8bit_uniform = 2;
  static readonly QT_4bit_uniform = 3;
  static readonly QT_fp16 = 4;
  static readonly QT_8bit_direct = 5;
  static readonly QT_6bit = 6;
  static readonly RS_minmax = 0;
  static readonly RS_meanstd = 1;
  static readonly RS_quantiles = 2;
  static readonly RS_optim = 3;

  readonly impl: ix.ScalarQuantizer;

  constructor(d: number | ix.ScalarQuantizer, qtype: number = ScalarQuantizer.QT_8bit) {
    this.impl = d instanceof ix.ScalarQuantizer ? d : new ix.ScalarQuantizer(d, qtype as ix.QuantizerType);
  }

  get d(): number {
    return this.impl.d;
  }
  get qtype(): number {
    return this.impl.qtype;
  }
  get code_size(): number {
    return this.impl.codeSize;
  }
  get bits(): number {
    return this.impl.bits;
  }
  get rangestat(): number {
    return this.impl.rangestat;
  }
  set rangestat(v: number) {
    this.impl.setRangeStat(v as ix.RangeStat, this.impl.rangestatArg);
  }
  get rangestat_arg(): number {
    return this.impl.rangestatArg;
  }
  set rangestat_arg(v: number) {
    this.impl.setRangeStat(this.impl.rangestat, v);
  }
  /** the trained parameters (a copy; assign a Float32Array to set them) */
  get trained(): Float32Array {
    return this.impl.trained.slice();
  }
  set trained(v: Float32Array) {
    this.impl.setTrained(v);
  }

  train(x: VectorsInput): void {
    this.impl.train(x);
  }
  /** n * code_size bytes */
  compute_codes(x: VectorsInput): Uint8Array {
    return this.impl.computeCodes(x);
  }
  /** n * d floats */
  decode(codes: Uint8Array): Float32Array {
    return this.impl.decode(codes);
  }
}

/**
 * FAISS's IndexFlatCodes: the compat base of IndexScalarQuantizer and IndexPQ
 * (codes stored by position; sa_encode / sa_decode; merge_from).
 */
export class IndexFlatCodes<T extends ix.IndexFlatCodes = ix.IndexFlatCodes> extends Index<T> {
  get code_size(): number {
    return this.impl.codeSize;
  }
  /** the stored codes, ntotal * code_size bytes (read-only view) */
  get codes(): Uint8Array {
    return this.impl.codes;
  }
  sa_encode(x: VectorsInput): Uint8Array {
    return this.impl.saEncode(x);
  }
  sa_decode(codes: Uint8Array): Float32Array {
    return this.impl.saDecode(codes);
  }
  sa_code_size(): number {
    return this.impl.codeSize;
  }
  /** Moves other's codes to the end of this index (the same class and codec; add_id must be 0). */
  merge_from(other: this, add_id: number | bigint = 0): void {
    this.impl.mergeFrom(other.impl, add_id);
  }
}

/** `faiss.IndexScalarQuantizer(d, qtype, metric=faiss.METRIC_L2)` */
export class IndexScalarQuantizer extends IndexFlatCodes<ix.IndexScalarQuantizer> {
  constructor(d: number, qtype: number = ScalarQuantizer.QT_8bit, metric: number = ix.MetricType.L2) {
    super(new ix.IndexScalarQuantizer(d, qtype as ix.QuantizerType, { metric: metric as ix.MetricType }));
  }
  /** the quantizer (FAISS's `index.sq`) */
  get sq(): ScalarQuantizer {
    return new ScalarQuantizer(this.impl.sq);
  }
}

/** `faiss.IndexIVFScalarQuantizer(quantizer, d, nlist, qtype, metric=faiss.METRIC_L2, encode_residual=True)` */
export class IndexIVFScalarQuantizer extends IndexIVF<ix.IndexIVFScalarQuantizer> {
  constructor(quantizer: Index, d: number, nlist: number, qtype: number = ScalarQuantizer.QT_8bit, metric: number = ix.MetricType.L2, encode_residual = true) {
    super(
      new ix.IndexIVFScalarQuantizer(d, nlist, qtype as ix.QuantizerType, {
        metric: metric as ix.MetricType,
        quantizer: quantizerImpl(quantizer, 'IndexIVFScalarQuantizer'),
        byResidual: encode_residual,
      }),
    );
    this.keepQuantizer(quantizer);
  }
  get sq(): ScalarQuantizer {
    return new ScalarQuantizer(this.impl.sq);
  }
  get by_residual(): boolean {
    return this.impl.byResidual;
  }
}

registerWrapper(ix.IndexScalarQuantizer, IndexScalarQuantizer);
registerWrapper(ix.IndexIVFScalarQuantizer, IndexIVFScalarQuantizer);
