/**
 * ProductQuantizer (FAISS's impl/ProductQuantizer): a vector of d components
 * is split into M sub-vectors of dsub = d / M components; sub-quantizer m has
 * ksub = 2^nbits centroids (`centroids`, laid out [m][ksub][dsub] as in
 * FAISS) and a code stores the M nearest-centroid indices, packed LSB-first in
 * ceil(M * nbits / 8) bytes (one byte each when nbits = 8).
 *
 * Training is FAISS's Train_default: one k-means per sub-space (the
 * `Clustering` of this package, with FAISS's clustering parameters `cp`:
 * niter 25, seed 1234, at most 256 points per centroid), the sub-spaces one
 * after the other. The assignment step uses an exact nearest-centroid index
 * specialised for small d and ksub (see assign-index.ts) instead of FAISS's
 * IndexFlatL2; the result is the same up to float rounding. Encoding, decoding and the distance tables run on the
 * @metalfaiss/metal-kernels product-quantizer kernels.
 */
import {
  MetalFaissError,
  describeValue,
  pqCodeSize,
  pqComputeCodes,
  pqComputeCodesAsync,
  pqDecode,
  pqTables,
} from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { Clustering, type ClusteringParameters, clusteringParameters } from '../clustering/index';
import { AssignIndex } from './assign-index';
import { maybeSubsample } from '../transforms/random-normal';
import { throwIfAborted } from '../abort';
import { type QuantizerOptions, codeCount, quantizerOptions } from '../sq/options';

