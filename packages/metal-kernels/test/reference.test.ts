/** The oracle itself, on hand-checked examples (FAISS semantics). */
import { describe, expect, it } from 'vitest';
import { backendInfo, referenceBackend as ref } from '../src/index';

describe('reference backend semantics', () => {
  // database: 1-d points 0, 3, 1, 3, 10 ; query 2
  const xb = new Float32Array([0, 3, 1, 3, 10]);
  const xq = new Float32Array([2]);

  it('knn L2: sorted, ties to the lower index, padded with -1/+Infinity, labelOffset added', () => {
    const distances = new Float32Array(7);
    const labels = new BigInt64Array(7);
    ref.knn({ xq, xb, nq: 1, nb: 5, d: 1, k: 7, metric: 1, distances, labels, labelOffset: 100 });
    expect(Array.from(labels)).toEqual([101n, 102n, 103n, 100n, 104n, -1n, -1n]);
    expect(Array.from(distances)).toEqual([1, 1, 1, 4, 64, Infinity, Infinity]);
  });

  it('knn inner product: larger first, padded with -Infinity', () => {
    const distances = new Float32Array(6);
    const labels = new BigInt64Array(6);
    ref.knn({ xq, xb, nq: 1, nb: 5, d: 1, k: 6, metric: 0, distances, labels });
    expect(Array.from(labels)).toEqual([4n, 1n, 3n, 2n, 0n, -1n]);
    expect(Array.from(distances)).toEqual([20, 6, 6, 2, 0, -Infinity]);
  });

  it('rangeSearch is strict (L2: < radius, IP: > radius) and in database order', () => {
    const l2 = ref.rangeSearch({ xq, xb, nq: 1, nb: 5, d: 1, radius: 4, metric: 1 });
    expect(Array.from(l2.lims)).toEqual([0n, 3n]);
    expect(Array.from(l2.labels)).toEqual([1n, 2n, 3n]);
    expect(Array.from(l2.distances)).toEqual([1, 1, 1]);
    const ip = ref.rangeSearch({ xq, xb, nq: 1, nb: 5, d: 1, radius: 2, metric: 0, labelOffset: 10 });
    expect(Array.from(ip.labels)).toEqual([11n, 13n, 14n]);
    expect(Array.from(ip.distances)).toEqual([6, 6, 20]);
  });

  it('topk: largest / smallest, ties to the lower column, NaN and the padding value never selected', () => {
    const values = new Float32Array([5, NaN, 7, 5, -Infinity, 1]);
    const outValues = new Float32Array(6);
    const outIndices = new BigInt64Array(6);
    ref.topk({ values, n: 1, m: 6, k: 6, largest: true, outValues, outIndices });
    expect(Array.from(outIndices)).toEqual([2n, 0n, 3n, 5n, -1n, -1n]);
    expect(Array.from(outValues)).toEqual([7, 5, 5, 1, -Infinity, -Infinity]);
    ref.topk({ values, n: 1, m: 6, k: 6, largest: false, outValues, outIndices });
    expect(Array.from(outIndices)).toEqual([4n, 5n, 0n, 3n, 2n, -1n]);
    expect(Array.from(outValues)).toEqual([-Infinity, 1, 5, 5, 7, Infinity]);
  });

  it('pairwise and norms', () => {
    const out = new Float32Array(5);
    ref.pairwiseDistances({ xq, xb, nq: 1, nb: 5, d: 1, metric: 1, out });
    expect(Array.from(out)).toEqual([4, 1, 1, 1, 64]);
    const norms = new Float32Array(2);
    ref.normsL2Sqr(new Float32Array([3, 4, 1, 1]), 2, 2, norms);
    expect(Array.from(norms)).toEqual([25, 2]);
  });

  it('async forms resolve with the same results; thread count is recorded', async () => {
    const a = { xq, xb, nq: 1, nb: 5, d: 1, k: 2, metric: 1 as const, distances: new Float32Array(2), labels: new BigInt64Array(2) };
    await ref.knnAsync(a);
    expect(Array.from(a.labels)).toEqual([1n, 2n]);
    const before = ref.getNumThreads();
    ref.setNumThreads(4);
    expect(ref.getNumThreads()).toBe(4);
    expect(ref.info().threads).toBe(4);
    ref.setNumThreads(before);
    expect(ref.info().backend).toBe('reference');
    expect(typeof backendInfo().version).toBe('string');
  });
});
