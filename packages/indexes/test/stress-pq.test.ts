/**
 * Holding up under load and faults, product-quantizer family (IndexPQ under
 * IndexIDMap2, IndexIVFPQ and IndexIVFScalarQuantizer with their own ids):
 * bounded concurrent stress with distances checked against the decoded codes
 * (IndexPQ) or for order and validity (IVF with residual codes), cancelling a
 * long PQ training and a long IVF-PQ add, and k > ntotal.
 */
import { describe, expect, it } from 'vitest';
import { IndexIDMap2, IndexIVFPQ, IndexIVFScalarQuantizer, IndexPQ } from '../src/index';
import { randomVectors } from './helpers';
import { fullGc, runStress } from './stress-harness';

const d = 32;
const train = randomVectors(6000, d, 71);

function expectClean(r: Awaited<ReturnType<typeof runStress>>, bytesPerVector: number): void {
  expect(r.failures).toEqual([]);
  expect(r.checkedLabels).toBeGreaterThan(1000);
  expect(r.memoryAfterReset).toBe(r.memoryEmpty);
  expect(r.arrayBuffersPeak - r.arrayBuffersBefore).toBeGreaterThan(r.peakNtotal * bytesPerVector);
  expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
}

describe('stress: concurrent async searches with adds, removals and resets', () => {
  it('IndexIDMap2(IndexPQ M=8): distances are those to the decoded codes', async () => {
    const pq = new IndexPQ(d, 8, 8);
    await pq.train(train);
    const r = await runStress({
      d,
      make: () => new IndexIDMap2(pq),
      rounds: 16,
      searchesPerRound: 6,
      nq: 6,
      k: 10,
      batch: 2000,
      removePerRound: 300,
      resetEvery: 5,
      distances: 'exact',
      stored: (x) => pq.saDecode(pq.saEncode(x)),
      tolerance: 1e-3,
      seed: 9,
    });
    expectClean(r, 8);
    expect(pq.isTrained).toBe(true);
  });

  it('IndexIVFPQ (nlist 16, M=8) with its own ids', async () => {
    const ivf = new IndexIVFPQ(d, 16, 8, 8);
    await ivf.train(train);
    const r = await runStress({
      d,
      make: () => ivf,
      rounds: 14,
      searchesPerRound: 6,
      nq: 6,
      k: 10,
      batch: 2000,
      removePerRound: 300,
      resetEvery: 5,
      distances: 'approximate',
      results: 'partial',
      searchParams: { nprobe: 4 },
      seed: 10,
    });
    expectClean(r, 8);
  });

  it('IndexIVFScalarQuantizer (nlist 16, 8-bit) with its own ids', async () => {
    const ivf = new IndexIVFScalarQuantizer(d, 16, 'QT_8bit');
    await ivf.train(train);
    const r = await runStress({
      d,
      make: () => ivf,
      rounds: 14,
      searchesPerRound: 6,
      nq: 6,
      k: 10,
      batch: 2000,
      removePerRound: 300,
      resetEvery: 5,
      distances: 'approximate',
      results: 'partial',
      searchParams: { nprobe: 4 },
      seed: 11,
    });
    expectClean(r, d);
  });
});

describe('cancelling with an AbortSignal', () => {
  it('aborting a long PQ training leaves the index untrained', async () => {
    const pq = new IndexPQ(64, 16, 8);
    const ac = new AbortController();
    let reports = 0;
    // abort at the first progress report: the training has started, and has 16 sub-quantizers to go
    const call = pq.train(randomVectors(60_000, 64, 72), { signal: ac.signal, onProgress: () => reports++ === 0 && ac.abort() });
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(reports).toBeGreaterThan(0);
    expect(pq.isTrained).toBe(false);
  });

  it('aborting a long IVF-PQ add mid-way leaves ntotal, memory and results as they were', async () => {
    const ivf = new IndexIVFPQ(d, 16, 8, 8);
    await ivf.train(train);
    await ivf.add(randomVectors(3000, d, 73));
    const xq = randomVectors(4, d, 74);
    const before = ivf.searchSync(xq, 5, { nprobe: 4 });
    const memory = ivf.memoryBytes();
    fullGc();
    const ab0 = process.memoryUsage().arrayBuffers;
    const ac = new AbortController();
    const call = ivf.add(randomVectors(400_000, d, 75), { signal: ac.signal });
    setImmediate(() => ac.abort());
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(ivf.ntotal).toBe(3000);
    expect(ivf.memoryBytes()).toBe(memory);
    expect(ivf.searchSync(xq, 5, { nprobe: 4 })).toEqual(before);
    fullGc();
    expect(process.memoryUsage().arrayBuffers - ab0).toBeLessThan(256 * 1024);
  });
});

describe('large inputs', () => {
  it('k larger than ntotal pads with -1 (IndexPQ)', async () => {
    const pq = new IndexPQ(d, 8, 8);
    await pq.train(train);
    await pq.add(randomVectors(5, d, 76));
    const { labels } = await pq.search(randomVectors(1, d, 77), 20);
    expect(new Set(labels.subarray(0, 5))).toEqual(new Set([0n, 1n, 2n, 3n, 4n]));
    expect(labels.subarray(5).every((l) => l === -1n)).toBe(true);
  });
});
