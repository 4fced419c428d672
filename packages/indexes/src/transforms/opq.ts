/**
 * OPQMatrix (FAISS): a rotation (dOut x dIn, orthonormal rows) learnt so that
 * a product quantizer of M sub-quantizers loses as little as possible on the
 * rotated vectors (Ge et al., "Optimized Product Quantization"). FAISS's
 * alternation: rotate, train the PQ (niterPq0 k-means iterations the first
 * time, then niterPq hot-started from the previous centroids), encode and
 * decode, then solve the orthogonal Procrustes problem between the data and
 * the reconstructions (an SVD) for the next rotation; niter times. The
 * initial rotation is FAISS's (float_randn seed 1234 + QR), the training set
 * FAISS's subsample (at most maxTrainPoints, seed 1234).
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { gemmABt, gemmABtAsync, matrixQR, polarFactor, transpose, type VectorsInput } from '@metalfaiss/linalg';
import { pqEncodeDecode, pqEncodeDecodeAsync, pqKmeans, pqKmeansAsync } from './pq-kmeans';
import { floatRandn, maybeSubsample } from './random-normal';
import { LinearTransform } from './vector-transform';

/** What OPQMatrix needs of a user-supplied product quantizer (FAISS's `pq` field): its shape, and a place for the centroids. */
export interface OPQProductQuantizer {
  readonly d: number;
  readonly M: number;
  readonly nbits: number;
  setCentroids(centroids: Float32Array): void;
}

export interface OPQProgress {
  iteration: number;
  niter: number;
  /** mean squared PQ reconstruction error of the rotated training vectors */
  pqError: number;
  /** since the start of training */
  seconds: number;
  /** this iteration's time per phase: rotation, PQ k-means, encode/decode, Procrustes (SVD) */
  phases: { rotate: number; kmeans: number; encode: number; procrustes: number };
}

export class OPQMatrix extends LinearTransform {
  /** sub-quantizers of the PQ the rotation is optimised for */
  readonly M: number;
  /** OPQ iterations (FAISS: 50) */
  niter = 50;
  /** k-means iterations of the PQ training at every OPQ iteration after the first (FAISS: 4) */
  niterPq = 4;
  /** k-means iterations of the first PQ training (FAISS: 40) */
  niterPq0 = 40;
  /** training subsample cap (FAISS: 256 * 256) */
  maxTrainPoints = 256 * 256;
  verbose = false;
  /** called after every iteration */
  onProgress?: (p: OPQProgress) => void;
  /**
   * an optional product quantizer to optimise for (FAISS's `pq`; default: M
   * sub-quantizers of 8 bits); after training it holds the last iteration's
   * centroids
   */
  pq: OPQProductQuantizer | null = null;
  /** the last iteration's PQ centroids (M x 2^nbits x dOut/M) */
  pqCentroids: Float32Array = new Float32Array(0);

