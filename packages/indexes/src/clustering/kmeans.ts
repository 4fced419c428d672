/**
 * Kmeans: FAISS Python's `faiss.Kmeans(d, k, **params)` wrapper around
 * Clustering. It owns its assignment index (IndexFlatL2, or IndexFlatIP when
 * spherical), keeps the centroids, the per-iteration objectives and stats,
 * and assigns new points to the nearest centroid.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { IndexFlat, IndexFlatIP, IndexFlatL2 } from '../flat';
import {
  Clustering,
  type ClusteringIterationStats,
  type ClusteringOptions,
  type ClusteringParameters,
  type ClusteringPruneStats,
  type ClusteringTrainOptions,
  clusteringParameters,
} from './clustering';

export interface KmeansTrainOptions extends ClusteringTrainOptions {
  /** initial centroids, Float32Array of (at most k) rows of d values */
  initCentroids?: Float32Array | null;
}

export interface KmeansAssignment {
  /** distance (L2) or similarity (spherical) of every point to its centroid, length n */
  distances: Float32Array;
  /** the centroid of every point, length n */
  labels: BigInt64Array;
}

export class Kmeans {
  readonly d: number;
  readonly k: number;
  /** the clustering parameters (FAISS Python's `cp`) */
  readonly cp: ClusteringParameters;
  onProgress?: ClusteringOptions['onProgress'];
  /** k * d after training, else null */
  centroids: Float32Array | null = null;
  /** the index holding the centroids after training (FAISS Python's `index`) */
  index: IndexFlat | null = null;
  /** objective of every iteration */
  obj: number[] = [];
  iterationStats: ClusteringIterationStats[] = [];
  /** metalfaiss extension: prune the L2 assignment exactly (see Clustering.pruning); default true */
  pruning = true;
  /** what the pruned assignment computed, per iteration (see Clustering.pruneStats) */
  pruneStats: ClusteringPruneStats[] = [];

  /** `new Kmeans(d, k, { niter: 20, verbose: true, seed: 1234, spherical: false, ... })` */
  constructor(d: number, k: number, options: ClusteringOptions = {}) {
    const { onProgress, pruning, ...rest } = options;
    // validates d, k, the parameters and pruning
    new Clustering(d, k, { ...rest, pruning });
    this.d = d;
    this.k = k;
    this.cp = clusteringParameters(rest);
    this.onProgress = onProgress;
    if (pruning !== undefined) this.pruning = pruning;
  }

  #clustering(initCentroids: Float32Array | null | undefined): { clus: Clustering; index: IndexFlat } {
    const clus = new Clustering(this.d, this.k, { ...this.cp, onProgress: this.onProgress, pruning: this.pruning });
    if (initCentroids !== undefined && initCentroids !== null) {
      if (!(initCentroids instanceof Float32Array) || initCentroids.length % this.d !== 0 || initCentroids.length > this.k * this.d) {
        throw new MetalFaissError(
          'DIMENSION_MISMATCH',
          `expected a Float32Array of at most k = ${this.k} rows of d = ${this.d} values for initCentroids, received ${describeValue(initCentroids)}`,
        );
      }
      clus.centroids = initCentroids.slice();
    }
    const index = this.cp.spherical ? new IndexFlatIP(this.d) : new IndexFlatL2(this.d);
    return { clus, index };
  }

  #commit(clus: Clustering, index: IndexFlat): number {
    this.centroids = clus.centroids;
    this.index = index;
    this.iterationStats = clus.iterationStats;
    this.obj = clus.obj;
    this.pruneStats = clus.pruneStats;
    return this.obj.length > 0 ? this.obj[this.obj.length - 1] : 0;
  }

  /**
   * Clusters the rows of x (n * d, n >= k); returns the final objective.
   * @throws MetalFaissError INVALID_ARGUMENT (n < k, bad input), DIMENSION_MISMATCH
   */
  trainSync(x: VectorsInput, options: Omit<KmeansTrainOptions, 'signal'> = {}): number {
    const { clus, index } = this.#clustering(options.initCentroids);
    clus.trainSync(x, index, options.weights);
    return this.#commit(clus, index);
  }

  /** trainSync off the event loop; `options.signal` aborts (ABORTED, this object unchanged). */
  async train(x: VectorsInput, options: KmeansTrainOptions = {}): Promise<number> {
    const { clus, index } = this.#clustering(options.initCentroids);
    await clus.train(x, index, { weights: options.weights, signal: options.signal });
    return this.#commit(clus, index);
  }

  #index(): IndexFlat {
    if (!this.index) throw new MetalFaissError('NOT_TRAINED', 'Kmeans.assign needs a trained Kmeans: call train first (FAISS: "should train before assigning")');
    return this.index;
  }

  /** The nearest centroid of every row of x. */
  assignSync(x: VectorsInput): KmeansAssignment {
    const index = this.#index();
    const m = asMatrix(x, this.d, { name: 'x' });
    const r = index.searchSync(m.data, 1);
    return { distances: r.distances, labels: r.labels };
  }

  async assign(x: VectorsInput): Promise<KmeansAssignment> {
    const index = this.#index();
    const m = asMatrix(x, this.d, { name: 'x' });
    const r = await index.search(m.data, 1);
    return { distances: r.distances, labels: r.labels };
  }
}
