/**
 * Holding up under load and faults, flat family (IndexFlat under IndexIDMap /
 * IndexIDMap2): bounded concurrent stress, cancellation with an AbortSignal,
 * and large inputs (k > ntotal, result sizes past 2^31, and - opt-in, it
 * needs about 9 GB of memory - 2^31 floats in one index).
 */
import { describe, expect, it } from 'vitest';
import { IndexFlat, IndexFlatIP, IndexFlatL2, IndexIDMap, IndexIDMap2, MetalFaissError } from '../src/index';
import { randomVectors } from './helpers';
import { runStress } from './stress-harness';

const d = 64;

function expectClean(r: Awaited<ReturnType<typeof runStress>>): void {
  expect(r.failures).toEqual([]);
  expect(r.checkedLabels).toBeGreaterThan(1000);
  expect(r.memoryAfterReset).toBe(r.memoryEmpty);
  // the index held megabytes during the run; after reset (and a full GC) the
  // process's ArrayBuffer memory is back within 256 KiB of where it started
  expect(r.arrayBuffersPeak - r.arrayBuffersBefore).toBeGreaterThan(r.peakNtotal * d * 4);
  expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
}

describe('stress: concurrent async searches with adds, removals and resets', () => {
  it('IndexIDMap2(IndexFlatL2)', async () => {
    const r = await runStress({
      d,
      make: () => new IndexIDMap2(new IndexFlatL2(d)),
      rounds: 30,
      searchesPerRound: 6,
      nq: 8,
      k: 10,
      batch: 1000,
      removePerRound: 150,
      resetEvery: 7,
      distances: 'exact',
      seed: 1,
    });
    expectClean(r);
    expect(r.resets).toBe(4);
    expect(r.removed).toBeGreaterThan(2000);
    expect(r.peakNtotal).toBeGreaterThan(2000);
  });

  it('IndexIDMap(IndexFlatIP)', async () => {
    const r = await runStress({
      d,
      make: () => new IndexIDMap(new IndexFlatIP(d)),
      rounds: 20,
      searchesPerRound: 8,
      nq: 4,
      k: 5,
      batch: 800,
      removePerRound: 50,
      resetEvery: 6,
      distances: 'exact',
      metric: 'ip',
      seed: 2,
    });
    expectClean(r);
  });
});

describe('cancelling with an AbortSignal', () => {
  const xb = randomVectors(2000, d, 11);
  const xq = randomVectors(5, d, 12);

  it('an aborted add rejects with ABORTED and leaves the index as it was', async () => {
    for (const make of [() => new IndexFlatL2(d), () => new IndexIDMap2(new IndexFlatL2(d))]) {
      const index = make();
      const ids = BigInt64Array.from({ length: 2000 }, (_, i) => BigInt(i) + 100n);
      if (index instanceof IndexIDMap) await index.addWithIds(xb, ids);
      else await index.add(xb);
      const before = index.searchSync(xq, 7);
      const memory = index.memoryBytes();
      const ac = new AbortController();
      ac.abort(new Error('user pressed stop'));
      const more = randomVectors(100, d, 13);
      const call =
        index instanceof IndexIDMap
          ? index.addWithIds(more, BigInt64Array.from({ length: 100 }, (_, i) => BigInt(i) + 10000n), { signal: ac.signal })
          : index.add(more, { signal: ac.signal });
      await expect(call).rejects.toMatchObject({ code: 'ABORTED', message: expect.stringMatching(/was aborted: user pressed stop; the index is unchanged/) });
      expect(index.ntotal).toBe(2000);
      expect(index.memoryBytes()).toBe(memory);
      expect(index.searchSync(xq, 7)).toEqual(before);
    }
  });

  it('an aborted train rejects with ABORTED; a signal that is never aborted changes nothing', async () => {
    const index = new IndexFlat(d);
    const ac = new AbortController();
    ac.abort();
    await expect(index.train(xb, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const live = new AbortController();
    await index.add(xb, { signal: live.signal });
    expect(index.ntotal).toBe(2000);
  });

  it('refuses a signal that is not an AbortSignal', async () => {
    const index = new IndexFlatL2(d);
    await expect(index.add(xb, { signal: 'stop' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/AbortSignal/) });
    await expect(index.add(xb, 5 as never)).rejects.toBeInstanceOf(MetalFaissError);
    expect(index.ntotal).toBe(0);
  });
});

describe('large inputs', () => {
  it('k larger than ntotal: the results are padded with label -1, as FAISS does', async () => {
    const index = new IndexFlatL2(d);
    index.addSync(randomVectors(3, d, 21));
    const { labels, distances } = await index.search(randomVectors(2, d, 22), 1000);
    for (let q = 0; q < 2; q++) {
      expect(new Set(labels.subarray(q * 1000, q * 1000 + 3))).toEqual(new Set([0n, 1n, 2n]));
      expect(labels.subarray(q * 1000 + 3, (q + 1) * 1000).every((l) => l === -1n)).toBe(true);
      expect(distances.subarray(q * 1000, q * 1000 + 3).every(Number.isFinite)).toBe(true);
    }
  });

  it('result buffers past 2^31 - 1 slots fail clearly instead of wrapping', () => {
    const index = new IndexFlatL2(1);
    index.addSync(new Float32Array([1, 2, 3]));
    const xq = new Float32Array(1 << 12);
    expect(() => index.searchSync(xq, 1 << 19)).toThrow(/nq \* k <= 2147483647 .* received nq = 4096, k = 524288 \(2147483648\)/);
  });

  // 2^31 floats = 8 GiB added in one call (the index copies them: 16 GiB at the peak). Opt in with
  // METALFAISS_STRESS_HUGE=1 on a machine with >= 20 GB free.
  it.runIf(process.env.METALFAISS_STRESS_HUGE === '1')('adding 2^31 floats in one call: ntotal, search and reconstruct reach the rows past 2^31 floats', async () => {
    const dd = 1024;
    const n = 2 ** 31 / dd + 8; // 2,097,160 rows: the last rows start past float 2^31
    const last = n - 3;
    const index = new IndexFlatL2(dd);
    {
      const xb = new Float32Array(n * dd); // zeros, 8 GiB
      xb.fill(1, last * dd, (last + 1) * dd);
      await index.add(xb);
    }
    expect(index.ntotal).toBe(n);
    expect(index.memoryBytes()).toBe(n * dd * 4);
    const xq = new Float32Array(dd).fill(1);
    const { labels, distances } = await index.search(xq, 2);
    expect(labels[0]).toBe(BigInt(last));
    expect(distances[0]).toBe(0);
    expect(distances[1]).toBe(dd);
    expect(Array.from(index.reconstruct(last).subarray(0, 4))).toEqual([1, 1, 1, 1]);
  }, 600_000);
});
