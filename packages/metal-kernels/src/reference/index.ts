/**
 * The reference backend: plain, obviously-correct TypeScript for every
 * kernel. It is the oracle of the tests and the fallback when the native
 * addon cannot load. Its async forms are degraded: they run the same
 * computation on the JS thread inside a setImmediate callback, so they do
 * block the event loop while they compute.
 */
import type {
  BackendInfo,
  KernelBackend,
  KnnArgs,
  PairwiseArgs,
  RangeArgs,
  RangeSearchOutput,
  TopkArgs,
} from '../backend';
import { validateKnn, validateNorms, validatePairwise, validateRange, validateThreads, validateTopk } from '../validate';
import { innerProduct, l2Sqr, pairScore, rowNormSqr } from './distances';
import { TopKSelector } from './heap';
import { packageVersion } from '../version';

let referenceThreads = 1;
let referenceLoadError: string | undefined;

/** Set by the loader: why the native addon is not in use. */
export function setReferenceLoadError(message: string | undefined): void {
  referenceLoadError = message;
}

function deferred<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    });
  });
}

function normsL2Sqr(x: Float32Array, n: number, d: number, out: Float32Array): void {
  validateNorms(x, n, d, out);
  for (let i = 0; i < n; i++) out[i] = rowNormSqr(x, i, d);
}

function pairwiseDistances(args: PairwiseArgs): void {
  validatePairwise(args);
  const { xq, xb, nq, nb, d, metric, out } = args;
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < nb; j++) {
      out[i * nb + j] = metric === 1 ? l2Sqr(xq, i, xb, j, d) : innerProduct(xq, i, xb, j, d);
    }
  }
}

function knn(args: KnnArgs): void {
  validateKnn(args);
  const { xq, xb, nq, nb, d, k, metric, distances, labels } = args;
  const offset = args.labelOffset ?? 0;
  const selector = new TopKSelector(k);
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < nb; j++) selector.push(pairScore(metric, xq, i, xb, j, d), j);
    if (metric === 1) selector.drain(distances, labels, i * k, 1, Infinity, offset);
    else selector.drain(distances, labels, i * k, -1, -Infinity, offset);
  }
}

function rangeSearch(args: RangeArgs): RangeSearchOutput {
  validateRange(args);
  const { xq, xb, nq, nb, d, metric } = args;
  const offset = args.labelOffset ?? 0;
  // FAISS takes a float radius: compare float32 values with a float32 radius.
  const radius = Math.fround(args.radius);
  const lims = new BigInt64Array(nq + 1);
  const dist: number[] = [];
  const ids: number[] = [];
  const bigOffset = BigInt(offset);
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < nb; j++) {
      const s = pairScore(metric, xq, i, xb, j, d);
      const keep = metric === 1 ? s < radius : -s > radius;
      if (keep) {
        dist.push(metric === 1 ? s : -s);
        ids.push(j);
      }
    }
    lims[i + 1] = BigInt(dist.length);
  }
  const labels = new BigInt64Array(ids.length);
  for (let t = 0; t < ids.length; t++) labels[t] = BigInt(ids[t]) + bigOffset;
  return { lims, distances: Float32Array.from(dist), labels };
}

function topk(args: TopkArgs): void {
  validateTopk(args);
  const { values, n, m, k, largest, outValues, outIndices } = args;
  const selector = new TopKSelector(k);
  for (let i = 0; i < n; i++) {
    const o = i * m;
    if (largest) {
      for (let j = 0; j < m; j++) selector.push(-values[o + j], j);
      selector.drain(outValues, outIndices, i * k, -1, -Infinity, 0);
    } else {
      for (let j = 0; j < m; j++) selector.push(values[o + j], j);
      selector.drain(outValues, outIndices, i * k, 1, Infinity, 0);
    }
  }
}

function info(): BackendInfo {
  const result: BackendInfo = {
    backend: 'reference',
    simd: 'scalar',
    threads: referenceThreads,
    version: packageVersion,
  };
  if (referenceLoadError !== undefined) result.loadError = referenceLoadError;
  return result;
}

/** The plain-TypeScript oracle; always available. */
export const referenceBackend: KernelBackend = {
  name: 'reference',
  normsL2Sqr,
  normsL2SqrAsync: (x, n, d, out) => deferred(() => normsL2Sqr(x, n, d, out)),
  pairwiseDistances,
  pairwiseDistancesAsync: (args) => deferred(() => pairwiseDistances(args)),
  knn,
  knnAsync: (args) => deferred(() => knn(args)),
  rangeSearch,
  rangeSearchAsync: (args) => deferred(() => rangeSearch(args)),
  topk,
  topkAsync: (args) => deferred(() => topk(args)),
  /** Recorded and reported, but the reference backend always runs on one thread. */
  setNumThreads(n: number): void {
    referenceThreads = validateThreads(n);
  },
  getNumThreads: () => referenceThreads,
  info,
};
