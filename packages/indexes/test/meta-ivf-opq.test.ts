/** IndexIVFOPQ: OPQ rotation + IVF-PQ in one class. */
import { describe, expect, it } from 'vitest';
import { IndexIVFOPQ, IndexIVFPQ, IndexPreTransform, MetalFaissError, OPQMatrix } from '../src/index';
import { bruteForce, randomVectors } from './helpers';

/** Variance concentrated in the first dimensions: PQ on the raw axes wastes most sub-quantizers, a rotation balances them. */
function correlated(n: number, d: number, seed: number): Float32Array {
  const z = randomVectors(n, d, seed);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) z[i * d + j] *= 2 ** (-j / 4);
  return z;
}

function recall(labels: BigInt64Array, truth: number[][], k: number): number {
  let hit = 0;
  truth.forEach((t, q) => {
    const got = new Set(Array.from(labels.subarray(q * k, (q + 1) * k), Number));
    for (const v of t) if (got.has(v)) hit++;
  });
  return hit / (truth.length * k);
}

describe('IndexIVFOPQ', () => {
  const d = 32;
  const xb = correlated(6000, d, 1);
  const xq = correlated(60, d, 2);
  const truth = bruteForce(xq, xb, d, 10, 'l2').I;

  it('trains the rotation then the IVF-PQ, adds and searches with better recall than IVF-PQ alone', async () => {
    const index = new IndexIVFOPQ(d, 32, 8, 8, { nprobe: 8 });
    index.opq.niter = 12;
    expect(index).toBeInstanceOf(IndexPreTransform);
    expect(index.isTrained).toBe(false);
    await index.train(xb);
    expect(index.opq.isTrained).toBe(true);
    expect(index.ivfpq.isTrained).toBe(true);
    await index.add(xb);
    expect(index.ntotal).toBe(6000);
    const r = await index.search(xq, 10);
    const plain = new IndexIVFPQ(d, 32, 8, 8, { nprobe: 8 });
    await plain.train(xb);
    await plain.add(xb);
    const rp = await plain.search(xq, 10);
    const ro = recall(r.labels, truth, 10);
    expect(ro).toBeGreaterThan(0.5);
    expect(ro).toBeGreaterThanOrEqual(recall(rp.labels, truth, 10) - 0.02);
    index.nprobe = 32;
    expect(index.ivfpq.nprobe).toBe(32);
    expect(recall(index.searchSync(xq, 10).labels, truth, 10)).toBeGreaterThanOrEqual(ro);
  });

  it('reduces dimension with dOut, and refuses bad shapes', () => {
    const index = new IndexIVFOPQ(d, 16, 4, 8, { dOut: 16 });
    expect(index.ivfpq.d).toBe(16);
    expect(index.opq).toBeInstanceOf(OPQMatrix);
    expect(index.opq.dOut).toBe(16);
    expect(() => new IndexIVFOPQ(d, 16, 5)).toThrow(MetalFaissError);
    expect(() => new IndexIVFOPQ(d, 16, 4, 8, null as never)).toThrow(/options object/);
  });

  it('an aborted training leaves the rotation untrained', async () => {
    const index = new IndexIVFOPQ(d, 16, 8);
    const ac = new AbortController();
    ac.abort();
    await expect(index.train(xb, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(index.opq.isTrained).toBe(false);
  });
});
