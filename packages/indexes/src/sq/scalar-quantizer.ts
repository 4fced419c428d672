/**
 * ScalarQuantizer (FAISS 1.7.3's impl/ScalarQuantizer): each component of a
 * vector is quantized on its own, with a range per dimension (QT_8bit,
 * QT_4bit, QT_6bit) or one range for all (QT_8bit_uniform, QT_4bit_uniform),
 * or stored as a half float (QT_fp16) or a byte (QT_8bit_direct).
 *
 * Training reproduces FAISS's train_Uniform / train_NonUniform exactly,
 * including float32 rounding and FAISS's quirks (the non-min-max statistics
 * of the non-uniform kinds read the first training vector as zeros; RS_optim
 * iterates in float32), so `trained` equals FAISS's for the same data and the
 * codes are byte-identical. Encoding, decoding and scans run on the
 * @metalfaiss/metal-kernels scalar-quantizer kernels.
 */
import {
  MetalFaissError,
  describeValue,
  sqBits,
  sqCodeSize,
  sqDecode,
  sqEncode,
  sqEncodeAsync,
  sqQtypeName,
  sqTrainedSize,
  type SqQtype,
} from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { codeCount } from './options';

/** FAISS's ScalarQuantizer::QuantizerType (the values FAISS writes to files). */
export const QuantizerType = {
  QT_8bit: 0,
  QT_4bit: 1,
  QT_8bit_uniform: 2,
  QT_4bit_uniform: 3,
  QT_fp16: 4,
  QT_8bit_direct: 5,
  QT_6bit: 6,
} as const;
export type QuantizerType = SqQtype;

/** FAISS's ScalarQuantizer::RangeStat: how the range of a dimension is estimated. */
export const RangeStat = {
  /** [min, max], widened by rangestatArg * (max - min) on both sides */
  RS_minmax: 0,
  /** [mean - rangestatArg * std, mean + rangestatArg * std] */
  RS_meanstd: 1,
  /** [quantile(rangestatArg), quantile(1 - rangestatArg)] */
  RS_quantiles: 2,
  /** the range minimising the reconstruction error (FAISS's alternating least squares, 2000 iterations max) */
  RS_optim: 3,
} as const;
export type RangeStat = (typeof RangeStat)[keyof typeof RangeStat];

const RANGESTAT_NAMES = ['RS_minmax', 'RS_meanstd', 'RS_quantiles', 'RS_optim'];

export function parseQuantizerType(qtype: unknown): QuantizerType {
  if (typeof qtype === 'string') {
    const v = (QuantizerType as Record<string, number>)[qtype];
    if (v !== undefined) return v as QuantizerType;
  } else if (typeof qtype === 'number' && Number.isInteger(qtype) && qtype >= 0 && qtype <= 6) {
    return qtype as QuantizerType;
  }
  throw new MetalFaissError(
    'INVALID_ARGUMENT',
    `expected a FAISS 1.7.3 quantizer type (0..6 or one of ${Object.keys(QuantizerType).join(', ')}) for qtype, received ${describeValue(qtype)}`,
  );
}

export interface ScalarQuantizerOptions {
  /** range statistic (default RS_minmax) */
  rangestat?: RangeStat;
  /** its argument (default 0) */
  rangestatArg?: number;
}

const f = Math.fround;

/** FAISS's train_Uniform: [vmin, vmax - vmin] of n values for k levels. */
function trainUniform(rs: RangeStat, rsArg: number, n: number, k: number, x: ArrayLike<number>, offset: number, stride: number): [number, number] {
  const at = (i: number) => x[offset + i * stride];
  let vmin: number;
  let vmax: number;
  if (rs === RangeStat.RS_minmax) {
    vmin = Infinity;
    vmax = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = at(i);
      if (v < vmin) vmin = v;
      if (v > vmax) vmax = v;
    }
    const vexp = f(f(vmax - vmin) * rsArg);
    vmin = f(vmin - vexp);
    vmax = f(vmax + vexp);
  } else if (rs === RangeStat.RS_meanstd) {
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < n; i++) {
      const v = at(i);
      sum += v;
      sum2 += f(v * v);
    }
    const mean = f(sum / n);
    const variance = f(sum2 / n - f(mean * mean));
    const std = variance <= 0 ? 1 : f(Math.sqrt(variance));
    vmin = f(mean - f(std * rsArg));
    vmax = f(mean + f(std * rsArg));
  } else if (rs === RangeStat.RS_quantiles) {
    const copy = new Float32Array(n);
    for (let i = 0; i < n; i++) copy[i] = at(i);
    copy.sort();
    let o = Math.trunc(f(rsArg * f(n)));
    if (o < 0) o = 0;
    if (o > n - o) o = Math.floor(n / 2);
    vmin = copy[o];
    vmax = copy[n - 1 - o];
  } else {
    let sx = 0;
    vmin = Infinity;
    vmax = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = at(i);
      if (v < vmin) vmin = v;
      if (v > vmax) vmax = v;
      sx = f(sx + v);
    }
    let b = vmin;
    let a = f(f(vmax - vmin) / (k - 1));
    const fn = f(n);
    let lastErr = -1;
    let iterLastErr = 0;
    for (let it = 0; it < 2000; it++) {
      let sn = 0;
      let sn2 = 0;
      let sxn = 0;
      let err1 = 0;
      for (let i = 0; i < n; i++) {
        const xi = at(i);
        let ni = f(Math.floor(f(f(xi - b) / a) + 0.5));
        if (ni < 0) ni = 0;
        if (ni >= k) ni = k - 1;
        const t = f(xi - f(f(ni * a) + b));
        err1 = f(err1 + f(t * t));
        sn = f(sn + ni);
        sn2 = f(sn2 + f(ni * ni));
        sxn = f(sxn + f(ni * xi));
      }
      if (err1 === lastErr) {
        iterLastErr++;
        if (iterLastErr === 16) break;
      } else {
        lastErr = err1;
        iterLastErr = 0;
      }
      const det = f(f(sn * sn) - f(sn2 * fn));
      b = f(f(f(sn * sxn) - f(sn2 * sx)) / det);
      a = f(f(f(sn * sx) - f(fn * sxn)) / det);
    }
    vmin = b;
    vmax = f(b + f(a * (k - 1)));
  }
  return [vmin, f(vmax - vmin)];
}

