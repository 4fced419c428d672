/**
 * k-means clustering with FAISS's semantics (faiss/Clustering.h, 1.7.3):
 * `Clustering` (the C++ object: parameters as fields, `train(x, index)`) and
 * `Kmeans` (the Python wrapper: owns its assignment index, `train` returns the
 * final objective).
 *
 * What is FAISS's, exactly:
 * - parameters and defaults (niter 25, nredo 1, seed 1234, min/max points per
 *   centroid 39/256, ...); the error for fewer points than centroids; the
 *   subsampling of more than k * maxPointsPerCentroid points and the
 *   initial centroids, both drawn with FAISS's mt19937 `rand_perm`, so a run
 *   starts from the same centroids as FAISS's for the same seed;
 * - the iteration: assign every point to its nearest centroid (the index's
 *   search with k = 1), recompute centroids as means, split empty clusters
 *   (FAISS's split_clusters, same random choices and perturbation), then
 *   spherical / integer post-processing; per-iteration statistics
 *   {obj, time, timeSearch, imbalanceFactor, nsplit}; nredo keeps the best run.
 * - verbose lines are FAISS's, written to stdout; the "too few points"
 *   warning is a process warning (FAISS prints it to stderr).
 *
 * Assignment: when the index is an IndexFlat (the usual case: Kmeans, IVF
 * coarse quantizers) the kernels run directly against the current centroids
 * and the index receives the final centroids at the end. L2 (pruning on, the
 * default): `kmeansAssignBounded`, Yinyang k-means' group bounds: the
 * centroids are split once per run into groups of 32 nearby ones, every
 * point keeps a lower bound per group, and only the groups whose bound
 * (lowered by how far their centroids moved) does not prove them farther
 * than the point's own centroid are searched (see assignBounded); a rounding
 * margin makes it exact: the same labels, distances, centroids and
 * objectives as the full search, bit for bit. Inner product, or pruning off:
 * `kmeansAssign` (knn with k = 1, specialised for many points and few
 * centroids), skipping exactly the work that centroids which did not move
 * cannot change (see assignDirect). Any other
 * index is used as FAISS does (reset, train if needed, add centroids, search
 * with k = 1, every iteration). The centroid update is the native
 * `kmeansUpdate` kernel. In `train()` (async) every kernel call runs off the
 * event loop; the JS work between calls is O(k * d).
 */
import {
  MetalFaissError,
  describeValue,
  kmeansAssign,
  kmeansAssignAsync,
  kmeansAssignBounded,
  kmeansAssignBoundedAsync,
  kmeansUpdate,
  kmeansUpdateAsync,
  knn,
  knnAsync,
  normsL2Sqr,
} from '@metalfaiss/metal-kernels';
import { asMatrix, normalizeL2, type VectorsInput } from '@metalfaiss/linalg';
import { type AsyncOptions, signalOf, throwIfAborted } from '../abort';
import { IndexFlat, IndexFlatIP, IndexFlatL2 } from '../flat';
import { Index } from '../index-base';
import { MetricType } from '../metric';
import { imbalanceFactorOf } from '../ivf/inverted-lists';
import { formatG } from './format';
import { MersenneTwister, randPerm } from './random';

/** FAISS's ClusteringParameters. */
export interface ClusteringParameters {
  /** k-means iterations (FAISS default 25; IVF coarse quantizers use 10) */
  niter: number;
  /** runs from different initialisations; the best objective wins */
  nredo: number;
  /** print FAISS's progress lines to stdout */
  verbose: boolean;
  /** L2-normalise the centroids after every update */
  spherical: boolean;
  /** round centroid components to integers */
  intCentroids: boolean;
  /** re-train the assignment index on the centroids every iteration */
  updateIndex: boolean;
  /** keep the centroids given as input fixed */
  frozenCentroids: boolean;
  /** below k * this many points, warn */
  minPointsPerCentroid: number;
  /** above k * this many points, train on a random subsample of that size */
  maxPointsPerCentroid: number;
  /** seed of the subsampling and initialisation */
  seed: number;
  /** batch size when decoding codes (FAISS's codec path; kept for fidelity, unused on float input) */
  decodeBlockSize: number;
}

export const DEFAULT_CLUSTERING_PARAMETERS: Readonly<ClusteringParameters> = Object.freeze({
  niter: 25,
  nredo: 1,
  verbose: false,
  spherical: false,
  intCentroids: false,
  updateIndex: false,
  frozenCentroids: false,
  minPointsPerCentroid: 39,
  maxPointsPerCentroid: 256,
  seed: 1234,
  decodeBlockSize: 32768,
});

const PARAMETER_KEYS = Object.keys(DEFAULT_CLUSTERING_PARAMETERS) as Array<keyof ClusteringParameters>;

