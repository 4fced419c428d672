/**
 * Holding up under load and faults, binary family (IndexBinaryFlat under
 * IndexBinaryIDMap2, IndexBinaryHNSW under IndexBinaryIDMap) and IndexLSH
 * (binary codes of float vectors, under IndexIDMap2): bounded concurrent
 * stress with Hamming distances checked exactly against the stored codes,
 * cancellation, and k > ntotal.
 */
import { describe, expect, it } from 'vitest';
import { IndexBinaryFlat, IndexBinaryHNSW, IndexBinaryIDMap, IndexBinaryIDMap2, IndexIDMap2, IndexLSH } from '../src/index';
import { randomVectors } from './helpers';
import { codesOf, runStress } from './stress-harness';

const dBits = 256;

function expectClean(r: Awaited<ReturnType<typeof runStress>>, bytesPerVector: number): void {
  expect(r.failures).toEqual([]);
  expect(r.checkedLabels).toBeGreaterThan(1000);
  expect(r.memoryAfterReset).toBe(r.memoryEmpty);
  expect(r.arrayBuffersPeak - r.arrayBuffersBefore).toBeGreaterThan(r.peakNtotal * bytesPerVector);
  expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
}

describe('stress: concurrent async searches with adds, removals and resets', () => {
  it('IndexBinaryIDMap2(IndexBinaryFlat)', async () => {
    const r = await runStress({
      d: dBits,
      kind: 'binary',
      make: () => new IndexBinaryIDMap2(new IndexBinaryFlat(dBits)),
      rounds: 20,
      searchesPerRound: 6,
      nq: 6,
      k: 10,
      batch: 3000,
      removePerRound: 400,
      resetEvery: 6,
      distances: 'exact',
      seed: 6,
    });
    expectClean(r, dBits / 8);
  });

  it('IndexBinaryIDMap(IndexBinaryHNSW M=16) (no removal in HNSW)', async () => {
    const r = await runStress({
      d: dBits,
      kind: 'binary',
      make: () => new IndexBinaryIDMap(new IndexBinaryHNSW(dBits, 16)),
      rounds: 10,
      searchesPerRound: 6,
      nq: 5,
      k: 10,
      batch: 700,
      removePerRound: 0,
      resetEvery: 4,
      distances: 'exact',
      results: 'partial',
      searchParams: { efSearch: 32 },
      seed: 7,
    });
    expectClean(r, dBits / 8);
  });

  it('IndexIDMap2(IndexLSH 64 bits)', async () => {
    const d = 32;
    const r = await runStress({
      d,
      make: () => new IndexIDMap2(new IndexLSH(d, 64)),
      rounds: 16,
      searchesPerRound: 6,
      nq: 6,
      k: 10,
      batch: 2000,
      removePerRound: 300,
      resetEvery: 5,
      distances: 'approximate',
      seed: 8,
    });
    expect(r.failures).toEqual([]);
    expect(r.checkedLabels).toBeGreaterThan(1000);
    expect(r.memoryAfterReset).toBe(r.memoryEmpty);
    expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
  });
});

describe('cancelling with an AbortSignal', () => {
  it('an aborted add leaves a binary index as it was', async () => {
    const index = new IndexBinaryFlat(dBits);
    const base = codesOf(BigInt64Array.from({ length: 500 }, (_, i) => BigInt(i)), dBits);
    await index.add(base);
    const xq = codesOf(BigInt64Array.from([-1n, -2n]), dBits);
    const before = index.searchSync(xq, 5);
    const ac = new AbortController();
    ac.abort();
    await expect(index.add(base, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(index.ntotal).toBe(500);
    expect(index.searchSync(xq, 5)).toEqual(before);
  });

  it('aborting a long LSH add mid-way leaves it as it was', async () => {
    const lsh = new IndexLSH(32, 64);
    await lsh.add(randomVectors(1000, 32, 61));
    const memory = lsh.memoryBytes();
    const ac = new AbortController();
    let reports = 0;
    const call = lsh.add(randomVectors(300_000, 32, 62), {
      signal: ac.signal,
      onProgress: () => {
        if (++reports === 1) ac.abort();
      },
    });
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(lsh.ntotal).toBe(1000);
    expect(lsh.memoryBytes()).toBe(memory);
  });
});

describe('large inputs', () => {
  it('k larger than ntotal pads with -1 (binary flat)', async () => {
    const index = new IndexBinaryFlat(dBits);
    await index.add(codesOf(BigInt64Array.from({ length: 4 }, (_, i) => BigInt(i)), dBits));
    const { labels } = await index.search(codesOf(BigInt64Array.from([-1n]), dBits), 30);
    expect(new Set(labels.subarray(0, 4))).toEqual(new Set([0n, 1n, 2n, 3n]));
    expect(labels.subarray(4).every((l) => l === -1n)).toBe(true);
  });
});