/** FAISS's train_NonUniform: [vmin(d), vdiff(d)]. */
function trainNonUniform(rs: RangeStat, rsArg: number, n: number, d: number, k: number, x: Float32Array): Float32Array {
  const out = new Float32Array(2 * d);
  if (rs === RangeStat.RS_minmax) {
    const vmin = x.slice(0, d);
    const vmax = x.slice(0, d);
    for (let i = 1; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j];
        if (v < vmin[j]) vmin[j] = v;
        if (v > vmax[j]) vmax[j] = v;
      }
    }
    for (let j = 0; j < d; j++) {
      const vexp = f(f(vmax[j] - vmin[j]) * rsArg);
      const lo = f(vmin[j] - vexp);
      const hi = f(vmax[j] + vexp);
      out[j] = lo;
      out[d + j] = f(hi - lo);
    }
    return out;
  }
  // FAISS transposes starting at row 1: row 0 of its copy stays zero.
  const xt = new Float32Array(n * d);
  for (let i = 1; i < n; i++) for (let j = 0; j < d; j++) xt[j * n + i] = x[i * d + j];
  for (let j = 0; j < d; j++) {
    const [lo, diff] = trainUniform(rs, rsArg, n, k, xt, j * n, 1);
    out[j] = lo;
    out[d + j] = diff;
  }
  return out;
}

export class ScalarQuantizer {
  /** dimension */
  readonly d: number;
  readonly qtype: QuantizerType;
  /** bytes per code */
  readonly codeSize: number;
  /** bits per component (16 for fp16) */
  readonly bits: number;
  rangestat: RangeStat;
  /** stored as float32, as FAISS does */
  rangestatArg: number;
  #trained: Float32Array;

