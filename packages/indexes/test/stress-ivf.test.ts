/**
 * Holding up under load and faults, IVF family (IndexIVFFlat): bounded
 * concurrent stress (async searches at nprobe 8 while adds, removals and
 * resets run; distances checked against the stored vectors), cancelling a
 * long k-means training and a long add mid-way, and k > ntotal.
 */
import { describe, expect, it } from 'vitest';
import { IndexIVFFlat } from '../src/index';
import { randomVectors } from './helpers';
import { fullGc, runStress } from './stress-harness';

const d = 32;
const nlist = 32;
const train = randomVectors(4000, d, 41);

async function trainedIvf(): Promise<IndexIVFFlat> {
  const ivf = new IndexIVFFlat(d, nlist);
  await ivf.train(train);
  return ivf;
}

describe('stress: concurrent async searches with adds, removals and resets', () => {
  it('IndexIVFFlat (ids stored by the index itself)', async () => {
    const ivf = await trainedIvf();
    const r = await runStress({
      d,
      make: () => ivf,
      rounds: 20,
      searchesPerRound: 6,
      nq: 6,
      k: 10,
      batch: 1500,
      removePerRound: 250,
      resetEvery: 6,
      distances: 'exact',
      results: 'partial',
      searchParams: { nprobe: 8 },
      seed: 4,
    });
    expect(r.failures).toEqual([]);
    expect(r.checkedLabels).toBeGreaterThan(1000);
    expect(r.memoryAfterReset).toBe(r.memoryEmpty);
    expect(ivf.isTrained).toBe(true);
    expect(r.arrayBuffersPeak - r.arrayBuffersBefore).toBeGreaterThan(r.peakNtotal * d * 4);
    expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
  });
});

describe('cancelling with an AbortSignal', () => {
  it('aborting a long k-means training leaves the index untrained and its quantizer empty', async () => {
    // 1024 centroids from 102400 points: seconds of k-means even on an idle machine; aborted after 50 ms
    const ivf = new IndexIVFFlat(64, 1024);
    const big = randomVectors(1024 * 100, 64, 42);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error('deadline')), 50);
    const t0 = performance.now();
    await expect(ivf.train(big, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    clearTimeout(timer);
    expect(performance.now() - t0).toBeLessThan(60_000);
    expect(ivf.isTrained).toBe(false);
    expect(ivf.quantizer.ntotal).toBe(0);
  });

  it('aborting a long add mid-way leaves ntotal, the lists and the results as they were', async () => {
    const ivf = await trainedIvf();
    await ivf.add(randomVectors(2000, d, 43));
    const xq = randomVectors(5, d, 44);
    const before = ivf.searchSync(xq, 5, { nprobe: 4 });
    const memory = ivf.memoryBytes();
    fullGc();
    const ab0 = process.memoryUsage().arrayBuffers;
    const ac = new AbortController();
    const call = ivf.add(randomVectors(400_000, d, 45), { signal: ac.signal });
    setImmediate(() => ac.abort());
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(ivf.ntotal).toBe(2000);
    expect(ivf.memoryBytes()).toBe(memory);
    expect(ivf.searchSync(xq, 5, { nprobe: 4 })).toEqual(before);
    fullGc();
    expect(process.memoryUsage().arrayBuffers - ab0).toBeLessThan(256 * 1024);
  });
});

describe('large inputs', () => {
  it('k larger than what the probed lists hold pads with -1, as FAISS does', async () => {
    const ivf = await trainedIvf();
    await ivf.add(randomVectors(20, d, 46));
    const { labels } = await ivf.search(randomVectors(2, d, 47), 100, { nprobe: nlist });
    for (let q = 0; q < 2; q++) {
      expect(new Set(labels.subarray(q * 100, q * 100 + 20))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => BigInt(i))));
      expect(labels.subarray(q * 100 + 20, (q + 1) * 100).every((l) => l === -1n)).toBe(true);
    }
  });
});