/** FAISS's ClusteringIterationStats. */
export interface ClusteringIterationStats {
  /** objective: sum of squared distances (L2) or of similarities (inner product) */
  obj: number;
  /** seconds since the iterations started */
  time: number;
  /** seconds spent assigning so far */
  timeSearch: number;
  /** FAISS's imbalance factor of the assignment (1 = balanced) */
  imbalanceFactor: number;
  /** empty clusters split this iteration */
  nsplit: number;
}

export interface ClusteringProgress {
  /** 0-based iteration within the current run */
  iteration: number;
  niter: number;
  /** 0-based run (of nredo) */
  redo: number;
  nredo: number;
  objective: number;
  imbalanceFactor: number;
  nsplit: number;
  /** milliseconds since the iterations started */
  elapsedMs: number;
}

export interface ClusteringOptions extends Partial<ClusteringParameters> {
  /** called after every iteration */
  onProgress?: (progress: ClusteringProgress) => void;
  /**
   * metalfaiss extension (not a FAISS parameter): skip, exactly, the distance
   * computations that cannot change an assignment (L2 k-means with an
   * IndexFlat; see Clustering.pruning). Default true; the environment
   * variable METALFAISS_KMEANS_PRUNING=0 turns it off everywhere.
   */
  pruning?: boolean;
}

/** What the pruned assignment of one iteration computed (metalfaiss extension). */
export interface ClusteringPruneStats {
  /** 0-based run (of nredo) */
  redo: number;
  /** 0-based iteration */
  iteration: number;
  /** fraction of the points compared with no centroid but their own */
  prunedPoints: number;
  /** fraction of the point-centroid distances of a full search that were computed (1 = full search) */
  computed: number;
}

export interface ClusteringTrainOptions extends AsyncOptions {
  /** per-point weights, Float32Array of length n */
  weights?: Float32Array | null;
}

