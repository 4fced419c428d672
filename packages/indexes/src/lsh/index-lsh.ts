/**
 * IndexLSH (FAISS's name): binary codes from the signs of (rotated) vectors,
 * searched by Hamming distance. As FAISS defines it:
 *
 * - nbits bits per vector, codeSize = ceil(nbits / 8) bytes;
 * - rotateData: project with a RandomRotationMatrix(d, nbits) drawn with
 *   seed 5 (orthonormal rows, or a tight frame when nbits > d); otherwise
 *   take the first nbits components (nbits <= d);
 * - trainThresholds: subtract a per-bit threshold, the median of the
 *   training projections (training needed then); otherwise thresholds are 0;
 * - bit j is 1 when the (thresholded) projection j is >= 0;
 * - search returns Hamming distances as floats; labels are positions.
 *
 * Built on IndexFlatCodes: add (async: chunked, progress, abort),
 * removeIds, reconstruct (FAISS's sa_decode: +-1 per bit, thresholds added
 * back, rotation undone with its transpose), mergeFrom, saEncode/saDecode.
 */
import {
  MetalFaissError,
  describeValue,
  hammingKnn,
  hammingKnnAsync,
  hammingRangeSearch,
  hammingRangeSearchAsync,
  type HammingKnnArgs,
} from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import type { RangeSearchResult, SearchParameters, SearchResult } from '../index-base';
import { MetricType } from '../metric';
import { checkDimension, checkK, checkRadius, checkResultSize } from '../validate';
import { throwIfAborted } from '../abort';
import { IndexFlatCodes } from '../sq/flat-codes';
import { type QuantizerOptions, quantizerOptions } from '../sq/options';
import { RandomRotationMatrix } from '../transforms/random-rotation';

/** false while fromParts builds an index whose rotation comes from the parts */
let drawRotation = true;

export interface IndexLSHParts {
  d: number;
  nbits: number;
  rotateData: boolean;
  trainThresholds: boolean;
  /** nbits thresholds, or empty when not trained */
  thresholds: Float32Array;
  /** the rotation's nbits x d matrix (FAISS's rrot.A); may be empty when rotateData is false */
  rotation: Float32Array;
  /** ntotal * ceil(nbits / 8) bytes */
  codes: Uint8Array;
  isTrained: boolean;
}

/** FAISS's fvec2bitvec over n rows of nbits values: bit = (x >= 0), LSB first. */
export function signBits(x: Float32Array, n: number, nbits: number): Uint8Array {
  const cs = (nbits + 7) >> 3;
  const out = new Uint8Array(n * cs);
  for (let i = 0; i < n; i++) {
    const row = i * nbits;
    for (let j = 0; j < nbits; j++) if (x[row + j] >= 0) out[i * cs + (j >> 3)] |= 1 << (j & 7);
  }
  return out;
}

export class IndexLSH extends IndexFlatCodes {
  readonly nbits: number;
  readonly rotateData: boolean;
  readonly trainThresholds: boolean;
  /** the random rotation (FAISS's rrot; drawn only when rotateData) */
  readonly rrot: RandomRotationMatrix;
  #thresholds: Float32Array = new Float32Array(0);
  #trained: boolean;