  /** `OPQMatrix(d, M, dOut = d)` */
  constructor(d: number, M = 1, dOut = d) {
    super(d, dOut, false);
    if (!Number.isInteger(M) || M < 1 || dOut % M !== 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a positive integer M that divides dOut = ${dOut} for OPQMatrix, received ${describeValue(M)}`);
    }
    this.M = M;
  }

  #setup(x: VectorsInput): Setup {
    const { data, n: n0 } = this.input(x, 'x', false);
    for (const [name, v, min] of [['niter', this.niter, 0], ['niterPq', this.niterPq, 1], ['niterPq0', this.niterPq0, 1], ['maxTrainPoints', this.maxTrainPoints, 1]] as const) {
      if (!Number.isInteger(v) || v < min) throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= ${min} for ${name}, received ${describeValue(v)}`);
    }
    const { data: xs, n } = maybeSubsample(data, n0, this.dIn, this.maxTrainPoints);
    const dIn = this.dIn;
    const d2 = this.dOut;
    const d = d2 <= dIn ? dIn : d2; // inputs are zero-padded to dOut when dOut > dIn
    const pq = this.pq;
    if (pq && (pq.d !== d2 || pq.M !== this.M)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a ProductQuantizer of d = ${d2} and M = ${this.M} for OPQMatrix.pq, received d = ${pq.d}, M = ${pq.M}`);
    }
    const nbits = pq ? pq.nbits : 8;
    const ksub = 2 ** nbits;
    if (n < ksub) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected at least ksub = ${ksub} training vectors for OPQMatrix, received ${n}`);
    }
    // centre (FAISS subtracts the mean of the training vectors)
    const mean = new Float64Array(dIn);
    for (let i = 0; i < n; i++) for (let j = 0; j < dIn; j++) mean[j] += xs[i * dIn + j];
    for (let j = 0; j < dIn; j++) mean[j] /= n;
    const xtrain = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < dIn; j++) xtrain[i * d + j] = xs[i * dIn + j] - mean[j];
    let R: Float32Array;
    if (this.A.length === 0) {
      const rot = floatRandn(d * d, 1234);
      matrixQR(d, d, rot);
      R = rot.slice(0, d2 * d); // the first d2 rows
    } else {
      if (this.A.length !== d2 * d) {
        throw new MetalFaissError('DIMENSION_MISMATCH', `expected an initial A of ${d2 * d} values for OPQMatrix, received ${this.A.length}`);
      }
      R = this.A.slice();
    }
    return { xtrain, xt: transpose(xtrain, n, d), n, d, d2, R, ksub, dsub: d2 / this.M };
  }

  /** FAISS: niterPq0 k-means iterations the first time, then niterPq hot-started from the previous centroids; at most 1000 points per centroid. */
  #kmeansOptions(iter: number, prev: Float32Array | null): { niter: number; seed: number; maxPointsPerCentroid: number; init: Float32Array | null } {
    return { niter: iter === 0 ? this.niterPq0 : this.niterPq, seed: 1234, maxPointsPerCentroid: 1000, init: iter === 0 ? null : prev };
  }

  /** After PQ training: encode/decode, report, and the Procrustes step; returns the next rotation. */
  #procrustes(s: Setup, iter: number, xproj: Float32Array, recons: Float32Array, t0: number, marks: number[]): Float32Array {
    const { n, d, d2, xt } = s;
    const tp = performance.now();
    let err = 0;
    for (let i = 0; i < recons.length; i++) err += (recons[i] - xproj[i]) ** 2;
    if (this.verbose) {
      const seconds = (performance.now() - t0) / 1000;
      process.stdout.write(`    Iteration ${iter} (${iter === 0 ? this.niterPq0 : this.niterPq} PQ iterations):${seconds.toFixed(3)} s, obj=${err / n}\n`);
    }
    // B = reconsᵀ X (d2 x d); the new rotation is its orthogonal polar factor U Vᵀ
    const B = gemmABt(transpose(recons, n, d2), d2, n, xt, d);
    const R = Float32Array.from(polarFactor(B, d2, d));
    const [a, b, c] = marks;
    this.onProgress?.({
      iteration: iter,
      niter: this.niter,
      pqError: err / n,
      seconds: (performance.now() - t0) / 1000,
      phases: { rotate: (b - a) / 1000, kmeans: (c - b) / 1000, encode: (tp - c) / 1000, procrustes: (performance.now() - tp) / 1000 },
    });
    return R;
  }

  #finish(s: Setup, R: Float32Array, centroids: Float32Array): void {
    const { d, d2 } = s;
    let A = R;
    if (d > this.dIn) {
      // drop the padding columns
      A = new Float32Array(d2 * this.dIn);
      for (let i = 0; i < d2; i++) A.set(R.subarray(i * d, i * d + this.dIn), i * this.dIn);
    }
    this.pqCentroids = centroids;
    this.pq?.setCentroids(centroids);
    this.A = A;
    this.b = new Float32Array(0);
    this.isOrthonormal = true;
    this.trained = true;
  }

  /** Trains on the calling thread (blocks the event loop for the whole training; train() does not). */
  trainSync(x: VectorsInput): void {
    const restore = this.captureState();
    try {
      const s = this.#setup(x);
      let R = s.R;
      let c: Float32Array | null = null;
      const t0 = performance.now();
      for (let iter = 0; iter < this.niter; iter++) {
        const m0 = performance.now();
        const xproj = gemmABt(s.xtrain, s.n, s.d, R, s.d2);
        const m1 = performance.now();
        c = pqKmeans(xproj, s.n, this.M, s.ksub, s.dsub, this.#kmeansOptions(iter, c));
        const m2 = performance.now();
        const { recons } = pqEncodeDecode(xproj, s.n, this.M, s.ksub, s.dsub, c);
        R = this.#procrustes(s, iter, xproj, recons, t0, [m0, m1, m2]);
      }
      this.#finish(s, R, c ?? new Float32Array(0));
    } catch (e) {
      restore();
      throw e;
    }
  }

  /** Trains with the GEMMs, k-means and encoding off the event loop. */
  async train(x: VectorsInput): Promise<void> {
    const restore = this.captureState();
    try {
      const s = this.#setup(x);
      let R = s.R;
      let c: Float32Array | null = null;
      const t0 = performance.now();
      for (let iter = 0; iter < this.niter; iter++) {
        const m0 = performance.now();
        const xproj = await gemmABtAsync(s.xtrain, s.n, s.d, R, s.d2);
        const m1 = performance.now();
        c = await pqKmeansAsync(xproj, s.n, this.M, s.ksub, s.dsub, this.#kmeansOptions(iter, c));
        const m2 = performance.now();
        const { recons } = await pqEncodeDecodeAsync(xproj, s.n, this.M, s.ksub, s.dsub, c);
        R = this.#procrustes(s, iter, xproj, recons, t0, [m0, m1, m2]);
      }
      this.#finish(s, R, c ?? new Float32Array(0));
    } catch (e) {
      restore();
      throw e;
    }
  }
}

interface Setup {
  xtrain: Float32Array;
  /** xtrain transposed (d x n), computed once */
  xt: Float32Array;
  n: number;
  d: number;
  d2: number;
  R: Float32Array;
  ksub: number;
  dsub: number;
}