function checkParameters(p: ClusteringParameters): void {
  const int = (name: keyof ClusteringParameters, min: number) => {
    const v = p[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= ${min} for ${name}, received ${describeValue(v)}`);
    }
  };
  int('niter', 0);
  int('nredo', 1);
  int('minPointsPerCentroid', 0);
  int('maxPointsPerCentroid', 1);
  int('decodeBlockSize', 1);
  if (typeof p.seed !== 'number' || !Number.isSafeInteger(p.seed)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer for seed, received ${describeValue(p.seed)}`);
  }
  for (const name of ['verbose', 'spherical', 'intCentroids', 'updateIndex', 'frozenCentroids'] as const) {
    if (typeof p[name] !== 'boolean') throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for ${name}, received ${describeValue(p[name])}`);
  }
}

/** Clustering parameters with FAISS's defaults; unknown keys are refused (as FAISS Python refuses them). */
export function clusteringParameters(overrides: Partial<ClusteringParameters> = {}): ClusteringParameters {
  if (typeof overrides !== 'object' || overrides === null) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an object of clustering parameters, received ${describeValue(overrides)}`);
  }
  const p: ClusteringParameters = { ...DEFAULT_CLUSTERING_PARAMETERS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined || key === 'onProgress') continue;
    if (!(PARAMETER_KEYS as string[]).includes(key)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected one of ${PARAMETER_KEYS.join(', ')} as a clustering parameter, received ${JSON.stringify(key)}`);
    }
    (p as unknown as Record<string, unknown>)[key] = value;
  }
  checkParameters(p);
  return p;
}

const EPS = 1 / 1024;

/** FAISS's split_clusters over centroids [k0, k0 + k) (hassign indexed from 0). Returns the split count. */
function splitClusters(d: number, k: number, n: number, hassign: Float32Array, centroids: Float32Array, k0: number): number {
  let maxCount = 0;
  for (let c = 0; c < k; c++) if (hassign[c] > maxCount) maxCount = hassign[c];
  // FAISS would loop forever when no cluster can give a point away; leave the empty ones as they are
  if (maxCount <= 1) return 0;
  const rng = new MersenneTwister(1234);
  const denom = Math.fround(n - k);
  let nsplit = 0;
  for (let ci = 0; ci < k; ci++) {
    if (hassign[ci] !== 0) continue;
    let cj = 0;
    for (;; cj = (cj + 1) % k) {
      const p = Math.fround((hassign[cj] - 1.0) / denom);
      const r = rng.randFloat();
      if (r < p) break;
    }
    const oi = (k0 + ci) * d;
    const oj = (k0 + cj) * d;
    centroids.copyWithin(oi, oj, oj + d);
    for (let j = 0; j < d; j++) {
      if (j % 2 === 0) {
        centroids[oi + j] *= 1 + EPS;
        centroids[oj + j] *= 1 - EPS;
      } else {
        centroids[oi + j] *= 1 - EPS;
        centroids[oj + j] *= 1 + EPS;
      }
    }
    hassign[ci] = hassign[cj] / 2;
    hassign[cj] -= hassign[ci];
    nsplit++;
  }
  return nsplit;
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

// ----------------------------------------------------------------------------
// The algorithm as a step generator: the sync and async drivers run exactly
// the same code and differ only in how they fulfil the kernel requests.

/** The points as the iterations see them (the subsample, when there is one). */
interface Points {
  x: Float32Array;
  n: number;
  weights: Float32Array | null;
  /** squared norms of the points (L2, direct path), computed once */
  norms: Float32Array | null;
}

type Request =
  | { op: 'assign'; points: Points; distances: Float32Array; labels: BigInt64Array }
  | {
      op: 'nearest';
      x: Float32Array;
      n: number;
      xNorms: Float32Array | null;
      centroids: Float32Array;
      k: number;
      ids: BigInt64Array | null;
      distances: Float32Array;
      labels: BigInt64Array;
    }
  /** k: the number of centroids when not job.k (grouping the centroids) */
  | { op: 'update'; points: Points; assign: BigInt64Array; centroids: Float32Array; counts: Float32Array; k?: number }
  | { op: 'index'; centroids: Float32Array; train: boolean }
  | {
      op: 'bounded';
      points: Points;
      centroids: Float32Array;
      bounds: Bounds;
      drift: Float64Array | null;
      labels: BigInt64Array;
      distances: Float32Array;
      /** filled in by the driver */
      stats: { pruned: number; evaluated: number };
    }
  | { op: 'knn'; xq: Float32Array; nq: number; xb: Float32Array; nb: number; k: number; distances: Float32Array; labels: BigInt64Array }
  | { op: 'yield' };

interface Job {
  d: number;
  k: number;
  params: ClusteringParameters;
  x: Float32Array;
  n: number;
  weights: Float32Array | null;
  inputCentroids: Float32Array;
  /** true: assign with the knn kernel against the centroids (IndexFlat), false: through the index */
  direct: boolean;
  /** direct L2 path with pruning (group bounds) on */
  prune: boolean;
  lowerIsBetter: boolean;
  metric: MetricType;
  onProgress?: (p: ClusteringProgress) => void;
  log: (text: string) => void;
}

interface Outcome {
  centroids: Float32Array;
  stats: ClusteringIterationStats[];
  pruneStats: ClusteringPruneStats[];
}

/**
 * The nearest centroid of every point, with the kmeansAssign kernel (knn
 * with k = 1, specialised: the points are never repacked). From the second
 * iteration on, the work that centroids which did not move (bitwise equal to
 * the last assignment's) cannot change is skipped, exactly: a point whose
 * own centroid did not move can only be taken by a centroid that moved, so
 * all points are searched against the moved centroids, and only the points
 * whose centroid moved are also searched against the unmoved ones. The
 * result is the argmin over all centroids (ties to the lower index), as a
 * full search gives it. The skip is taken when it saves at least a third of
 * the flops (late iterations, where most centroids have settled).
 */
function* assignDirect(
  job: Job,
  points: Points,
  centroids: Float32Array,
  dis: Float32Array,
  assign: BigInt64Array,
  previous: Float32Array | null,
): Generator<Request, void, void> {
  const { d, k } = job;
  const n = points.n;
  const full: Request = { op: 'nearest', x: points.x, n, xNorms: points.norms, centroids, k, ids: null, distances: dis, labels: assign };
  if (!previous) {
    yield full;
    return;
  }
  const moved = new Uint8Array(k);
  let nmoved = 0;
  for (let c = 0; c < k; c++) {
    const o = c * d;
    for (let j = 0; j < d; j++) {
      const a = centroids[o + j];
      const b = previous[o + j];
      if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) {
        moved[c] = 1;
        nmoved++;
        break;
      }
    }
  }
  if (nmoved === 0) return; // nothing moved: the assignment and the distances stand
  // labels are centroid numbers in [0, k): read and write their low 32-bit words (little-endian), no BigInts
  const a32 = new Int32Array(assign.buffer, assign.byteOffset, 2 * n);
  let na = 0;
  for (let i = 0; i < n; i++) na += moved[a32[2 * i]];
  const mf = nmoved / k;
  if (mf + (na / n) * (1 - mf) > 0.67) {
    yield full;
    return;
  }
  const l2 = job.metric === MetricType.L2;
  const subset = (want: number, count: number): { c: Float32Array; ids: BigInt64Array } => {
    const c = new Float32Array(count * d);
    const ids = new BigInt64Array(count);
    let t = 0;
    for (let j = 0; j < k; j++) {
      if (moved[j] !== want) continue;
      c.set(centroids.subarray(j * d, (j + 1) * d), t * d);
      ids[t++] = BigInt(j);
    }
    return { c, ids };
  };
  // every point against the moved centroids
  const m = subset(1, nmoved);
  const dm = new Float32Array(n);
  const im = new BigInt64Array(n);
  yield { op: 'nearest', x: points.x, n, xNorms: points.norms, centroids: m.c, k: nmoved, ids: m.ids, distances: dm, labels: im };
  // the points whose centroid moved, also against the unmoved centroids
  const du = new Float32Array(na);
  const iu = new BigInt64Array(na);
  if (na > 0) {
    const xa = new Float32Array(na * d);
    const xan = points.norms ? new Float32Array(na) : null;
    for (let i = 0, t = 0; i < n; i++) {
      if (!moved[a32[2 * i]]) continue;
      xa.set(points.x.subarray(i * d, (i + 1) * d), t * d);
      if (xan && points.norms) xan[t] = points.norms[i];
      t++;
    }
    const u = subset(0, k - nmoved);
    yield { op: 'nearest', x: xa, n: na, xNorms: xan, centroids: u.c, k: k - nmoved, ids: u.ids, distances: du, labels: iu };
  }
  // merge: the standing assignment (own centroid unmoved) or the unmoved search (own centroid moved), against the moved search
  const m32 = new Int32Array(im.buffer, im.byteOffset, 2 * n);
  const u32 = new Int32Array(iu.buffer, iu.byteOffset, 2 * na);
  const take = (i: number, dist: number, label: number) => {
    dis[i] = dist;
    a32[2 * i] = label;
    a32[2 * i + 1] = 0;
  };
  for (let i = 0, r = 0; i < n; i++) {
    const mi = m32[2 * i];
    const mdist = dm[i];
    let cd: number;
    let ci: number;
    if (moved[a32[2 * i]]) {
      cd = du[r];
      ci = u32[2 * r];
      r++;
    } else {
      cd = dis[i];
      ci = a32[2 * i];
    }
    const wins = mdist === cd ? mi < ci : l2 ? mdist < cd : mdist > cd;
    if (wins) take(i, mdist, mi);
    else take(i, cd, ci);
  }
}

/** Centroid groups and the per-point group bounds of the pruned assignment (one run). */
interface Bounds {
  /** groups */
  t: number;
  /** slots per group */
  g: number;
  /** t * g centroid numbers, -1 for empty slots */
  groups: Int32Array;
  /** the group of every centroid */
  groupOf: Int32Array;
  /** n * t lower bounds (kmeansAssignBounded's state) */
  lower: Float32Array;
}

/** Centroids per group: one AVX-512 register panel (32), more when the bounds would take too much memory. */
const GROUP_SIZE = 32;
/** At most this many lower bounds (4 bytes each) per run. */
const MAX_BOUNDS = 1 << 26;

/** Whether the pruned assignment is on: the option, unless METALFAISS_KMEANS_PRUNING=0 (a debug / benchmark override). */
function pruningEnabled(option: boolean): boolean {
  const env = process.env.METALFAISS_KMEANS_PRUNING;
  if (env !== undefined && ['0', 'false', 'off', 'no'].includes(env.trim().toLowerCase())) return false;
  return option;
}

/**
 * Splits the k centroids into t groups of at most g nearby centroids (the
 * Yinyang paper's grouping: k-means of the centroids, then a balanced fill:
 * centroids closest to a group center first, each into the nearest group
 * with room). Only the speed of the pruning depends on it, never the result.
 */
function* groupCentroids(job: Job, centroids: Float32Array, n: number): Generator<Request, Bounds, void> {
  const { d, k } = job;
  let g = GROUP_SIZE;
  while (Math.ceil(k / g) * n > MAX_BOUNDS && g < k) g *= 2;
  const t = Math.ceil(k / g);
  const groups = new Int32Array(t * g).fill(-1);
  const groupOf = new Int32Array(k);
  if (t === 1) {
    for (let c = 0; c < k; c++) groups[c] = c;
  } else {
    const centers = new Float32Array(t * d);
    for (let j = 0; j < t; j++) {
      const c = Math.floor((j * k) / t);
      centers.set(centroids.subarray(c * d, (c + 1) * d), j * d);
    }
    const cPoints: Points = { x: centroids, n: k, weights: null, norms: null };
    const lab = new BigInt64Array(k);
    const dis = new Float32Array(k);
    const sums = new Float32Array(t * d);
    const counts = new Float32Array(t);
    for (let it = 0; it < 6; it++) {
      yield { op: 'nearest', x: centroids, n: k, xNorms: null, centroids: centers, k: t, ids: null, distances: dis, labels: lab };
      yield { op: 'update', points: cPoints, assign: lab, centroids: sums, counts, k: t };
      for (let j = 0; j < t; j++) if (counts[j] > 0) centers.set(sums.subarray(j * d, (j + 1) * d), j * d);
    }
    const kd = new Float32Array(k * t);
    const kl = new BigInt64Array(k * t);
    yield { op: 'knn', xq: centroids, nq: k, xb: centers, nb: t, k: t, distances: kd, labels: kl };
    const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => kd[a * t] - kd[b * t] || a - b);
    const fill = new Int32Array(t);
    const l32 = new Int32Array(kl.buffer, kl.byteOffset, 2 * k * t);
    for (const c of order) {
      for (let q = 0; q < t; q++) {
        const j = l32[2 * (c * t + q)];
        if (j >= 0 && fill[j] < g) {
          groups[j * g + fill[j]++] = c;
          break;
        }
      }
    }
  }
  for (let s = 0; s < t * g; s++) if (groups[s] >= 0) groupOf[groups[s]] = Math.floor(s / g);
  return { t, g, groups, groupOf, lower: new Float32Array(n * t) };
}

/**
 * The nearest centroid of every point (L2), skipping exactly what cannot
 * change it (kmeansAssignBounded: Yinyang group bounds with a float32
 * rounding margin): labels and distances equal assignDirect's bit for bit.
 * The first iteration of a run groups the centroids and searches in full
 * (writing the bounds); later ones pass how far each group's centroids moved.
 */
function* assignBounded(
  job: Job,
  points: Points,
  centroids: Float32Array,
  dis: Float32Array,
  assign: BigInt64Array,
  previous: Float32Array | null,
  state: { bounds: Bounds | null },
): Generator<Request, { pruned: number; evaluated: number } | null, void> {
  const { d, k } = job;
  let drift: Float64Array | null = null;
  if (!previous || !state.bounds) {
    state.bounds = yield* groupCentroids(job, centroids, points.n);
  } else {
    const b = state.bounds;
    drift = new Float64Array(b.t);
    let moved = false;
    for (let c = 0; c < k; c++) {
      const o = c * d;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = centroids[o + j] - previous[o + j];
        s += v * v;
      }
      if (s === 0) continue;
      moved = true;
      // float32 differences are exact in float64; the sum's rounding is far below this slack
      const m = Number.isNaN(s) ? Infinity : Math.sqrt(s) * (1 + 1e-9);
      const gi = b.groupOf[c];
      if (m > drift[gi]) drift[gi] = m;
    }
    if (!moved) return { pruned: points.n, evaluated: 0 }; // the assignment and the distances stand
  }
  const req: Request = {
    op: 'bounded',
    points,
    centroids,
    bounds: state.bounds,
    drift,
    labels: assign,
    distances: dis,
    stats: { pruned: 0, evaluated: 0 },
  };
  yield req;
  return req.stats;
}

function* runClustering(job: Job): Generator<Request, Outcome, void> {
  const { d, k, params: cp } = job;
  const started = performance.now();
  let x = job.x;
  let nx = job.n;
  let weights = job.weights;
  if (nx < k) {
    throw new MetalFaissError('INVALID_ARGUMENT', `Number of training points (${nx}) should be at least as large as number of clusters (${k})`);
  }
  if (nx > k * cp.maxPointsPerCentroid) {
    const keep = k * cp.maxPointsPerCentroid;
    if (cp.verbose) job.log(`Sampling a subset of ${keep} / ${nx} for training\n`);
    const perm = randPerm(nx, cp.seed);
    const xs = new Float32Array(keep * d);
    const ws = weights ? new Float32Array(keep) : null;
    for (let i = 0; i < keep; i++) {
      xs.set(x.subarray(perm[i] * d, (perm[i] + 1) * d), i * d);
      if (ws && weights) ws[i] = weights[perm[i]];
    }
    x = xs;
    weights = ws;
    nx = keep;
  } else if (nx < k * cp.minPointsPerCentroid) {
    process.emitWarning(
      `WARNING clustering ${nx} points to ${k} centroids: please provide at least ${k * cp.minPointsPerCentroid} training points`,
      { type: 'MetalFaissWarning', code: 'METALFAISS_KMEANS_FEW_POINTS' },
    );
  }

  if (nx === k) {
    if (cp.verbose) job.log(`Number of training points (${nx}) same as number of clusters, just copying\n`);
    const centroids = job.x.slice(0, k * d); // FAISS copies the input (not the subsample)
    return { centroids, stats: [{ obj: 0, time: 0, timeSearch: 0, imbalanceFactor: 1, nsplit: 0 }], pruneStats: [] };
  }

  if (cp.verbose) job.log(`Clustering ${nx} points in ${d}D to ${k} clusters, redo ${cp.nredo} times, ${cp.niter} iterations\n`);

  const nInput = job.inputCentroids.length / d;
  if (cp.verbose && nInput > 0) job.log(`  Using ${nInput} centroids provided as input (${cp.frozenCentroids ? '' : 'not '}frozen)\n`);
  if (cp.verbose) job.log(`  Preprocessing in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);

  let norms: Float32Array | null = null;
  if (job.direct && job.metric === MetricType.L2) {
    norms = new Float32Array(nx);
    normsL2Sqr(x, nx, d, norms);
  }
  const points: Points = { x, n: nx, weights, norms };
  const t0 = performance.now();
  let tSearch = 0;
  const centroids = new Float32Array(k * d);
  centroids.set(job.inputCentroids);
  const dis = new Float32Array(nx);
  const assign = new BigInt64Array(nx);
  const updated = new Float32Array(k * d);
  const counts = new Float32Array(k);
  const hist = new Float64Array(k);
  /** the centroids of the last assignment (direct path) */
  const previous = new Float32Array(job.direct ? k * d : 0);
  const kFrozen = cp.frozenCentroids ? nInput : 0;
  let stats: ClusteringIterationStats[] = [];
  const pruneStats: ClusteringPruneStats[] = [];
  let best: Outcome | null = null;
  let bestObj = job.lowerIsBetter ? Infinity : -Infinity;

  const postProcess = () => {
    if (cp.spherical) normalizeL2(centroids, d);
    if (cp.intCentroids) for (let i = 0; i < centroids.length; i++) centroids[i] = roundHalfAway(centroids[i]);
  };

  for (let redo = 0; redo < cp.nredo; redo++) {
    if (cp.verbose && cp.nredo > 1) job.log(`Outer iteration ${redo} / ${cp.nredo}\n`);
    const perm = randPerm(nx, BigInt(cp.seed) + 1n + BigInt(redo) * 15486557n);
    for (let i = nInput; i < k; i++) centroids.set(x.subarray(perm[i] * d, (perm[i] + 1) * d), i * d);
    postProcess();
    if (!job.direct) yield { op: 'index', centroids, train: false };
    const boundState: { bounds: Bounds | null } = { bounds: null };

    let obj = 0;
    for (let it = 0; it < cp.niter; it++) {
      const ts = performance.now();
      if (job.prune) {
        const w = yield* assignBounded(job, points, centroids, dis, assign, it === 0 ? null : previous, boundState);
        const t = boundState.bounds ? boundState.bounds.t : 1;
        if (w) pruneStats.push({ redo, iteration: it, prunedPoints: w.pruned / nx, computed: w.evaluated / (nx * t) });
      } else if (job.direct) yield* assignDirect(job, points, centroids, dis, assign, it === 0 ? null : previous);
      else yield { op: 'assign', points, distances: dis, labels: assign };
      if (job.direct) previous.set(centroids);
      tSearch += performance.now() - ts;

      obj = 0;
      for (let j = 0; j < nx; j++) obj += dis[j];

      yield { op: 'update', points, assign, centroids: updated, counts };
      // frozen centroids keep their values; the others take the new means
      centroids.set(updated.subarray(kFrozen * d), kFrozen * d);
      const nsplit = splitClusters(d, k - kFrozen, nx, counts.subarray(kFrozen), centroids, kFrozen);

      hist.fill(0);
      for (let j = 0; j < nx; j++) hist[Number(assign[j])]++;
      const s: ClusteringIterationStats = {
        obj,
        time: (performance.now() - t0) / 1000,
        timeSearch: tSearch / 1000,
        imbalanceFactor: imbalanceFactorOf(hist),
        nsplit,
      };
      stats.push(s);
      if (cp.verbose) {
        job.log(
          `  Iteration ${it} (${s.time.toFixed(2)} s, search ${s.timeSearch.toFixed(2)} s): ` +
            `objective=${formatG(s.obj)} imbalance=${s.imbalanceFactor.toFixed(3)} nsplit=${nsplit}       \r`,
        );
      }
      job.onProgress?.({
        iteration: it,
        niter: cp.niter,
        redo,
        nredo: cp.nredo,
        objective: obj,
        imbalanceFactor: s.imbalanceFactor,
        nsplit,
        elapsedMs: performance.now() - t0,
      });
      postProcess();
      if (!job.direct) yield { op: 'index', centroids, train: cp.updateIndex };
      yield { op: 'yield' };
    }
    if (cp.verbose) job.log('\n');
    if (cp.nredo > 1) {
      if ((job.lowerIsBetter && obj < bestObj) || (!job.lowerIsBetter && obj > bestObj)) {
        if (cp.verbose) job.log('Objective improved: keep new clusters\n');
        best = { centroids: centroids.slice(), stats: stats.slice(), pruneStats: pruneStats.slice() };
        bestObj = obj;
      }
    }
  }
  if (best) return best;
  return { centroids, stats, pruneStats };
}