  /**
   * `faiss.IndexLSH(d, nbits, rotate_data=True, train_thresholds=False)`.
   * @throws MetalFaissError INVALID_ARGUMENT (d, nbits < 1, nbits > d without rotation)
   */
  constructor(d: number, nbits: number, rotateData = true, trainThresholds = false) {
    checkDimension(d);
    if (typeof nbits !== 'number' || !Number.isInteger(nbits) || nbits < 1 || nbits > 1 << 20) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [1, 1048576] for nbits, received ${describeValue(nbits)}`);
    }
    if (typeof rotateData !== 'boolean' || typeof trainThresholds !== 'boolean') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected booleans for rotateData and trainThresholds, received ${describeValue(rotateData)} and ${describeValue(trainThresholds)}`);
    }
    if (!rotateData && nbits > d) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected nbits <= d = ${d} for an IndexLSH without rotation (it keeps the first nbits components), received nbits = ${nbits}`);
    }
    super(d, MetricType.L2, (nbits + 7) >> 3);
    this.nbits = nbits;
    this.rotateData = rotateData;
    this.trainThresholds = trainThresholds;
    this.rrot = new RandomRotationMatrix(d, nbits);
    if (rotateData && drawRotation) this.rrot.init(5);
    this.#trained = !trainThresholds;
  }

  /** An index from FAISS's parts (an `IxHe` record), checked. */
  static fromParts(parts: IndexLSHParts): IndexLSH {
    let index: IndexLSH;
    drawRotation = false;
    try {
      index = new IndexLSH(parts.d, parts.nbits, parts.rotateData, parts.trainThresholds);
    } finally {
      drawRotation = true;
    }
    if (parts.rotateData || parts.rotation.length > 0) {
      if (parts.rotation.length !== parts.nbits * parts.d) {
        throw new MetalFaissError('IO_FORMAT', `expected ${parts.nbits * parts.d} values (nbits x d) for the LSH rotation, received ${parts.rotation.length}`);
      }
      index.rrot.setMatrix(parts.rotation.slice());
    }
    if (parts.trainThresholds && parts.isTrained) {
      if (!(parts.thresholds instanceof Float32Array) || parts.thresholds.length !== parts.nbits) {
        throw new MetalFaissError('IO_FORMAT', `expected ${parts.nbits} thresholds for a trained IndexLSH, received ${describeValue(parts.thresholds)}`);
      }
      index.#thresholds = parts.thresholds.slice();
    }
    index.#trained = parts.isTrained;
    if (parts.codes.length > 0) index.addCodes(parts.codes.slice());
    return index;
  }

  toParts(): IndexLSHParts {
    return {
      d: this.d,
      nbits: this.nbits,
      rotateData: this.rotateData,
      trainThresholds: this.trainThresholds,
      thresholds: this.#thresholds.slice(),
      rotation: this.rrot.isTrained ? this.rrot.A.slice() : new Float32Array(0),
      codes: this.codes.slice(),
      isTrained: this.#trained,
    };
  }

  get isTrained(): boolean {
    return this.#trained;
  }

  /** The per-bit thresholds (nbits values once trained with trainThresholds; empty otherwise). */
  get thresholds(): Float32Array {
    return this.#thresholds.slice();
  }

  /** FAISS's apply_preprocess: rotate (or truncate), then subtract the thresholds. */
  #preprocess(x: Float32Array, n: number, withThresholds: boolean): Float32Array {
    const nbits = this.nbits;
    let xt: Float32Array;
    if (this.rotateData) {
      xt = this.rrot.applySync(x.subarray(0, n * this.d));
    } else {
      xt = new Float32Array(n * nbits);
      for (let i = 0; i < n; i++) xt.set(x.subarray(i * this.d, i * this.d + nbits), i * nbits);
    }
    if (withThresholds && this.trainThresholds) {
      const t = this.#thresholds;
      for (let i = 0; i < n; i++) for (let j = 0; j < nbits; j++) xt[i * nbits + j] -= t[j];
    }
    return xt;
  }

  /** Learns the thresholds (median of each projection) when trainThresholds; otherwise only validates. */
  trainSync(x: VectorsInput): void {
    const m = asMatrix(x, this.d, { name: 'x' });
    if (!this.trainThresholds) return;
    if (m.rows === 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected at least 1 training vector for ${this.typeName}.train, received 0`);
    const n = m.rows;
    const nbits = this.nbits;
    const xt = this.#preprocess(m.data, n, false);
    const t = new Float32Array(nbits);
    const col = new Float32Array(n);
    for (let j = 0; j < nbits; j++) {
      for (let i = 0; i < n; i++) col[i] = xt[i * nbits + j];
      col.sort();
      t[j] = n % 2 === 1 ? col[n >> 1] : Math.fround((col[(n >> 1) - 1] + col[n >> 1]) / 2);
    }
    this.#thresholds = t;
    this.#trained = true;
  }

  async train(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    const { signal } = quantizerOptions(options, `${this.typeName}.train`, 'train');
    throwIfAborted(signal, `${this.typeName}.train`);
    this.trainSync(x);
  }

  protected encodeRows(x: Float32Array, n: number): Uint8Array {
    return signBits(this.#preprocess(x, n, true), n, this.nbits);
  }

  protected async encodeRowsAsync(x: Float32Array, n: number): Promise<Uint8Array> {
    if (!this.rotateData) return this.encodeRows(x, n);
    const xt = await this.rrot.apply(x.subarray(0, n * this.d));
    if (this.trainThresholds) {
      const t = this.#thresholds;
      const nbits = this.nbits;
      for (let i = 0; i < n; i++) for (let j = 0; j < nbits; j++) xt[i * nbits + j] -= t[j];
    }
    return signBits(xt, n, this.nbits);
  }

  /** FAISS's sa_decode: +-1 per bit, thresholds added back, then the rotation's transpose (or zero-padded to d). */
  protected decodeRows(codes: Uint8Array, n: number): Float32Array {
    const nbits = this.nbits;
    const cs = this.codeSize;
    const xt = new Float32Array(n * nbits);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < nbits; j++) xt[i * nbits + j] = (codes[i * cs + (j >> 3)] >> (j & 7)) & 1 ? 1 : -1;
    }
    if (this.trainThresholds) {
      const t = this.#thresholds;
      for (let i = 0; i < n; i++) for (let j = 0; j < nbits; j++) xt[i * nbits + j] += t[j];
    }
    const d = this.d;
    const out = new Float32Array(n * d);
    if (this.rotateData) {
      const A = this.rrot.A;
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < nbits; r++) {
          const y = xt[i * nbits + r];
          if (y === 0) continue;
          for (let c = 0; c < d; c++) out[i * d + c] += y * A[r * d + c];
        }
      }
    } else {
      for (let i = 0; i < n; i++) out.set(xt.subarray(i * nbits, (i + 1) * nbits), i * d);
    }
    return out;
  }

  #queryCodes(xq: VectorsInput): { codes: Uint8Array; rows: number } {
    this.requireTrained('search');
    const q = asMatrix(xq, this.d, { name: 'xq' });
    return { codes: this.encodeRows(q.data, q.rows), rows: q.rows };
  }

  #knnArgs(xq: VectorsInput, k: number, params: SearchParameters | undefined): { args: HammingKnnArgs; map?: Int32Array } {
    checkK(k);
    const q = this.#queryCodes(xq);
    checkResultSize(q.rows, k);
    const snap = this.snapshot();
    const mask = this.selectorMask(params?.selector, snap.ntotal);
    let xb = snap.codes;
    let nb = snap.ntotal;
    let map: Int32Array | undefined;
    if (mask) {
      const keep: number[] = [];
      for (let i = 0; i < nb; i++) if (mask[i]) keep.push(i);
      map = Int32Array.from(keep);
      xb = new Uint8Array(keep.length * this.codeSize);
      keep.forEach((row, j) => xb.set(snap.codes.subarray(row * this.codeSize, (row + 1) * this.codeSize), j * this.codeSize));
      nb = keep.length;
    }
    return {
      args: { xq: q.codes, xb, nq: q.rows, nb, codeSize: this.codeSize, k, distances: new Int32Array(q.rows * k), labels: new BigInt64Array(q.rows * k) },
      map,
    };
  }

  #finish(a: HammingKnnArgs, map: Int32Array | undefined): SearchResult {
    const distances = new Float32Array(a.distances.length);
    for (let i = 0; i < distances.length; i++) {
      const l = a.labels[i];
      distances[i] = l < 0n ? Infinity : a.distances[i];
      if (map && l >= 0n) a.labels[i] = BigInt(map[Number(l)]);
    }
    return { distances, labels: a.labels };
  }

  /** k nearest stored codes to each query's code, by Hamming distance (as floats; padding +Infinity / -1). */
  searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult {
    const { args, map } = this.#knnArgs(xq, k, params);
    hammingKnn(args);
    return this.#finish(args, map);
  }

  async search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult> {
    const { args, map } = this.#knnArgs(xq, k, params);
    await hammingKnnAsync(args);
    return this.#finish(args, map);
  }

  #rangeArgs(xq: VectorsInput, radius: number, params: SearchParameters | undefined) {
    checkRadius(radius);
    const q = this.#queryCodes(xq);
    const snap = this.snapshot();
    const mask = this.selectorMask(params?.selector, snap.ntotal);
    // integer distances: d < radius <=> d < ceil(radius)
    const r = Math.max(-2147483647, Math.min(2147483647, Math.ceil(radius)));
    return { args: { xq: q.codes, xb: snap.codes, nq: q.rows, nb: snap.ntotal, codeSize: this.codeSize, radius: r }, mask };
  }

  #rangeFinish(r: { lims: BigInt64Array; distances: Int32Array; labels: BigInt64Array }, mask: Uint8Array | undefined): RangeSearchResult {
    if (!mask) return { lims: r.lims, distances: Float32Array.from(r.distances), labels: r.labels };
    const nq = r.lims.length - 1;
    const lims = new BigInt64Array(nq + 1);
    const dis: number[] = [];
    const ids: bigint[] = [];
    for (let q = 0; q < nq; q++) {
      for (let t = Number(r.lims[q]); t < Number(r.lims[q + 1]); t++) {
        if (mask[Number(r.labels[t])]) {
          dis.push(r.distances[t]);
          ids.push(r.labels[t]);
        }
      }
      lims[q + 1] = BigInt(dis.length);
    }
    return { lims, distances: Float32Array.from(dis), labels: BigInt64Array.from(ids) };
  }

  /** Stored codes at Hamming distance < radius of each query's code (per query in label order). */
  rangeSearchSync(xq: VectorsInput, radius: number, params?: SearchParameters): RangeSearchResult {
    const { args, mask } = this.#rangeArgs(xq, radius, params);
    return this.#rangeFinish(hammingRangeSearch(args), mask);
  }

  async rangeSearch(xq: VectorsInput, radius: number, params?: SearchParameters): Promise<RangeSearchResult> {
    const { args, mask } = this.#rangeArgs(xq, radius, params);
    return this.#rangeFinish(await hammingRangeSearchAsync(args), mask);
  }

  protected checkCompatible(other: IndexFlatCodes): void {
    const o = other as IndexLSH;
    const same =
      o.nbits === this.nbits &&
      o.rotateData === this.rotateData &&
      o.trainThresholds === this.trainThresholds &&
      o.#thresholds.length === this.#thresholds.length &&
      o.#thresholds.every((v, i) => v === this.#thresholds[i]) &&
      (!this.rotateData || o.rrot.A.every((v, i) => v === this.rrot.A[i]));
    if (!same) throw new MetalFaissError('INVALID_ARGUMENT', `expected an IndexLSH with the same nbits, rotation and thresholds for mergeFrom`);
  }

  protected codecBytes(): number {
    return this.rrot.memoryBytes() + this.#thresholds.byteLength;
  }

  reset(): void {
    super.reset();
  }
}
