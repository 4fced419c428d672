/**
 * Accuracy measures, with FAISS's definitions.
 *
 * Result labels may be BigInt64Array (our indexes, FAISS), BigUint64Array
 * (usearch) or Int32Array; -1 marks a missing result.
 */
import { checkInteger, invalidArgument } from '../errors';
import type { GroundTruth } from './ground-truth';

export type LabelArray = BigInt64Array | BigUint64Array | Int32Array | Float64Array;

function toNumbers(labels: LabelArray): Float64Array | Int32Array {
  if (labels instanceof Int32Array || labels instanceof Float64Array) return labels;
  const out = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = Number(labels[i]);
  return out;
}

function checkShape(labels: LabelArray, nq: number, k: number, gt: GroundTruth): void {
  checkInteger('nq', nq, 0, gt.nq);
  checkInteger('k', k, 1);
  if (labels.length < nq * k) throw invalidArgument('labels', `an array of length >= nq*k = ${nq * k}`, labels);
}

/**
 * recall@r: for each query, the fraction of the true r nearest neighbours
 * (ground truth) found among the first r results, averaged over the queries.
 * This is FAISS's `knn_intersection_measure(I[:, :r], gt[:, :r])`. `k` is the
 * row length of `labels` (results per query); r defaults to k and may not
 * exceed k or gt.k.
 */
export function recallAtK(labels: LabelArray, k: number, gt: GroundTruth, nq = gt.nq, r = k): number {
  checkShape(labels, nq, k, gt);
  checkInteger('r', r, 1, Math.min(k, gt.k));
  if (nq === 0) return 0;
  const lab = toNumbers(labels);
  const truth = new Set<number>();
  let found = 0;
  for (let q = 0; q < nq; q++) {
    truth.clear();
    for (let i = 0; i < r; i++) truth.add(gt.labels[q * gt.k + i]);
    for (let i = 0; i < r; i++) {
      const l = lab[q * k + i];
      if (l >= 0 && truth.has(l)) found++;
    }
  }
  return found / (nq * r);
}

/**
 * 1-recall@rank, what FAISS's benchs print as "R@rank": the fraction of
 * queries whose true nearest neighbour appears among the first `rank` results.
 * R@1 is the fraction whose first result is the true nearest neighbour.
 */
export function oneRecallAt(labels: LabelArray, k: number, gt: GroundTruth, nq = gt.nq, rank = 1): number {
  checkShape(labels, nq, k, gt);
  checkInteger('rank', rank, 1, k);
  if (nq === 0) return 0;
  const lab = toNumbers(labels);
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    const nn = gt.labels[q * gt.k];
    for (let i = 0; i < rank; i++) {
      if (lab[q * k + i] === nn) {
        hits++;
        break;
      }
    }
  }
  return hits / nq;
}

export interface LabelComparison {
  /** positions compared: nq * k */
  total: number;
  /** same label at the same position */
  equal: number;
  /** different label but (near-)equal distance: an order or choice among ties */
  ties: number;
  /** different label and different distance */
  mismatches: number;
  /** queries with at least one mismatch */
  queriesWithMismatch: number;
}

/**
 * Compares two result sets position by position (e.g. ours against FAISS's).
 * A differing label counts as a tie when the two distances at that position
 * agree within relTol (relative to the larger magnitude) + absTol: rounding
 * differences between two float32 implementations may legitimately pick a
 * different one of several (nearly) equidistant points.
 */
export function compareResults(
  a: { labels: LabelArray; distances: Float32Array | Float64Array },
  b: { labels: LabelArray; distances: Float32Array | Float64Array },
  nq: number,
  k: number,
  tolerance: { relTol?: number; absTol?: number } = {},
): LabelComparison {
  checkInteger('nq', nq, 0);
  checkInteger('k', k, 1);
  for (const [name, r] of [['a', a], ['b', b]] as const) {
    if (r.labels.length < nq * k || r.distances.length < nq * k) throw invalidArgument(`${name}.labels/distances`, `arrays of length >= nq*k = ${nq * k}`, r.labels);
  }
  const relTol = tolerance.relTol ?? 1e-5;
  const absTol = tolerance.absTol ?? 1e-6;
  const la = toNumbers(a.labels);
  const lb = toNumbers(b.labels);
  let equal = 0;
  let ties = 0;
  let mismatches = 0;
  let queriesWithMismatch = 0;
  for (let q = 0; q < nq; q++) {
    let bad = false;
    for (let i = 0; i < k; i++) {
      const p = q * k + i;
      if (la[p] === lb[p]) {
        equal++;
        continue;
      }
      const da = a.distances[p];
      const db = b.distances[p];
      if (Math.abs(da - db) <= relTol * Math.max(Math.abs(da), Math.abs(db)) + absTol) ties++;
      else {
        mismatches++;
        bad = true;
      }
    }
    if (bad) queriesWithMismatch++;
  }
  return { total: nq * k, equal, ties, mismatches, queriesWithMismatch };
}
