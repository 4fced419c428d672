/**
 * The kernel contract shared by every backend (the plain-TypeScript
 * reference, the native CPU addon, and later Metal).
 *
 * Data layout, stated once: every matrix is a compact row-major Float32Array;
 * component j of vector i sits at `i * d + j`. Labels are FAISS's idx_t: a
 * BigInt64Array, padded with -1 where fewer than k results exist (distance
 * +Infinity for L2, -Infinity for inner product). Ties are broken by the lower
 * database index. Kernels never allocate their main outputs: the caller passes
 * preallocated arrays. Kernels hold no state between calls.
 *
 * Metric codes follow FAISS: 0 = inner product (larger is closer),
 * 1 = squared L2 (smaller is closer).
 */
export const METRIC_INNER_PRODUCT = 0;
export const METRIC_L2 = 1;
export type MetricCode = typeof METRIC_INNER_PRODUCT | typeof METRIC_L2;

/** Results of a range search, laid out like FAISS's RangeSearchResult. */
export interface RangeSearchOutput {
  /** length nq + 1; results of query i are [lims[i], lims[i+1]). */
  lims: BigInt64Array;
  /** length lims[nq]; within one query, ordered by database index. */
  distances: Float32Array;
  /** length lims[nq]. */
  labels: BigInt64Array;
}

export interface KnnArgs {
  /** queries, nq * d */
  xq: Float32Array;
  /** database, nb * d */
  xb: Float32Array;
  nq: number;
  nb: number;
  d: number;
  /** k >= 1 (k may exceed nb: the tail is padded) */
  k: number;
  metric: MetricCode;
  /** output distances, nq * k, sorted best first */
  distances: Float32Array;
  /** output labels, nq * k */
  labels: BigInt64Array;
  /**
   * Optional squared norms of the database rows (length nb) for L2; a backend
   * may use them to skip recomputing. Never required.
   */
  xbNorms?: Float32Array;
  /** Optional label offset: label = offset + row index (for blocked callers). */
  labelOffset?: number;
}

export interface PairwiseArgs {
  xq: Float32Array;
  xb: Float32Array;
  nq: number;
  nb: number;
  d: number;
  metric: MetricCode;
  /** output, nq * nb (row i = distances of query i to all database rows) */
  out: Float32Array;
}

export interface RangeArgs {
  xq: Float32Array;
  xb: Float32Array;
  nq: number;
  nb: number;
  d: number;
  /** L2: keep distance < radius; inner product: keep similarity > radius (FAISS). */
  radius: number;
  metric: MetricCode;
  labelOffset?: number;
}

export interface TopkArgs {
  /** values, n * m */
  values: Float32Array;
  n: number;
  m: number;
  k: number;
  /** true: keep the k largest (inner product); false: the k smallest (L2). */
  largest: boolean;
  /** output values, n * k, best first; padding +/-Infinity */
  outValues: Float32Array;
  /** output column indices, n * k; padding -1 */
  outIndices: BigInt64Array;
}

export interface BackendInfo {
  /** 'native' (C++ CPU addon) or 'reference' (plain TypeScript fallback). */
  backend: 'native' | 'reference';
  /** the SIMD level the native dispatcher picked: 'avx512' | 'avx2' | 'neon' | 'scalar' */
  simd: string;
  /** worker threads the kernels use */
  threads: number;
  /** package version */
  version: string;
  /** why the native addon did not load, when backend is 'reference' */
  loadError?: string;
}

/**
 * What every backend implements. The sync forms run on the calling thread;
 * the async forms must not block the JS event loop (native: Napi::AsyncWorker,
 * inputs pinned, no JS touched off-thread).
 */
export interface KernelBackend {
  readonly name: 'native' | 'reference';
  normsL2Sqr(x: Float32Array, n: number, d: number, out: Float32Array): void;
  normsL2SqrAsync(x: Float32Array, n: number, d: number, out: Float32Array): Promise<void>;
  pairwiseDistances(args: PairwiseArgs): void;
  pairwiseDistancesAsync(args: PairwiseArgs): Promise<void>;
  knn(args: KnnArgs): void;
  knnAsync(args: KnnArgs): Promise<void>;
  rangeSearch(args: RangeArgs): RangeSearchOutput;
  rangeSearchAsync(args: RangeArgs): Promise<RangeSearchOutput>;
  topk(args: TopkArgs): void;
  topkAsync(args: TopkArgs): Promise<void>;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  info(): BackendInfo;
}

/**
 * Graph (HNSW) and binary (Hamming) kernels, a separate contract from
 * KernelBackend (argument types: ./hnsw-types.ts, ./hamming-types.ts).
 * Implemented by the native addon and by the plain-TypeScript reference.
 */
export interface GraphKernels {
  readonly name: 'native' | 'reference';
  /** the popcount level of the Hamming kernels */
  simd(): string;
  hammingKnn(args: import('./hamming-types').HammingKnnArgs): void;
  hammingKnnAsync(args: import('./hamming-types').HammingKnnArgs): Promise<void>;
  hammingRangeSearch(args: import('./hamming-types').HammingRangeArgs): import('./hamming-types').HammingRangeOutput;
  hammingRangeSearchAsync(args: import('./hamming-types').HammingRangeArgs): Promise<import('./hamming-types').HammingRangeOutput>;
  hammingPairwise(args: import('./hamming-types').HammingPairwiseArgs): void;
  hammingPairwiseAsync(args: import('./hamming-types').HammingPairwiseArgs): Promise<void>;
  hnswSearch(args: import('./hnsw-types').HnswSearchArgs): void;
  hnswSearchAsync(args: import('./hnsw-types').HnswSearchArgs): Promise<void>;
  hnswRangeSearch(args: import('./hnsw-types').HnswRangeArgs): RangeSearchOutput;
  hnswRangeSearchAsync(args: import('./hnsw-types').HnswRangeArgs): Promise<RangeSearchOutput>;
  hnswAdd(args: import('./hnsw-types').HnswAddArgs): import('./hnsw-types').HnswAddResult;
  hnswAddAsync(args: import('./hnsw-types').HnswAddArgs): Promise<import('./hnsw-types').HnswAddResult>;
}
