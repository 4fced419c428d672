/**
 * k-means in the M sub-spaces of a product quantizer at once, with FAISS's
 * Clustering semantics per sub-space (subsample of at most
 * k * maxPointsPerCentroid points drawn with rand_perm(seed), initial
 * centroids the first k points of rand_perm(seed + 1) unless given, niter
 * iterations of assign + mean + split_clusters with FAISS's RandomGenerator).
 * FAISS trains the sub-spaces one after the other through IndexFlatL2; here
 * one fused native pass assigns every sub-space (multi-threaded), which is
 * what makes OPQ's 200+ PQ trainings affordable. Used by OPQMatrix.
 */
import { MetalFaissError, denseKernels } from '@metalfaiss/metal-kernels';
import { randPerm } from './random-normal';

export interface PqKmeansOptions {
  niter: number;
  /** FAISS's cp.seed (1234) */
  seed?: number;
  /** FAISS's cp.max_points_per_centroid (OPQ uses 1000) */
  maxPointsPerCentroid?: number;
  /** starting centroids (M x ksub x dsub): FAISS's hot start */
  init?: Float32Array | null;
}

interface Shape {
  n: number;
  M: number;
  ksub: number;
  dsub: number;
}

/** FAISS's RandomGenerator::rand_float over std::mt19937, minimal (split_clusters only). */
class Mt {
  readonly #s = new Uint32Array(624);
  #i = 624;
  constructor(seed: number) {
    const s = this.#s;
    s[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) s[i] = (Math.imul(1812433253, s[i - 1] ^ (s[i - 1] >>> 30)) + i) >>> 0;
  }
  next(): number {
    const s = this.#s;
    if (this.#i >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (s[i] & 0x80000000) | (s[(i + 1) % 624] & 0x7fffffff);
        let v = s[(i + 397) % 624] ^ (y >>> 1);
        if (y & 1) v ^= 0x9908b0df;
        s[i] = v >>> 0;
      }
      this.#i = 0;
    }
    let y = s[this.#i++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
  /** float(mt()) / float(mt.max()) in float32 arithmetic */
  randFloat(): number {
    return Math.fround(Math.fround(this.next()) / 4294967296);
  }
}

const EPS = 1 / 1024;

/** FAISS's split_clusters for sub-space m (hassign and centroids of that sub-space). */
function splitClusters(dsub: number, k: number, n: number, hassign: Float32Array, c: Float32Array): number {
  let nsplit = 0;
  const rng = new Mt(1234);
  for (let ci = 0; ci < k; ci++) {
    if (hassign[ci] !== 0) continue;
    let cj = 0;
    for (;;) {
      const p = Math.fround((hassign[cj] - 1.0) / (n - k));
      const r = rng.randFloat();
      if (r < p) break;
      cj = (cj + 1) % k;
    }
    c.copyWithin(ci * dsub, cj * dsub, (cj + 1) * dsub);
    for (let j = 0; j < dsub; j++) {
      if (j % 2 === 0) {
        c[ci * dsub + j] *= 1 + EPS;
        c[cj * dsub + j] *= 1 - EPS;
      } else {
        c[ci * dsub + j] *= 1 - EPS;
        c[cj * dsub + j] *= 1 + EPS;
      }
    }
    hassign[ci] = hassign[cj] / 2; // float arithmetic, as FAISS
    hassign[cj] -= hassign[ci];
    nsplit++;
  }
  return nsplit;
}

/** The step in plain TypeScript (the reference for the native kernel). */
export function pqKmeansStepReference(
  x: Float32Array, s: Shape, centroids: Float32Array, assign: Int32Array, sums: Float64Array | null, counts: Float64Array | null,
): number {
  const { n, M, ksub, dsub } = s;
  const d = M * dsub;
  if (sums) sums.fill(0);
  if (counts) counts.fill(0);
  let obj = 0;
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < M; m++) {
      let best = Infinity;
      let arg = 0;
      for (let j = 0; j < ksub; j++) {
        const c = (m * ksub + j) * dsub;
        let dist = 0;
        for (let t = 0; t < dsub; t++) {
          const diff = x[i * d + m * dsub + t] - centroids[c + t];
          dist += diff * diff;
        }
        if (dist < best) {
          best = dist;
          arg = j;
        }
      }
      assign[i * M + m] = arg;
      obj += best;
      if (sums && counts) {
        for (let t = 0; t < dsub; t++) sums[(m * ksub + arg) * dsub + t] += x[i * d + m * dsub + t];
        counts[m * ksub + arg] += 1;
      }
    }
  }
  return obj;
}

function step(x: Float32Array, s: Shape, c: Float32Array, assign: Int32Array, sums: Float64Array | null, counts: Float64Array | null): number {
  const native = denseKernels()?.pqKmeansStep;
  if (native) return native(x, s.n, s.M, s.ksub, s.dsub, c, assign, sums, counts);
  return pqKmeansStepReference(x, s, c, assign, sums, counts);
}