// ----------------------------------------------------------------------------

function defaultLog(text: string): void {
  process.stdout.write(text);
}

/**
 * FAISS's Clustering: k-means of n d-dimensional points into k centroids.
 * Parameters are plain fields (FAISS's ClusteringParameters); set
 * `centroids` before training to provide (some) initial centroids.
 */
export class Clustering implements ClusteringParameters {
  readonly d: number;
  readonly k: number;
  niter: number;
  nredo: number;
  verbose: boolean;
  spherical: boolean;
  intCentroids: boolean;
  updateIndex: boolean;
  frozenCentroids: boolean;
  minPointsPerCentroid: number;
  maxPointsPerCentroid: number;
  seed: number;
  decodeBlockSize: number;
  /** called after every iteration */
  onProgress?: (progress: ClusteringProgress) => void;
  /**
   * metalfaiss extension: prune the L2 assignment with group bounds (Yinyang
   * k-means) when the index is an IndexFlat. Exact: the same assignments,
   * centroids and objectives as without it, bit for bit (a float32 rounding
   * margin keeps every skipped distance provably larger). Default true;
   * METALFAISS_KMEANS_PRUNING=0 in the environment turns it off.
   */
  pruning = true;
  /** per iteration of the kept run(s), what the pruned assignment computed (empty when pruning was off) */
  pruneStats: ClusteringPruneStats[] = [];
  /** where verbose lines go (default: process.stdout) */
  log: (text: string) => void = defaultLog;
  /** k * d after training; before training, optional input centroids (a multiple of d, at most k rows) */
  centroids: Float32Array = new Float32Array(0);
  /** statistics of every iteration of the kept run (FAISS's iteration_stats) */
  iterationStats: ClusteringIterationStats[] = [];

