import { describe, expect, it } from 'vitest';
import { IndexFlatL2, IndexIDMap, IndexIDMap2, IDSelectorRange, MetalFaissError } from '../src/index';
import { bruteForce, randomVectors } from './helpers';

const d = 8;
const xb = randomVectors(100, d, 11);
const xq = randomVectors(5, d, 12);
const big = 2n ** 53n + 1n; // not representable as a double

describe('IndexIDMap', () => {
  it('maps labels to 64-bit ids exactly', () => {
    const index = new IndexIDMap(new IndexFlatL2(d));
    const ids = new BigInt64Array(100).map((_, i) => big + BigInt(i * 3));
    index.addWithIdsSync(xb, ids);
    const r = index.searchSync(xq, 4);
    const want = bruteForce(xq, xb, d, 4, 'l2');
    for (let q = 0; q < 5; q++) {
      for (let j = 0; j < 4; j++) expect(r.labels[q * 4 + j]).toBe(big + BigInt(want.I[q][j] * 3));
    }
  });

  it('refuses add without ids and keeps state on bad ids', () => {
    const index = new IndexIDMap(new IndexFlatL2(d));
    expect(() => index.addSync(xb)).toThrow(/addWithIds/);
    expect(() => index.addWithIdsSync(xb, [1, 2])).toThrow(MetalFaissError);
    expect(() => index.addWithIdsSync(xb.subarray(0, d), [1.5])).toThrow(/integer id/);
    expect(index.ntotal).toBe(0);
    expect(index.index.ntotal).toBe(0);
  });

  it('removes by id and keeps the table aligned', () => {
    const index = new IndexIDMap(new IndexFlatL2(d));
    index.addWithIdsSync(xb.subarray(0, 10 * d), Array.from({ length: 10 }, (_, i) => 100 + i));
    expect(index.removeIds(new IDSelectorRange(102, 105))).toBe(3);
    expect(Array.from(index.idMap, Number)).toEqual([100, 101, 105, 106, 107, 108, 109]);
    const r = index.searchSync(xb.subarray(5 * d, 6 * d), 1);
    expect(r.labels[0]).toBe(105n);
  });
});

describe('IndexIDMap2', () => {
  it('reconstructs by id, after removals too', () => {
    const index = new IndexIDMap2(new IndexFlatL2(d));
    index.addWithIdsSync(xb.subarray(0, 4 * d), [big, big + 1n, 7n, 9n]);
    expect(Array.from(index.reconstruct(7n))).toEqual(Array.from(xb.subarray(2 * d, 3 * d)));
    index.removeIds([big]);
    expect(Array.from(index.reconstruct(big + 1n))).toEqual(Array.from(xb.subarray(d, 2 * d)));
    expect(() => index.reconstruct(big)).toThrow(/present/);
  });

  it('rejects duplicate ids', () => {
    const index = new IndexIDMap2(new IndexFlatL2(d));
    index.addWithIdsSync(xb.subarray(0, d), [5]);
    expect(() => index.addWithIdsSync(xb.subarray(0, 2 * d), [6, 5])).toThrow(/duplicate id 5/);
    expect(index.ntotal).toBe(1);
  });
});