async function stepAsync(x: Float32Array, s: Shape, c: Float32Array, assign: Int32Array, sums: Float64Array | null, counts: Float64Array | null): Promise<number> {
  const native = denseKernels()?.pqKmeansStepAsync;
  if (native) return native(x, s.n, s.M, s.ksub, s.dsub, c, assign, sums, counts);
  return pqKmeansStepReference(x, s, c, assign, sums, counts);
}

function prepare(x: Float32Array, n: number, M: number, ksub: number, dsub: number, o: PqKmeansOptions): { xs: Float32Array; s: Shape; c: Float32Array } {
  const d = M * dsub;
  if (n < ksub) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected at least ${ksub} training points (Number of training points (${n}) should be at least as large as number of clusters (${ksub})), received ${n}`);
  }
  const seed = o.seed ?? 1234;
  const maxPts = o.maxPointsPerCentroid ?? 256;
  let xs = x.subarray(0, n * d);
  let ns = n;
  if (n > ksub * maxPts) {
    const perm = randPerm(n, seed);
    ns = ksub * maxPts;
    xs = new Float32Array(ns * d);
    for (let i = 0; i < ns; i++) xs.set(x.subarray(perm[i] * d, (perm[i] + 1) * d), i * d);
  }
  let c: Float32Array;
  if (o.init) {
    if (o.init.length !== M * ksub * dsub) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${M * ksub * dsub} initial centroid values, received ${o.init.length}`);
    }
    c = o.init.slice();
  } else {
    const perm = randPerm(ns, seed + 1);
    c = new Float32Array(M * ksub * dsub);
    for (let m = 0; m < M; m++) {
      for (let j = 0; j < ksub; j++) c.set(xs.subarray(perm[j] * d + m * dsub, perm[j] * d + (m + 1) * dsub), (m * ksub + j) * dsub);
    }
  }
  return { xs, s: { n: ns, M, ksub, dsub }, c };
}

function update(s: Shape, c: Float32Array, sums: Float64Array, counts: Float64Array): void {
  const { M, ksub, dsub, n } = s;
  for (let m = 0; m < M; m++) {
    const cm = c.subarray(m * ksub * dsub, (m + 1) * ksub * dsub);
    const hm = counts.subarray(m * ksub, (m + 1) * ksub);
    cm.fill(0);
    for (let j = 0; j < ksub; j++) {
      if (hm[j] === 0) continue;
      const inv = 1 / hm[j];
      for (let t = 0; t < dsub; t++) cm[j * dsub + t] = sums[(m * ksub + j) * dsub + t] * inv;
    }
    splitClusters(dsub, ksub, n, Float32Array.from(hm), cm);
  }
}

/** Trains M sub-space codebooks (M x ksub x dsub) on x (n x M*dsub). */
export function pqKmeans(x: Float32Array, n: number, M: number, ksub: number, dsub: number, o: PqKmeansOptions): Float32Array {
  const { xs, s, c } = prepare(x, n, M, ksub, dsub, o);
  const assign = new Int32Array(s.n * M);
  const sums = new Float64Array(M * ksub * dsub);
  const counts = new Float64Array(M * ksub);
  for (let it = 0; it < o.niter; it++) {
    step(xs, s, c, assign, sums, counts);
    update(s, c, sums, counts);
  }
  return c;
}

export async function pqKmeansAsync(x: Float32Array, n: number, M: number, ksub: number, dsub: number, o: PqKmeansOptions): Promise<Float32Array> {
  const { xs, s, c } = prepare(x, n, M, ksub, dsub, o);
  const assign = new Int32Array(s.n * M);
  const sums = new Float64Array(M * ksub * dsub);
  const counts = new Float64Array(M * ksub);
  for (let it = 0; it < o.niter; it++) {
    await stepAsync(xs, s, c, assign, sums, counts);
    update(s, c, sums, counts);
  }
  return c;
}

/** Nearest-centroid codes (n x M) and the reconstructions (n x M*dsub) of x. */
export function pqEncodeDecode(x: Float32Array, n: number, M: number, ksub: number, dsub: number, c: Float32Array): { codes: Int32Array; recons: Float32Array } {
  const codes = new Int32Array(n * M);
  step(x, { n, M, ksub, dsub }, c, codes, null, null);
  return { codes, recons: reconstruct(codes, n, M, ksub, dsub, c) };
}

export async function pqEncodeDecodeAsync(x: Float32Array, n: number, M: number, ksub: number, dsub: number, c: Float32Array): Promise<{ codes: Int32Array; recons: Float32Array }> {
  const codes = new Int32Array(n * M);
  await stepAsync(x, { n, M, ksub, dsub }, c, codes, null, null);
  return { codes, recons: reconstruct(codes, n, M, ksub, dsub, c) };
}

function reconstruct(codes: Int32Array, n: number, M: number, ksub: number, dsub: number, c: Float32Array): Float32Array {
  const d = M * dsub;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < M; m++) {
      const src = (m * ksub + codes[i * M + m]) * dsub;
      const dst = i * d + m * dsub;
      for (let t = 0; t < dsub; t++) out[dst + t] = c[src + t];
    }
  }
  return out;
}
