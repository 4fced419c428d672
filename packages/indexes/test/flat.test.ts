import { describe, expect, it } from 'vitest';
import { IndexFlat, IndexFlatIP, IndexFlatL2, IDSelectorRange, MetalFaissError, MetricType } from '../src/index';
import { bruteForce, randomVectors } from './helpers';

const d = 24;
const xb = randomVectors(500, d, 1);
const xq = randomVectors(20, d, 2);

function labelsOf(I: BigInt64Array, q: number, k: number): number[] {
  return Array.from(I.subarray(q * k, (q + 1) * k), Number);
}

describe('IndexFlat search', () => {
  for (const metric of ['l2', 'ip'] as const) {
    it(`matches float64 brute force (${metric})`, async () => {
      const index = new IndexFlat(d, { metric });
      index.addSync(xb);
      expect(index.ntotal).toBe(500);
      const k = 7;
      const want = bruteForce(xq, xb, d, k, metric);
      for (const r of [index.searchSync(xq, k), await index.search(xq, k)]) {
        for (let q = 0; q < 20; q++) {
          expect(labelsOf(r.labels, q, k)).toEqual(want.I[q]);
          for (let j = 0; j < k; j++) expect(r.distances[q * k + j]).toBeCloseTo(want.D[q][j], 3);
        }
      }
    });
  }

  it('pads with -1 and +Infinity when k > ntotal (L2), -Infinity (IP)', () => {
    const l2 = new IndexFlatL2(d);
    l2.addSync(xb.subarray(0, 3 * d));
    const r = l2.searchSync(xq.subarray(0, d), 5);
    expect(Array.from(r.labels.subarray(3), Number)).toEqual([-1, -1]);
    expect(r.distances[3]).toBe(Infinity);
    const ip = new IndexFlatIP(d);
    ip.addSync(xb.subarray(0, 2 * d));
    const r2 = ip.searchSync(xq.subarray(0, d), 4);
    expect(Array.from(r2.labels.subarray(2), Number)).toEqual([-1, -1]);
    expect(r2.distances[2]).toBe(-Infinity);
  });

  it('searches an empty index', () => {
    const index = new IndexFlatL2(d);
    const r = index.searchSync(xq.subarray(0, d), 3);
    expect(Array.from(r.labels, Number)).toEqual([-1, -1, -1]);
  });

  it('breaks ties by the lower index', () => {
    const index = new IndexFlatL2(2);
    index.addSync(new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]));
    const r = index.searchSync(new Float32Array([0, 0]), 4);
    expect(Array.from(r.labels, Number)).toEqual([0, 1, 2, 3]);
  });

  it('accepts an array of rows', () => {
    const index = new IndexFlatL2(2);
    index.addSync([
      [0, 0],
      [5, 5],
    ]);
    const r = index.searchSync([[4, 4]], 1);
    expect(Number(r.labels[0])).toBe(1);
    expect(r.distances[0]).toBeCloseTo(2);
  });

  it('filters with a selector', () => {
    const index = new IndexFlatL2(d);
    index.addSync(xb);
    const r = index.searchSync(xq, 5, { selector: new IDSelectorRange(100, 200) });
    for (const l of r.labels) expect(l >= 100n && l < 200n).toBe(true);
    const want = bruteForce(xq.subarray(0, d), xb.subarray(100 * d, 200 * d), d, 5, 'l2');
    expect(labelsOf(r.labels, 0, 5)).toEqual(want.I[0].map((i) => i + 100));
  });
});

describe('IndexFlat rangeSearch', () => {
  for (const metric of ['l2', 'ip'] as const) {
    it(`returns exactly the vectors within the radius (${metric})`, async () => {
      const index = new IndexFlat(d, { metric });
      index.addSync(xb);
      const all = bruteForce(xq, xb, d, 500, metric);
      // radius between the 10th and 11th result of query 0 keeps ~10 results
      const radius = (all.D[0][9] + all.D[0][10]) / 2;
      for (const r of [index.rangeSearchSync(xq, radius), await index.rangeSearch(xq, radius)]) {
        expect(r.lims.length).toBe(21);
        for (let q = 0; q < 20; q++) {
          const got = Array.from(r.labels.subarray(Number(r.lims[q]), Number(r.lims[q + 1])), Number).sort((a, b) => a - b);
          const want = all.I[q]
            .filter((_, j) => (metric === 'l2' ? all.D[q][j] < radius : all.D[q][j] > radius))
            .sort((a, b) => a - b);
          expect(got).toEqual(want);
        }
      }
    });
  }
});

