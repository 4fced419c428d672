/**
 * Holding up under load and faults, scalar-quantizer family
 * (IndexScalarQuantizer, under IndexIDMap2 for ids and removal): bounded
 * concurrent stress with the distances checked against the decoded vectors,
 * cancelling a long async add and a train, and k > ntotal.
 */
import { describe, expect, it } from 'vitest';
import { IndexIDMap2, IndexScalarQuantizer } from '../src/index';
import { randomVectors } from './helpers';
import { fullGc, runStress } from './stress-harness';

const d = 32;
const train = randomVectors(5000, d, 31);

function trained(qtype: string): IndexScalarQuantizer {
  const sq = new IndexScalarQuantizer(d, qtype);
  sq.trainSync(train);
  return sq;
}

describe('stress: concurrent async searches with adds, removals and resets', () => {
  for (const qtype of ['QT_8bit', 'QT_4bit', 'QT_fp16']) {
    it(`IndexIDMap2(IndexScalarQuantizer ${qtype})`, async () => {
      const sq = trained(qtype);
      const r = await runStress({
        d,
        make: () => new IndexIDMap2(sq),
        rounds: 16,
        searchesPerRound: 6,
        nq: 6,
        k: 8,
        batch: 1500,
        removePerRound: 200,
        resetEvery: 5,
        distances: 'exact',
        stored: (x) => sq.saDecode(sq.saEncode(x)),
        tolerance: 1e-3,
        seed: qtype.length,
      });
      expect(r.failures).toEqual([]);
      expect(r.checkedLabels).toBeGreaterThan(1000);
      expect(r.memoryAfterReset).toBe(r.memoryEmpty);
      expect(sq.isTrained).toBe(true); // reset keeps the training
      expect(r.arrayBuffersPeak - r.arrayBuffersBefore).toBeGreaterThan(r.peakNtotal * sq.codeSize);
      expect(r.arrayBuffersAfter - r.arrayBuffersBefore).toBeLessThan(256 * 1024);
    });
  }
});

describe('cancelling with an AbortSignal', () => {
  it('aborting a long async add between chunks leaves the index as it was, and frees its buffer', async () => {
    const sq = trained('QT_8bit');
    const base = randomVectors(3000, d, 32);
    await sq.add(base);
    const xq = randomVectors(4, d, 33);
    const before = sq.searchSync(xq, 5);
    const big = randomVectors(300_000, d, 34); // several encode chunks
    fullGc();
    const ab0 = process.memoryUsage().arrayBuffers;
    const ac = new AbortController();
    let reports = 0;
    const call = sq.add(big, {
      signal: ac.signal,
      onProgress: () => {
        reports++;
        if (reports === 1) ac.abort();
      },
    });
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    expect(reports).toBe(1);
    expect(sq.ntotal).toBe(3000);
    expect(sq.searchSync(xq, 5)).toEqual(before);
    fullGc();
    expect(process.memoryUsage().arrayBuffers - ab0).toBeLessThan(256 * 1024);
  });

  it('an aborted train leaves an untrained index untrained', async () => {
    const sq = new IndexScalarQuantizer(d, 'QT_8bit');
    const ac = new AbortController();
    ac.abort();
    await expect(sq.train(train, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(sq.isTrained).toBe(false);
  });
});

describe('large inputs', () => {
  it('k larger than ntotal pads with -1', async () => {
    const sq = trained('QT_8bit');
    sq.addSync(randomVectors(3, d, 35));
    const { labels } = await sq.search(randomVectors(1, d, 36), 50);
    expect(new Set(labels.subarray(0, 3))).toEqual(new Set([0n, 1n, 2n]));
    expect(labels.subarray(3).every((l) => l === -1n)).toBe(true);
  });
});
