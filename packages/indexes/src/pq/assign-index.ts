/**
 * The assignment index of the product quantizer's k-means (FAISS lets
 * ProductQuantizer::train pass any index to Clustering::train; FAISS uses an
 * IndexFlatL2). Exact nearest-centroid search like IndexFlatL2 with k = 1,
 * through the `pqAssign` kernel: the centroids stay in registers / L1 and
 * several points share each load, which suits the sub-spaces' small d and
 * ksub (a GEMM tile has little to work with at d = 49, k = 256). Distances are
 * computed in the direct form (x - c)^2, so they are at least as accurate as
 * IndexFlatL2's. Internal to the package.
 */
import { MetalFaissError, pqAssign, pqAssignAsync } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { Index, type SearchParameters, type SearchResult } from '../index-base';
import { MetricType } from '../metric';
import { checkK } from '../validate';

export class AssignIndex extends Index {
  #centroids = new Float32Array(0);
  #n = 0;

  constructor(d: number) {
    super(d, MetricType.L2);
  }

  get ntotal(): number {
    return this.#n;
  }

  get isTrained(): boolean {
    return true;
  }

  trainSync(x: VectorsInput): void {
    asMatrix(x, this.d, { name: 'x' });
  }

  addSync(x: VectorsInput): void {
    const m = asMatrix(x, this.d, { name: 'x' });
    const next = new Float32Array((this.#n + m.rows) * this.d);
    next.set(this.#centroids.subarray(0, this.#n * this.d));
    next.set(m.data, this.#n * this.d);
    this.#centroids = next;
    this.#n += m.rows;
  }

  #args(xq: VectorsInput, k: number, params?: SearchParameters) {
    checkK(k);
    if (k !== 1 || params?.selector) {
      throw new MetalFaissError('UNSUPPORTED', 'the k-means assignment index answers k = 1 searches without selectors only');
    }
    const q = asMatrix(xq, this.d, { name: 'xq', finite: false }); // the clustering already checked its points
    return {
      x: q.data,
      n: q.rows,
      d: this.d,
      centroids: this.#centroids.subarray(0, this.#n * this.d),
      k: this.#n,
      labels: new BigInt64Array(q.rows),
      distances: new Float32Array(q.rows),
    };
  }

  searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult {
    const a = this.#args(xq, k, params);
    if (a.k === 0) return { distances: a.distances.fill(Infinity), labels: a.labels.fill(-1n) };
    pqAssign(a);
    return { distances: a.distances, labels: a.labels };
  }

  async search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult> {
    const a = this.#args(xq, k, params);
    if (a.k === 0) return { distances: a.distances.fill(Infinity), labels: a.labels.fill(-1n) };
    await pqAssignAsync(a);
    return { distances: a.distances, labels: a.labels };
  }

  reset(): void {
    this.#centroids = new Float32Array(0);
    this.#n = 0;
  }

  memoryBytes(): number {
    return this.#centroids.byteLength;
  }
}