describe('IndexFlat storage operations', () => {
  it('removeIds compacts storage and shifts labels like FAISS', () => {
    const index = new IndexFlatL2(d);
    index.addSync(xb.subarray(0, 10 * d));
    expect(index.removeIds([1, 3, 3])).toBe(2);
    expect(index.ntotal).toBe(8);
    expect(Array.from(index.reconstruct(1))).toEqual(Array.from(xb.subarray(2 * d, 3 * d)));
    expect(index.removeIds(new IDSelectorRange(0, 2))).toBe(2);
    expect(Array.from(index.reconstruct(0))).toEqual(Array.from(xb.subarray(4 * d, 5 * d)));
    expect(index.removeIds([100])).toBe(0);
  });

  it('reconstructs one vector and ranges', () => {
    const index = new IndexFlatL2(d);
    index.addSync(xb.subarray(0, 10 * d));
    expect(Array.from(index.reconstruct(7n))).toEqual(Array.from(xb.subarray(7 * d, 8 * d)));
    expect(Array.from(index.reconstructN(2, 3))).toEqual(Array.from(xb.subarray(2 * d, 5 * d)));
    expect(() => index.reconstruct(10)).toThrow(MetalFaissError);
    expect(() => index.reconstructN(8, 3)).toThrow(/i0 \+ n <= ntotal/);
  });

  it('reset empties and keeps working', () => {
    const index = new IndexFlatL2(d);
    index.addSync(xb);
    index.reset();
    expect(index.ntotal).toBe(0);
    expect(index.memoryBytes()).toBe(0);
    index.addSync(xb.subarray(0, d));
    expect(index.ntotal).toBe(1);
  });

  it('grows over many small adds', () => {
    const index = new IndexFlatL2(d);
    for (let i = 0; i < 500; i++) index.addSync(xb.subarray(i * d, (i + 1) * d));
    expect(Array.from(index.vectors)).toEqual(Array.from(xb));
    expect(index.memoryBytes()).toBe(500 * d * 4);
  });

  it('addWithIds on a flat index says to use IndexIDMap', () => {
    const index = new IndexFlatL2(d);
    expect(() => index.addWithIdsSync(xb.subarray(0, d), [1])).toThrow(/IndexIDMap/);
    try {
      index.addWithIdsSync(xb.subarray(0, d), [1]);
    } catch (e) {
      expect((e as MetalFaissError).code).toBe('UNSUPPORTED');
    }
  });
});

describe('bad input', () => {
  const index = new IndexFlatL2(4);
  index.addSync(new Float32Array(8));
  const cases: [string, () => unknown, string, RegExp][] = [
    ['d = 0', () => new IndexFlatL2(0), 'INVALID_ARGUMENT', /integer in \[1, 1048576\] for d, received number 0/],
    ['length not multiple of d', () => index.addSync(new Float32Array(7)), 'DIMENSION_MISMATCH', /multiple of d = 4 for x, received Float32Array of length 7/],
    ['wrong array type', () => index.addSync(new Float64Array(8) as unknown as Float32Array), 'INVALID_ARGUMENT', /received Float64Array/],
    ['row of wrong length', () => index.addSync([[1, 2, 3]]), 'DIMENSION_MISMATCH', /expected 4 components/],
    ['NaN', () => index.addSync(new Float32Array([0, 0, NaN, 0])), 'INVALID_ARGUMENT', /finite values in x, received NaN at row 0, component 2/],
    ['Infinity in queries', () => index.searchSync(new Float32Array([0, Infinity, 0, 0]), 1), 'INVALID_ARGUMENT', /Infinity/],
    ['k = 0', () => index.searchSync(new Float32Array(4), 0), 'INVALID_ARGUMENT', /k > 0 for k, received number 0/],
    ['k negative', () => index.searchSync(new Float32Array(4), -3), 'INVALID_ARGUMENT', /k > 0/],
    ['k fractional', () => index.searchSync(new Float32Array(4), 1.5), 'INVALID_ARGUMENT', /k > 0/],
    ['radius NaN', () => index.rangeSearchSync(new Float32Array(4), NaN), 'INVALID_ARGUMENT', /not NaN\) for radius/],
    ['query dims', () => index.searchSync(new Float32Array(5), 1), 'DIMENSION_MISMATCH', /xq/],
    ['metric', () => new IndexFlat(4, { metric: 'cosine' as never }), 'INVALID_ARGUMENT', /for metric/],
    ['other FAISS metric', () => new IndexFlat(4, { metric: 2 as never }), 'UNSUPPORTED', /L1/],
  ];
  for (const [name, fn, code, msg] of cases) {
    it(`${name} -> ${code}`, () => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MetalFaissError);
      expect((err as MetalFaissError).code).toBe(code);
      expect((err as MetalFaissError).message).toMatch(msg);
      expect(index.ntotal).toBe(2);
    });
  }

  it('async search rejects with the same errors', async () => {
    await expect(index.search(new Float32Array(4), 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('uses FAISS metric codes', () => {
    expect(MetricType.L2).toBe(1);
    expect(MetricType.INNER_PRODUCT).toBe(0);
    expect(new IndexFlatIP(3).metricType).toBe(0);
  });
});