  constructor(d: number, qtype: QuantizerType | keyof typeof QuantizerType, options: ScalarQuantizerOptions = {}) {
    if (!Number.isInteger(d) || d < 1 || d > 1 << 24) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [1, 16777216] for d, received ${describeValue(d)}`);
    }
    this.d = d;
    this.qtype = parseQuantizerType(qtype);
    this.codeSize = sqCodeSize(this.qtype, d);
    this.bits = sqBits(this.qtype);
    this.rangestat = RangeStat.RS_minmax;
    this.rangestatArg = 0;
    this.setRangeStat(options.rangestat ?? RangeStat.RS_minmax, options.rangestatArg ?? 0);
    this.#trained = new Float32Array(0);
  }

  /** Sets the range statistic and its argument (validated). */
  setRangeStat(rangestat: RangeStat, rangestatArg = 0): void {
    if (!Number.isInteger(rangestat) || rangestat < 0 || rangestat > 3) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a range statistic 0..3 (${RANGESTAT_NAMES.join(', ')}) for rangestat, received ${describeValue(rangestat)}`);
    }
    if (typeof rangestatArg !== 'number' || !Number.isFinite(rangestatArg)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a finite number for rangestatArg, received ${describeValue(rangestatArg)}`);
    }
    this.rangestat = rangestat;
    this.rangestatArg = f(rangestatArg);
  }

  get qtypeName(): string {
    return sqQtypeName(this.qtype);
  }

  /** Whether training is needed at all (false for QT_fp16 and QT_8bit_direct). */
  get needsTraining(): boolean {
    return sqTrainedSize(this.qtype, this.d) > 0;
  }

  get isTrained(): boolean {
    return this.#trained.length === sqTrainedSize(this.qtype, this.d) && (this.#trained.length > 0 || !this.needsTraining);
  }

  /** The trained parameters (FAISS's `trained`): [vmin(d), vdiff(d)], [vmin, vdiff], or empty. Do not mutate. */
  get trained(): Float32Array {
    return this.#trained;
  }

  /** Installs trained parameters (e.g. FAISS's, or read from a file). */
  setTrained(trained: Float32Array): void {
    const want = sqTrainedSize(this.qtype, this.d);
    if (!(trained instanceof Float32Array) || trained.length !== want) {
      throw new MetalFaissError(
        'DIMENSION_MISMATCH',
        `expected Float32Array of length ${want} (trained parameters of ${this.qtypeName} with d = ${this.d}) for trained, received ${describeValue(trained)}`,
      );
    }
    for (let i = 0; i < trained.length; i++) {
      if (!Number.isFinite(trained[i])) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected finite trained parameters, received ${trained[i]} at trained[${i}]`);
      }
    }
    this.#trained = trained.slice();
  }

  /**
   * FAISS's ScalarQuantizer::train on n * d values (n >= 1 for the kinds
   * that train; QT_fp16 and QT_8bit_direct need no training).
   */
  train(x: VectorsInput): void {
    const m = asMatrix(x, this.d, { name: 'x' });
    this.#trained = this.computeTrained(m.data, m.rows);
  }

  /** train() on a row-major Float32Array of n * d values. */
  setTrainedFrom(x: Float32Array, n: number): void {
    this.#trained = this.computeTrained(x, n);
  }

  /** Installs parameters computed by computeTrained (owned from now on). */
  installTrained(trained: Float32Array): void {
    this.#trained = trained;
  }

  /** The parameters `train` would install, without installing them. */
  computeTrained(x: Float32Array, n: number): Float32Array {
    if (!this.needsTraining) return new Float32Array(0);
    if (n < 1) throw new MetalFaissError('INVALID_ARGUMENT', `expected at least 1 training vector for ScalarQuantizer.train (${this.qtypeName}), received 0`);
    const k = 2 ** this.bits;
    if (this.qtype === QuantizerType.QT_8bit_uniform || this.qtype === QuantizerType.QT_4bit_uniform) {
      return Float32Array.from(trainUniform(this.rangestat, this.rangestatArg, n * this.d, k, x, 0, 1));
    }
    return trainNonUniform(this.rangestat, this.rangestatArg, n, this.d, k, x);
  }

  #requireTrained(method: string): void {
    if (!this.isTrained) {
      throw new MetalFaissError('NOT_TRAINED', `ScalarQuantizer.${method} needs trained parameters: call train() first (${this.qtypeName})`);
    }
  }

  /** Codes of n vectors: Uint8Array of n * codeSize bytes (FAISS's compute_codes). */
  computeCodes(x: VectorsInput): Uint8Array {
    this.#requireTrained('computeCodes');
    const m = asMatrix(x, this.d, { name: 'x' });
    const codes = new Uint8Array(m.rows * this.codeSize);
    sqEncode({ qtype: this.qtype, d: this.d, trained: this.#trained, x: m.data, n: m.rows, codes });
    return codes;
  }

  /** computeCodes off the event loop. */
  async computeCodesAsync(x: VectorsInput): Promise<Uint8Array> {
    this.#requireTrained('computeCodes');
    const m = asMatrix(x, this.d, { name: 'x' });
    const codes = new Uint8Array(m.rows * this.codeSize);
    await sqEncodeAsync({ qtype: this.qtype, d: this.d, trained: this.#trained, x: m.data, n: m.rows, codes });
    return codes;
  }

  /** Encodes n vectors (n * d floats) into `codes` (n * codeSize bytes) and returns it. */
  encodeInto(x: Float32Array, n: number, codes: Uint8Array): Uint8Array {
    this.#requireTrained('encode');
    sqEncode({ qtype: this.qtype, d: this.d, trained: this.#trained, x, n, codes });
    return codes;
  }

  async encodeIntoAsync(x: Float32Array, n: number, codes: Uint8Array): Promise<Uint8Array> {
    this.#requireTrained('encode');
    await sqEncodeAsync({ qtype: this.qtype, d: this.d, trained: this.#trained, x, n, codes });
    return codes;
  }

  /** Vectors of n codes (n * codeSize bytes): Float32Array of n * d, FAISS's decode bit for bit. */
  decode(codes: Uint8Array): Float32Array {
    this.#requireTrained('decode');
    const n = codeCount(codes, this.codeSize);
    const out = new Float32Array(n * this.d);
    sqDecode({ qtype: this.qtype, d: this.d, trained: this.#trained, codes, n, out });
    return out;
  }

  /** A copy with the same parameters. */
  clone(): ScalarQuantizer {
    const c = new ScalarQuantizer(this.d, this.qtype, { rangestat: this.rangestat, rangestatArg: this.rangestatArg });
    c.#trained = this.#trained.slice();
    return c;
  }
}