  constructor(d: number, k: number, options: ClusteringOptions = {}) {
    if (!Number.isInteger(d) || d < 1 || d > 1 << 24) throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [1, 16777216] for d, received ${describeValue(d)}`);
    if (!Number.isInteger(k) || k < 1 || k > 2 ** 31 - 1) throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [1, 2147483647] for k, received ${describeValue(k)}`);
    const { onProgress, pruning, ...rest } = options;
    const p = clusteringParameters(rest);
    if (pruning !== undefined && typeof pruning !== 'boolean') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for pruning, received ${describeValue(pruning)}`);
    }
    this.d = d;
    this.k = k;
    this.niter = p.niter;
    this.nredo = p.nredo;
    this.verbose = p.verbose;
    this.spherical = p.spherical;
    this.intCentroids = p.intCentroids;
    this.updateIndex = p.updateIndex;
    this.frozenCentroids = p.frozenCentroids;
    this.minPointsPerCentroid = p.minPointsPerCentroid;
    this.maxPointsPerCentroid = p.maxPointsPerCentroid;
    this.seed = p.seed;
    this.decodeBlockSize = p.decodeBlockSize;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a function for onProgress, received ${describeValue(onProgress)}`);
    }
    this.onProgress = onProgress;
    if (pruning !== undefined) this.pruning = pruning;
  }

  /** The current parameters as a plain object. */
  get parameters(): ClusteringParameters {
    const p = {} as Record<string, unknown>;
    for (const key of PARAMETER_KEYS) p[key] = this[key];
    return p as unknown as ClusteringParameters;
  }

  /** The objective of every iteration (FAISS Python's Kmeans.obj). */
  get obj(): number[] {
    return this.iterationStats.map((s) => s.obj);
  }

  #prepare(x: VectorsInput, index: Index | undefined, weights: Float32Array | null | undefined): { job: Job; index: Index } {
    const params = this.parameters;
    checkParameters(params);
    const m = asMatrix(x, this.d, { name: 'x' });
    let w: Float32Array | null = null;
    if (weights !== undefined && weights !== null) {
      if (!(weights instanceof Float32Array) || weights.length !== m.rows) {
        throw new MetalFaissError('DIMENSION_MISMATCH', `expected Float32Array of length ${m.rows} (one weight per point) for weights, received ${describeValue(weights)}`);
      }
      w = weights;
    }
    const idx = index ?? (params.spherical ? new IndexFlatIP(this.d) : new IndexFlatL2(this.d));
    if (!(idx instanceof Index)) throw new MetalFaissError('INVALID_ARGUMENT', `expected an Index for the clustering index, received ${describeValue(index)}`);
    if (idx.d !== this.d) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `Index dimension ${idx.d} not the same as data dimension ${this.d}`);
    }
    const input = this.centroids;
    if (!(input instanceof Float32Array) || input.length % this.d !== 0 || input.length > this.k * this.d) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected a Float32Array of at most k = ${this.k} rows of d = ${this.d} for the input centroids, received ${describeValue(input)} (size of provided input centroids not a multiple of dimension)`,
      );
    }
    const direct = idx instanceof IndexFlat;
    if (typeof this.pruning !== 'boolean') throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for pruning, received ${describeValue(this.pruning)}`);
    return {
      index: idx,
      job: {
        d: this.d,
        k: this.k,
        params,
        x: m.data,
        n: m.rows,
        weights: w,
        inputCentroids: input.slice(),
        direct,
        prune: direct && idx.metricType === MetricType.L2 && pruningEnabled(this.pruning),
        lowerIsBetter: idx.metricType !== MetricType.INNER_PRODUCT,
        metric: idx.metricType,
        onProgress: this.onProgress,
        log: this.log,
      },
    };
  }

  #commit(out: Outcome): void {
    this.centroids = out.centroids;
    this.iterationStats = out.stats;
    this.pruneStats = out.pruneStats;
  }

  /**
   * Runs k-means on the rows of x (n * d values, n >= k) with `index` as the
   * assignment index (default: IndexFlatL2, or IndexFlatIP when spherical);
   * at the end the index holds the k centroids, as in FAISS.
   * @throws MetalFaissError INVALID_ARGUMENT (n < k, bad parameters or weights), DIMENSION_MISMATCH
   */
  trainSync(x: VectorsInput, index?: Index, weights?: Float32Array | null): void {
    const { job, index: idx } = this.#prepare(x, index, weights);
    const gen = runClustering(job);
    let r = gen.next();
    while (!r.done) {
      const q = r.value;
      if (q.op === 'nearest') {
        kmeansAssign({ x: q.x, n: q.n, d: job.d, centroids: q.centroids, k: q.k, metric: job.metric, xNorms: q.xNorms, ids: q.ids, distances: q.distances, labels: q.labels });
      } else if (q.op === 'assign') {
        const res = idx.searchSync(q.points.x, 1);
        q.distances.set(res.distances);
        q.labels.set(res.labels);
      } else if (q.op === 'update') {
        kmeansUpdate({ x: q.points.x, n: q.points.n, d: job.d, k: q.k ?? job.k, assign: q.assign, weights: q.points.weights, centroids: q.centroids, counts: q.counts });
      } else if (q.op === 'index') {
        idx.reset();
        if (q.train || !idx.isTrained) idx.trainSync(q.centroids);
        idx.addSync(q.centroids);
      } else if (q.op === 'bounded') {
        const b = q.bounds;
        const st = kmeansAssignBounded({
          x: q.points.x, n: q.points.n, d: job.d, xNorms: q.points.norms, centroids: q.centroids, k: job.k,
          groups: b.groups, t: b.t, g: b.g, drift: q.drift, labels: q.labels, lower: b.lower, distances: q.distances,
        });
        q.stats.pruned = st.pruned;
        q.stats.evaluated = st.evaluated;
      } else if (q.op === 'knn') {
        knn({ xq: q.xq, xb: q.xb, nq: q.nq, nb: q.nb, d: job.d, k: q.k, metric: 1, distances: q.distances, labels: q.labels });
      }
      r = gen.next();
    }
    this.#commit(r.value);
    Clustering.#fill(idx, r.value.centroids);
  }

  /** Leaves the k centroids in the assignment index, as FAISS does. */
  static #fill(idx: Index, centroids: Float32Array): void {
    idx.reset();
    if (!idx.isTrained) idx.trainSync(centroids);
    idx.addSync(centroids);
  }

  /**
   * trainSync off the event loop: every assignment and update is an async
   * kernel call. `options.signal` aborts between iterations (ABORTED); the
   * Clustering and, for an IndexFlat, the index are then left unchanged.
   */
  async train(x: VectorsInput, index?: Index, options: ClusteringTrainOptions = {}): Promise<void> {
    const signal = signalOf(options, 'Clustering.train');
    throwIfAborted(signal, 'Clustering.train');
    const { job, index: idx } = this.#prepare(x, index, options.weights);
    const gen = runClustering(job);
    let r = gen.next();
    while (!r.done) {
      const q = r.value;
      if (q.op === 'nearest') {
        await kmeansAssignAsync({ x: q.x, n: q.n, d: job.d, centroids: q.centroids, k: q.k, metric: job.metric, xNorms: q.xNorms, ids: q.ids, distances: q.distances, labels: q.labels });
      } else if (q.op === 'assign') {
        const res = await idx.search(q.points.x, 1);
        q.distances.set(res.distances);
        q.labels.set(res.labels);
      } else if (q.op === 'update') {
        await kmeansUpdateAsync({ x: q.points.x, n: q.points.n, d: job.d, k: q.k ?? job.k, assign: q.assign, weights: q.points.weights, centroids: q.centroids, counts: q.counts });
      } else if (q.op === 'index') {
        idx.reset();
        if (q.train || !idx.isTrained) await idx.train(q.centroids);
        await idx.add(q.centroids);
      } else if (q.op === 'bounded') {
        const b = q.bounds;
        const st = await kmeansAssignBoundedAsync({
          x: q.points.x, n: q.points.n, d: job.d, xNorms: q.points.norms, centroids: q.centroids, k: job.k,
          groups: b.groups, t: b.t, g: b.g, drift: q.drift, labels: q.labels, lower: b.lower, distances: q.distances,
        });
        q.stats.pruned = st.pruned;
        q.stats.evaluated = st.evaluated;
      } else if (q.op === 'knn') {
        await knnAsync({ xq: q.xq, xb: q.xb, nq: q.nq, nb: q.nb, d: job.d, k: q.k, metric: 1, distances: q.distances, labels: q.labels });
      } else {
        throwIfAborted(signal, 'Clustering.train');
      }
      r = gen.next();
    }
    throwIfAborted(signal, 'Clustering.train');
    this.#commit(r.value);
    Clustering.#fill(idx, r.value.centroids);
  }
}