/** Checks FAISS's constructor constraints; returns dsub. */
export function checkPqShape(d: unknown, M: unknown, nbits: unknown, maxBits = 16, owner = 'ProductQuantizer'): number {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 1 << 24) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [1, 16777216] for d, received ${describeValue(d)}`);
  }
  if (typeof M !== 'number' || !Number.isInteger(M) || M < 1 || d % M !== 0) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected a positive integer that divides d = ${d} for M (the dimension of the vector (d) should be a multiple of the number of subquantizers (M)), received ${describeValue(M)}`,
    );
  }
  if (typeof nbits !== 'number' || !Number.isInteger(nbits) || nbits < 1 || nbits > maxBits) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [1, ${maxBits}] for nbits (bits per sub-quantizer index in ${owner}), received ${describeValue(nbits)}`);
  }
  return d / M;
}

export class ProductQuantizer {
  readonly d: number;
  readonly M: number;
  readonly nbits: number;
  readonly dsub: number;
  readonly ksub: number;
  /** bytes per code */
  readonly codeSize: number;
  /** FAISS's `cp`: the clustering parameters of the per-sub-space k-means */
  cp: ClusteringParameters;
  /** print FAISS's training lines */
  verbose = false;
  #centroids: Float32Array;
  #trained = false;

  constructor(d: number, M: number, nbits = 8) {
    this.dsub = checkPqShape(d, M, nbits);
    this.d = d;
    this.M = M;
    this.nbits = nbits;
    this.ksub = 2 ** nbits;
    this.codeSize = pqCodeSize(M, nbits);
    this.cp = clusteringParameters();
    this.#centroids = new Float32Array(d * this.ksub);
  }

  /** M * ksub * dsub floats, [m][ksub][dsub] (FAISS's `centroids`). Do not mutate; use setCentroids. */
  get centroids(): Float32Array {
    return this.#centroids;
  }

  /** Whether the centroids were trained or set. */
  get isTrained(): boolean {
    return this.#trained;
  }

  /** Installs centroids (e.g. FAISS's, or read from a file): Float32Array of M * ksub * dsub. */
  setCentroids(centroids: Float32Array): void {
    const n = this.d * this.ksub;
    if (!(centroids instanceof Float32Array) || centroids.length !== n) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected Float32Array of length ${n} (M * ksub * dsub) for centroids, received ${describeValue(centroids)}`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(centroids[i])) throw new MetalFaissError('INVALID_ARGUMENT', `expected finite centroids, received ${centroids[i]} at centroids[${i}]`);
    }
    this.#centroids = centroids.slice();
    this.#trained = true;
  }

  /** Sets sub-quantizer m's ksub * dsub centroids (FAISS's set_params). */
  setParams(centroids: Float32Array, m: number): void {
    if (!Number.isInteger(m) || m < 0 || m >= this.M) throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [0, ${this.M}) for m, received ${describeValue(m)}`);
    const n = this.ksub * this.dsub;
    if (!(centroids instanceof Float32Array) || centroids.length !== n) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected Float32Array of length ${n} (ksub * dsub) for centroids, received ${describeValue(centroids)}`);
    }
    const next = this.#centroids.slice();
    next.set(centroids, m * n);
    this.#centroids = next;
  }

  #codec() {
    return { d: this.d, M: this.M, nbits: this.nbits, centroids: this.#centroids };
  }

  #requireTrained(method: string): void {
    if (!this.#trained) throw new MetalFaissError('NOT_TRAINED', `ProductQuantizer.${method} needs centroids: call train() or setCentroids() first`);
  }

  #slice(x: Float32Array, n: number, m: number): Float32Array {
    const { d, dsub } = this;
    const out = new Float32Array(n * dsub);
    for (let i = 0; i < n; i++) out.set(x.subarray(i * d + m * dsub, i * d + (m + 1) * dsub), i * dsub);
    return out;
  }

  #checkTrainSize(n: number): void {
    if (n < this.ksub) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected at least ksub = ${this.ksub} training vectors for ProductQuantizer.train (Number of training points (${n}) should be at least as large as number of clusters (${this.ksub})), received ${n}`,
      );
    }
  }

  /**
   * The training rows: FAISS's Clustering keeps a random subset of
   * ksub * maxPointsPerCentroid rows (rand_perm with cp.seed), the same for
   * every sub-space; done here once, on whole vectors (the same rows).
   */
  #trainRows(x: Float32Array, n: number): { data: Float32Array; n: number } {
    const keep = this.ksub * this.cp.maxPointsPerCentroid;
    if (n > keep && this.verbose) process.stdout.write(`Sampling a subset of ${keep} / ${n} for training\n`);
    return maybeSubsample(x, n, this.d, keep, this.cp.seed);
  }

  #clustering(m: number): Clustering {
    const clus = new Clustering(this.dsub, this.ksub, { ...this.cp, verbose: this.cp.verbose || this.verbose });
    if (this.verbose) process.stdout.write(`Training PQ slice ${m}/${this.M}\n`);
    return clus;
  }

  /**
   * FAISS's ProductQuantizer::train (Train_default): k-means in every
   * sub-space, one after the other. `options.onProgress` as in trainAsync.
   */
  train(x: VectorsInput, options?: Omit<QuantizerOptions, 'signal'>): void {
    const { report } = quantizerOptions(options, 'ProductQuantizer.train', 'train');
    const mat = asMatrix(x, this.d, { name: 'x' });
    this.#checkTrainSize(mat.rows);
    const rows = this.#trainRows(mat.data, mat.rows);
    const next = new Float32Array(this.d * this.ksub);
    for (let m = 0; m < this.M; m++) {
      report(`sub-quantizer ${m + 1}/${this.M}`, m, this.M);
      const clus = this.#clustering(m);
      clus.trainSync(this.#slice(rows.data, rows.n, m), new AssignIndex(this.dsub));
      next.set(clus.centroids, m * this.ksub * this.dsub);
    }
    this.#centroids = next;
    this.#trained = true;
    report('done', this.M, this.M);
  }

  /**
   * train off the event loop; progress is reported as each sub-quantizer
   * starts ('sub-quantizer m/M', done = m - 1 of M) and at the end, and
   * `options.signal` aborts between k-means iterations (the quantizer is left
   * as it was).
   */
  async trainAsync(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    const { signal, report } = quantizerOptions(options, 'ProductQuantizer.train', 'train');
    throwIfAborted(signal, 'ProductQuantizer.train');
    const mat = asMatrix(x, this.d, { name: 'x' });
    this.#checkTrainSize(mat.rows);
    const rows = this.#trainRows(mat.data, mat.rows);
    const next = new Float32Array(this.d * this.ksub);
    for (let m = 0; m < this.M; m++) {
      report(`sub-quantizer ${m + 1}/${this.M}`, m, this.M);
      const clus = this.#clustering(m);
      await clus.train(this.#slice(rows.data, rows.n, m), new AssignIndex(this.dsub), { signal });
      next.set(clus.centroids, m * this.ksub * this.dsub);
    }
    throwIfAborted(signal, 'ProductQuantizer.train');
    this.#centroids = next;
    this.#trained = true;
    report('done', this.M, this.M);
  }

  /** Codes of n vectors: Uint8Array of n * codeSize (FAISS's compute_codes). */
  computeCodes(x: VectorsInput): Uint8Array {
    this.#requireTrained('computeCodes');
    const m = asMatrix(x, this.d, { name: 'x' });
    const codes = new Uint8Array(m.rows * this.codeSize);
    pqComputeCodes({ ...this.#codec(), x: m.data, n: m.rows, codes });
    return codes;
  }

  async computeCodesAsync(x: VectorsInput): Promise<Uint8Array> {
    this.#requireTrained('computeCodes');
    const m = asMatrix(x, this.d, { name: 'x' });
    const codes = new Uint8Array(m.rows * this.codeSize);
    await pqComputeCodesAsync({ ...this.#codec(), x: m.data, n: m.rows, codes });
    return codes;
  }

  /** Vectors of codes (a multiple of codeSize bytes): Float32Array of n * d (FAISS's decode). */
  decode(codes: Uint8Array): Float32Array {
    this.#requireTrained('decode');
    const n = codeCount(codes, this.codeSize);
    const out = new Float32Array(n * this.d);
    pqDecode({ ...this.#codec(), codes, n, out });
    return out;
  }

  /** Squared L2 distance tables of n vectors: Float32Array of n * M * ksub (FAISS's compute_distance_tables). */
  computeDistanceTables(x: VectorsInput): Float32Array {
    return this.#tables(x, 1);
  }

  /** Inner-product tables of n vectors: Float32Array of n * M * ksub (FAISS's compute_inner_prod_tables). */
  computeInnerProdTables(x: VectorsInput): Float32Array {
    return this.#tables(x, 0);
  }

  #tables(x: VectorsInput, metric: 0 | 1): Float32Array {
    this.#requireTrained(metric === 1 ? 'computeDistanceTables' : 'computeInnerProdTables');
    const m = asMatrix(x, this.d, { name: 'x' });
    const out = new Float32Array(m.rows * this.M * this.ksub);
    pqTables({ ...this.#codec(), x: m.data, n: m.rows, metric, out });
    return out;
  }

  /** A copy with the same parameters and centroids. */
  clone(): ProductQuantizer {
    const c = new ProductQuantizer(this.d, this.M, this.nbits);
    c.cp = { ...this.cp };
    c.verbose = this.verbose;
    c.#centroids = this.#centroids.slice();
    c.#trained = this.#trained;
    return c;
  }

  /** Bytes of the centroids. */
  memoryBytes(): number {
    return this.#centroids.byteLength;
  }
}
