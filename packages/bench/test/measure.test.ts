import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { syntheticDataset } from '../src/datasets/synthetic';
import { exactKnn, exactKnnParallel, fingerprint, groundTruth, type GroundTruth } from '../src/measure/ground-truth';
import { compareResults, oneRecallAt, recallAtK } from '../src/measure/recall';
import { latencyStats, median, percentile, repeat, timeSingleQueries } from '../src/measure/timing';
import { bruteForce, randomVectors, tempDir } from './helpers';

describe('exact ground truth (float64)', () => {
  const d = 13; // not a multiple of 4: exercises the tail loop
  const nb = 300;
  const nq = 21; // not a multiple of the 8-query block
  const xb = randomVectors(nb, d, 1);
  const xq = randomVectors(nq, d, 2);

  for (const metric of ['l2', 'ip'] as const) {
    it(`matches a sort-everything oracle (${metric})`, () => {
      const gt = exactKnn({ xb, nb, xq, nq, d, k: 7, metric });
      const ref = bruteForce(xb, nb, xq, nq, d, 7, metric);
      expect(Array.from(gt.labels)).toEqual(Array.from(ref.labels));
      for (let i = 0; i < ref.distances.length; i++) expect(gt.distances[i]).toBeCloseTo(ref.distances[i], 10);
    });
  }

  it('breaks ties by the lower index', () => {
    const base = Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]); // rows 0 and 2 equal, 1 and 3 equal
    const gt = exactKnn({ xb: base, nb: 4, xq: Float32Array.from([1, 0]), nq: 1, d: 2, k: 4, metric: 'l2' });
    expect(Array.from(gt.labels)).toEqual([0, 2, 1, 3]);
  });

  it('gives the same answer on worker threads', async () => {
    const seq = exactKnn({ xb, nb, xq, nq, d, k: 5, metric: 'l2' });
    let progress = 0;
    const par = await exactKnnParallel({ xb, nb, xq, nq, d, k: 5, metric: 'l2' }, { threads: 2, onProgress: (done) => (progress = done) });
    expect(Array.from(par.labels)).toEqual(Array.from(seq.labels));
    expect(Array.from(par.distances)).toEqual(Array.from(seq.distances));
    expect(progress).toBe(nq);
  });

  it('validates its input', () => {
    expect(() => exactKnn({ xb, nb, xq, nq, d, k: nb + 1, metric: 'l2' })).toThrow(MetalFaissError);
    expect(() => exactKnn({ xb: xb.subarray(0, 10), nb, xq, nq, d, k: 1, metric: 'l2' })).toThrow(/xb/);
    expect(() => exactKnn({ xb, nb, xq, nq, d, k: 1, metric: 'cos' as 'l2' })).toThrow(/metric/);
  });

  it('is computed once and then read from the cache; a corrupt cache is recomputed', async () => {
    const cacheDir = tempDir();
    const ds = syntheticDataset({ d: 8, nt: 0, nb: 400, nq: 30, seed: 9 });
    const first = await groundTruth(ds, { k: 10, nq: 20, cacheDir });
    expect(first.cached).toBe(false);
    expect(first.cacheFile).toContain(join(cacheDir, 'ground-truth'));
    const second = await groundTruth(ds, { k: 10, nq: 20, cacheDir });
    expect(second.cached).toBe(true);
    expect(Array.from(second.gt.labels)).toEqual(Array.from(first.gt.labels));
    expect(Array.from(second.gt.distances)).toEqual(Array.from(first.gt.distances));
    const other = await groundTruth(ds, { k: 5, nq: 20, cacheDir });
    expect(other.cached).toBe(false);
    expect(readdirSync(join(cacheDir, 'ground-truth')).filter((f) => f.endsWith('.gt'))).toHaveLength(2);
    writeFileSync(first.cacheFile!, new Uint8Array(7));
    const third = await groundTruth(ds, { k: 10, nq: 20, cacheDir });
    expect(third.cached).toBe(false);
    expect(Array.from(third.gt.labels)).toEqual(Array.from(first.gt.labels));
    const none = await groundTruth(ds, { k: 3, nq: 4, cacheDir: null });
    expect(none.cacheFile).toBeNull();
  });

  it('fingerprints data content', () => {
    const a = randomVectors(10, 4, 3);
    const b = a.slice();
    expect(fingerprint(a)).toBe(fingerprint(b));
    b[7] += 1e-3;
    expect(fingerprint(a)).not.toBe(fingerprint(b));
    expect(fingerprint(a)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('recall', () => {
  const gt: GroundTruth = {
    nq: 2, k: 3, metric: 'l2',
    labels: Int32Array.from([0, 1, 2, 5, 6, 7]),
    distances: Float64Array.from([0, 1, 2, 0, 1, 2]),
  };

  it('recall@k is the intersection of the first k with the true k, averaged (FAISS)', () => {
    // query 0 finds 2 of {0,1,2} (order does not matter), query 1 finds 1 of {5,6,7}
    const labels = BigInt64Array.from([2n, 9n, 0n, 7n, -1n, 8n]);
    expect(recallAtK(labels, 3, gt)).toBeCloseTo(3 / 6, 12);
    expect(recallAtK(Int32Array.from([0, 1, 2, 5, 6, 7]), 3, gt)).toBe(1);
    // recall@1 against the first column only
    expect(recallAtK(labels, 3, gt, 2, 1)).toBe(0);
  });

  it('R@1 is the fraction of queries whose first result is the true nearest neighbour', () => {
    const labels = BigUint64Array.from([0n, 1n, 2n, 6n, 5n, 7n]);
    expect(oneRecallAt(labels, 3, gt, 2, 1)).toBe(0.5);
    expect(oneRecallAt(labels, 3, gt, 2, 2)).toBe(1);
  });

  it('compareResults separates ties from real mismatches', () => {
    const a = { labels: BigInt64Array.from([1n, 2n, 3n, 4n]), distances: Float32Array.from([1, 2, 2, 5]) };
    const b = { labels: BigInt64Array.from([1n, 3n, 2n, 9n]), distances: Float32Array.from([1, 2, 2, 6]) };
    const c = compareResults(a, b, 2, 2);
    expect(c).toEqual({ total: 4, equal: 1, ties: 2, mismatches: 1, queriesWithMismatch: 1 });
  });

  it('rejects short label arrays', () => {
    expect(() => recallAtK(BigInt64Array.from([1n]), 3, gt)).toThrow(/labels/);
  });
});

describe('timing', () => {
  it('percentiles interpolate linearly like numpy', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 95)).toBeCloseTo(3.85, 12);
    expect(percentile([5], 99)).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
    const st = latencyStats([1, 2, 3, 4, 10]);
    expect([st.p50, st.min, st.max, st.mean, st.n]).toEqual([3, 1, 10, 4, 5]);
  });

  it('repeat runs warm-up then timed runs and keeps best and median', async () => {
    let calls = 0;
    const r = await repeat(() => ++calls, { warmup: 2, reps: 3 });
    expect(calls).toBe(5);
    expect(r.seconds).toHaveLength(3);
    expect(r.best).toBe(Math.min(...r.seconds));
    expect(r.last).toBe(5);
  });

  it('timeSingleQueries times each query once after the warm-up', async () => {
    const seen: number[] = [];
    const lat = await timeSingleQueries(4, (i) => seen.push(i), 2);
    expect(seen).toEqual([0, 1, 0, 1, 2, 3]);
    expect(lat).toHaveLength(4);
  });
});
