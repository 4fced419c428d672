/**
 * Holding up under load and faults, composite family: IndexPreTransform (PCA
 * in front of an IVF), IndexRefineFlat (under IndexIDMap2; exact distances
 * from the refine stage) and IndexShards (two IVF shards, explicit ids):
 * bounded concurrent stress with adds, removals where the family supports
 * them, and resets; an aborted add through a pre-transform.
 */
import { describe, expect, it } from 'vitest';
import { IndexIDMap2, IndexIVFFlat, IndexPreTransform, IndexRefineFlat, IndexShards, PCAMatrix } from '../src/index';
import { randomVectors } from './helpers';
import { runStress } from './stress-harness';

const d = 32;
const train = randomVectors(4000, d, 81);

describe('stress: concurrent async searches with adds, removals and resets', () => {
  it('IndexPreTransform(PCA 32 -> 16, IndexIVFFlat)', async () => {
    const index = new IndexPreTransform(new PCAMatrix(d, 16), new IndexIVFFlat(16, 16));
    await index.train(train);
    const r = await runStress({
      d, make: () => index, rounds: 14, searchesPerRound: 6, nq: 6, k: 10, batch: 1500, removePerRound: 200, resetEvery: 5,
      distances: 'approximate', results: 'partial', searchParams: { nprobe: 8 }, seed: 12,
    });
    expect(r.failures).toEqual([]);
    expect(r.checkedLabels).toBeGreaterThan(1000);
    expect(r.memoryAfterReset).toBe(r.memoryEmpty);
    expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
  });

  it('IndexIDMap2(IndexRefineFlat(IndexIVFFlat)): exact refined distances', async () => {
    const ivf = new IndexIVFFlat(d, 16);
    await ivf.train(train);
    const r = await runStress({
      d, make: () => new IndexIDMap2(new IndexRefineFlat(ivf)), rounds: 12, searchesPerRound: 6, nq: 6, k: 10, batch: 1500,
      removePerRound: 0, resetEvery: 4, distances: 'exact', results: 'partial', searchParams: { nprobe: 8 }, seed: 13,
    });
    expect(r.failures).toEqual([]);
    expect(r.checkedLabels).toBeGreaterThan(1000);
    expect(r.memoryAfterReset).toBe(r.memoryEmpty);
    expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
  });

  it('IndexShards of two IVF-Flat shards with explicit ids', async () => {
    const shards = new IndexShards<IndexIVFFlat>(d, { successiveIds: false });
    for (let s = 0; s < 2; s++) {
      const ivf = new IndexIVFFlat(d, 16);
      await ivf.train(train);
      shards.addShard(ivf);
    }
    const r = await runStress({
      d, make: () => shards, rounds: 14, searchesPerRound: 6, nq: 6, k: 10, batch: 1500, removePerRound: 200, resetEvery: 5,
      distances: 'exact', results: 'partial', searchParams: { nprobe: 8 }, seed: 14,
    });
    expect(r.failures).toEqual([]);
    expect(r.checkedLabels).toBeGreaterThan(1000);
    expect(r.memoryAfterReset).toBe(r.memoryEmpty);
    expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
  });
});

describe('cancelling with an AbortSignal', () => {
  it('an aborted add through a pre-transform leaves the index as it was', async () => {
    const index = new IndexPreTransform(new PCAMatrix(d, 16), new IndexIVFFlat(16, 16));
    await index.train(train);
    await index.add(randomVectors(1000, d, 82));
    const xq = randomVectors(4, d, 83);
    const before = index.searchSync(xq, 5, { nprobe: 4 } as never);
    const ac = new AbortController();
    const call = index.add(randomVectors(300_000, d, 84), { signal: ac.signal });
    setImmediate(() => ac.abort());
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(index.ntotal).toBe(1000);
    expect(index.searchSync(xq, 5, { nprobe: 4 } as never)).toEqual(before);
  });
});
