/**
 * FAISS Python's k-means names: `faiss.Kmeans(d, k, niter=..., ...)` (here
 * `new faiss.Kmeans(d, k, { niter, verbose, seed, spherical, ... })`),
 * `faiss.Clustering(d, k[, cp])` with `train(x, index)`, and
 * `faiss.ClusteringParameters()`; fields keep FAISS's snake_case names.
 */
import * as ix from '@metalfaiss/indexes';
import type { VectorsInput } from '@metalfaiss/linalg';
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { Index, type SearchResultTuple } from './base';
import { wrapIndex } from './wrap';

/** FAISS's field names of ClusteringParameters and their camelCase twins. */
const FIELDS = {
  niter: 'niter',
  nredo: 'nredo',
  verbose: 'verbose',
  spherical: 'spherical',
  int_centroids: 'intCentroids',
  update_index: 'updateIndex',
  frozen_centroids: 'frozenCentroids',
  min_points_per_centroid: 'minPointsPerCentroid',
  max_points_per_centroid: 'maxPointsPerCentroid',
  seed: 'seed',
  decode_block_size: 'decodeBlockSize',
} as const satisfies Record<string, keyof ix.ClusteringParameters>;

export type ClusteringParameterName = keyof typeof FIELDS;
export type KmeansOptions = Partial<Record<ClusteringParameterName, number | boolean>> & {
  /** called after every iteration with { iteration, niter, objective, elapsedMs, ... } */
  onProgress?: (progress: ix.ClusteringProgress) => void;
};

