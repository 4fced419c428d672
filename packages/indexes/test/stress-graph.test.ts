/**
 * Holding up under load and faults, graph family (IndexHNSWFlat under
 * IndexIDMap; HNSW has no removal): bounded concurrent stress (async searches
 * while async adds insert into the graph and resets empty it; distances
 * checked against the stored vectors), cancelling a long add mid-way, and
 * k > ntotal.
 */
import { describe, expect, it } from 'vitest';
import { IndexHNSWFlat, IndexIDMap } from '../src/index';
import { randomVectors } from './helpers';
import { fullGc, runStress } from './stress-harness';

const d = 24;

describe('stress: concurrent async searches with adds and resets', () => {
  it('IndexIDMap(IndexHNSWFlat M=16)', async () => {
    const r = await runStress({
      d,
      make: () => new IndexIDMap(new IndexHNSWFlat(d, 16)),
      rounds: 12,
      searchesPerRound: 6,
      nq: 5,
      k: 10,
      batch: 600,
      removePerRound: 0,
      resetEvery: 5,
      distances: 'exact',
      results: 'partial',
      searchParams: { efSearch: 32 },
      seed: 5,
    });
    expect(r.failures).toEqual([]);
    expect(r.checkedLabels).toBeGreaterThan(1000);
    expect(r.memoryAfterReset).toBe(r.memoryEmpty);
    expect(r.arrayBuffersPeak - r.arrayBuffersBefore).toBeGreaterThan(r.peakNtotal * d * 4);
    expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
  });
});

describe('cancelling with an AbortSignal', () => {
  it('aborting a long graph insertion leaves the graph and the results as they were', async () => {
    const index = new IndexHNSWFlat(d, 16);
    await index.add(randomVectors(1000, d, 51));
    const xq = randomVectors(5, d, 52);
    const before = index.searchSync(xq, 5);
    const memory = index.memoryBytes();
    const ac = new AbortController();
    const call = index.add(randomVectors(60_000, d, 53), { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(index.ntotal).toBe(1000);
    expect(index.memoryBytes()).toBe(memory);
    expect(index.searchSync(xq, 5)).toEqual(before);
    await index.add(randomVectors(10, d, 54)); // still usable
    expect(index.ntotal).toBe(1010);
  });

  // KNOWN ISSUE (found by this test, reported to the HNSW work): after an aborted async add, about twice the
  // aborted input's bytes (the input and its copy) stay reachable, even after reset(): 11.5 MB for 60000 x 24
  // floats. An addSync's input likewise stays reachable until the next add. Remove `.fails` once fixed.
  it.fails('known issue: the ArrayBuffer memory of an aborted add is released (after reset)', async () => {
    const index = new IndexHNSWFlat(d, 16);
    await index.add(randomVectors(1000, d, 51));
    fullGc();
    const ab0 = process.memoryUsage().arrayBuffers;
    const ac = new AbortController();
    const call = index.add(randomVectors(60_000, d, 53), { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    index.reset();
    fullGc();
    expect(process.memoryUsage().arrayBuffers - ab0).toBeLessThan(512 * 1024);
  });
});

describe('large inputs', () => {
  it('k larger than ntotal pads with -1', async () => {
    const index = new IndexHNSWFlat(d, 8);
    await index.add(randomVectors(7, d, 55));
    const { labels } = await index.search(randomVectors(1, d, 56), 40);
    expect(new Set(labels.subarray(0, 7))).toEqual(new Set([0n, 1n, 2n, 3n, 4n, 5n, 6n]));
    expect(labels.subarray(7).every((l) => l === -1n)).toBe(true);
  });
});
