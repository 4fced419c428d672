import { describe, expect, it } from 'vitest';
import { IndexFlatL2, IndexIDMap2 } from '../src/index';
import { randomVectors } from './helpers';

const d = 64;

describe('mutations during async searches', () => {
  it('an add while a search runs: the search sees the index as it started', async () => {
    const base = randomVectors(20000, d, 3);
    const extra = randomVectors(20000, d, 4);
    const xq = randomVectors(50, d, 5);
    const index = new IndexFlatL2(d);
    index.addSync(base);
    const expected = index.searchSync(xq, 10);
    const pending = index.search(xq, 10);
    index.addSync(extra); // may reallocate, or write past the snapshot
    const got = await pending;
    expect(Array.from(got.labels)).toEqual(Array.from(expected.labels));
    expect(index.ntotal).toBe(40000);
  });

  it('removals and resets during searches never tear results', async () => {
    const base = randomVectors(5000, d, 6);
    const xq = randomVectors(20, d, 7);
    const index = new IndexFlatL2(d);
    index.addSync(base);
    const expected = index.searchSync(xq, 5);
    const searches = [];
    for (let round = 0; round < 10; round++) {
      searches.push(index.search(xq, 5));
      if (round % 3 === 0) index.removeIds([0, 1, 2]);
      if (round === 5) index.reset();
      if (round === 6) index.addSync(base);
    }
    const results = await Promise.all(searches);
    // the first search started before any mutation: it must equal the sync result
    expect(Array.from(results[0].labels)).toEqual(Array.from(expected.labels));
    for (const r of results) {
      for (let i = 0; i < r.labels.length; i++) expect(r.labels[i] >= -1n && r.labels[i] < 5000n).toBe(true);
      for (let i = 0; i < r.distances.length; i++) expect(Number.isNaN(r.distances[i])).toBe(false);
    }
  });

  it('IndexIDMap2 maps labels through the id table as it was', async () => {
    const base = randomVectors(3000, d, 8);
    const xq = randomVectors(10, d, 9);
    const index = new IndexIDMap2(new IndexFlatL2(d));
    const ids = new BigInt64Array(3000).map((_, i) => 2n ** 60n + BigInt(i));
    index.addWithIdsSync(base, ids);
    const expected = index.searchSync(xq, 5);
    const pending = index.search(xq, 5);
    index.removeIds(ids.subarray(0, 1500));
    const got = await pending;
    expect(Array.from(got.labels)).toEqual(Array.from(expected.labels));
  });
});