/** Converts FAISS-named options to the indexes package's parameters (unknown names refused, as FAISS Python does). */
function toParams(options: object, owner: string): Partial<ix.ClusteringParameters> {
  if (typeof options !== 'object' || options === null) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an options object for ${owner}, received ${describeValue(options)}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'onProgress' || value === undefined) continue;
    if (key === 'gpu') {
      if (value) throw new MetalFaissError('UNSUPPORTED', `${owner}: gpu clustering is not supported by metalfaiss (the CPU kernels run natively)`);
      continue;
    }
    if (key === 'progressive_dim_steps') throw new MetalFaissError('UNSUPPORTED', `${owner}: progressive-dimension clustering is not supported`);
    const name = (FIELDS as Record<string, string>)[key];
    if (!name) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected one of ${Object.keys(FIELDS).join(', ')} as a ${owner} parameter, received ${JSON.stringify(key)} (not a ClusteringParameters field)`);
    }
    out[name] = value;
  }
  return out as Partial<ix.ClusteringParameters>;
}

/** `faiss.ClusteringParameters()`: FAISS's defaults (niter 25, nredo 1, seed 1234, ...), snake_case fields. */
export class ClusteringParameters {
  /** the parameters this object reads and writes */
  readonly impl: ix.ClusteringParameters;

  constructor(values: Partial<Record<ClusteringParameterName, number | boolean>> = {}) {
    this.impl = ix.clusteringParameters(toParams(values, 'ClusteringParameters'));
  }

  /** A view over existing parameters (an IVF index's `cp`): writes go through. */
  static over(params: ix.ClusteringParameters): ClusteringParameters {
    const view = Object.create(ClusteringParameters.prototype) as ClusteringParameters;
    Object.defineProperty(view, 'impl', { value: params, enumerable: true });
    return view;
  }

  declare niter: number;
  declare nredo: number;
  declare verbose: boolean;
  declare spherical: boolean;
  declare int_centroids: boolean;
  declare update_index: boolean;
  declare frozen_centroids: boolean;
  declare min_points_per_centroid: number;
  declare max_points_per_centroid: number;
  declare seed: number;
  declare decode_block_size: number;
}

for (const [name, field] of Object.entries(FIELDS)) {
  Object.defineProperty(ClusteringParameters.prototype, name, {
    get(this: ClusteringParameters) {
      return this.impl[field];
    },
    set(this: ClusteringParameters, v: unknown) {
      const next = ix.clusteringParameters({ [field]: v }); // validates the value
      (this.impl as unknown as Record<string, unknown>)[field] = next[field];
    },
    enumerable: true,
  });
}

/** FAISS's ClusteringIterationStats, snake_case. */
export interface ClusteringIterationStats {
  obj: number;
  time: number;
  time_search: number;
  imbalance_factor: number;
  nsplit: number;
}

function statsOf(stats: readonly ix.ClusteringIterationStats[]): ClusteringIterationStats[] {
  return stats.map((s) => ({ obj: s.obj, time: s.time, time_search: s.timeSearch, imbalance_factor: s.imbalanceFactor, nsplit: s.nsplit }));
}

/** A std::vector-like array: `stats.size()`, `stats.at(i)`, and everything an array has. */
type Vector<T> = T[] & { size(): number };
function vector<T>(items: T[]): Vector<T> {
  return Object.assign(items, { size(this: T[]) { return this.length; } });
}

function implOf(index: unknown, owner: string): ix.Index {
  if (index instanceof Index) return index.impl;
  if (index instanceof ix.Index) return index;
  throw new MetalFaissError('INVALID_ARGUMENT', `expected a faiss Index (the assignment index) for ${owner}, received ${describeValue(index)}`);
}

/** `faiss.Clustering(d, k[, cp])`: FAISS's C++ clustering object. */
export class Clustering extends ClusteringParameters {
  readonly d: number;
  readonly k: number;
  readonly clustering: ix.Clustering;

  constructor(d: number, k: number, cp?: ClusteringParameters) {
    const base = cp instanceof ClusteringParameters ? cp.impl : ix.clusteringParameters();
    const clustering = new ix.Clustering(d, k, { ...base });
    super();
    Object.defineProperty(this, 'impl', { value: clustering, enumerable: true });
    this.d = d;
    this.k = k;
    this.clustering = clustering;
  }

  /** k * d centroids after training; assign before training to provide initial centroids */
  get centroids(): Float32Array {
    return this.clustering.centroids;
  }
  set centroids(c: Float32Array) {
    this.clustering.centroids = c;
  }
  /** statistics per iteration (`stats.at(i).obj`, `stats.size()`) */
  get iteration_stats(): Vector<ClusteringIterationStats> {
    return vector(statsOf(this.clustering.iterationStats));
  }
  /** `clus.train(x, index[, weights])`: k-means with `index` as the assignment index */
  train(x: VectorsInput, index: Index | ix.Index, weights?: Float32Array): void {
    this.clustering.trainSync(x, implOf(index, 'Clustering.train'), weights);
  }
  train_async(x: VectorsInput, index: Index | ix.Index, weights?: Float32Array, signal?: AbortSignal): Promise<void> {
    return this.clustering.train(x, implOf(index, 'Clustering.train'), { weights, signal });
  }
}

/**
 * `faiss.Kmeans(d, k, niter=25, verbose=False, seed=1234, spherical=False, ...)`:
 * here `new faiss.Kmeans(d, k, { niter: 20, verbose: true, ... })`.
 */
export class Kmeans {
  readonly d: number;
  readonly k: number;
  readonly kmeans: ix.Kmeans;

  constructor(d: number, k: number, options: KmeansOptions = {}) {
    this.kmeans = new ix.Kmeans(d, k, { ...toParams(options, 'Kmeans'), onProgress: options.onProgress });
    this.d = d;
    this.k = k;
  }

  /** the parameters (`km.cp.niter`) */
  get cp(): ClusteringParameters {
    return ClusteringParameters.over(this.kmeans.cp);
  }
  /** k * d centroids after training, else null */
  get centroids(): Float32Array | null {
    return this.kmeans.centroids;
  }
  /** the flat index holding the centroids after training */
  get index(): Index | null {
    return this.kmeans.index ? wrapIndex(this.kmeans.index) : null;
  }
  /** the objective of every iteration */
  get obj(): Float64Array {
    return Float64Array.from(this.kmeans.obj);
  }
  get iteration_stats(): ClusteringIterationStats[] {
    return statsOf(this.kmeans.iterationStats);
  }

  /** `km.train(x, weights=None, init_centroids=None)`: returns the final objective */
  train(x: VectorsInput, weights?: Float32Array | null, init_centroids?: Float32Array | null): number {
    return this.kmeans.trainSync(x, { weights, initCentroids: init_centroids });
  }
  train_async(x: VectorsInput, weights?: Float32Array | null, init_centroids?: Float32Array | null, signal?: AbortSignal): Promise<number> {
    return this.kmeans.train(x, { weights, initCentroids: init_centroids, signal });
  }

  /** `D, I = km.assign(x)`: the nearest centroid of every row */
  assign(x: VectorsInput): SearchResultTuple {
    const r = this.kmeans.assignSync(x);
    return [r.distances, r.labels];
  }
  async assign_async(x: VectorsInput): Promise<SearchResultTuple> {
    const r = await this.kmeans.assign(x);
    return [r.distances, r.labels];
  }
}
