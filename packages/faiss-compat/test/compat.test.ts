import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = s / 2147483648;
  }
  return x;
}

describe('FAISS Python names', () => {
  it('ports the FAISS tutorial line by line', () => {
    const d = 64;
    const nb = 1000;
    const nq = 10;
    const xb = rand(nb * d, 1);
    const xq = rand(nq * d, 2);
    const index = new faiss.IndexFlatL2(d);
    expect(index.is_trained).toBe(true);
    index.add(xb);
    expect(index.ntotal).toBe(nb);
    const [D, I] = index.search(xb.subarray(0, 5 * d), 4);
    for (let i = 0; i < 5; i++) {
      expect(I[i * 4]).toBe(BigInt(i));
      expect(D[i * 4]).toBe(0);
    }
    const [D2, I2] = index.search(xq, 4);
    expect(D2.length).toBe(40);
    expect(I2).toBeInstanceOf(BigInt64Array);
  });

  it('IndexFlat(d, metric), metric constants and metric_type', () => {
    expect(faiss.METRIC_L2).toBe(1);
    expect(faiss.METRIC_INNER_PRODUCT).toBe(0);
    const ip = new faiss.IndexFlat(3, faiss.METRIC_INNER_PRODUCT);
    expect(ip.metric_type).toBe(0);
    ip.add([[1, 0, 0], [0, 2, 0]]);
    const [D, I] = ip.search([[0, 1, 0]], 2);
    expect(Array.from(I, Number)).toEqual([1, 0]);
    expect(Array.from(D)).toEqual([2, 0]);
    expect(new faiss.IndexFlatIP(3).metric_type).toBe(faiss.METRIC_INNER_PRODUCT);
  });

  it('range_search returns [lims, D, I]', () => {
    const index = new faiss.IndexFlatL2(1);
    index.add(new Float32Array([0, 1, 2, 3]));
    const [lims, D, I] = index.range_search(new Float32Array([0, 3]), 1.5);
    expect(Array.from(lims, Number)).toEqual([0, 2, 4]);
    expect(Array.from(I, Number)).toEqual([0, 1, 2, 3]);
    expect(Array.from(D)).toEqual([0, 1, 1, 0]);
  });

  it('remove_ids, reconstruct, reconstruct_n, reset', () => {
    const index = new faiss.IndexFlatL2(2);
    index.add([[0, 0], [1, 1], [2, 2]]);
    expect(index.remove_ids(new BigInt64Array([1n]))).toBe(1);
    expect(Array.from(index.reconstruct(1))).toEqual([2, 2]);
    expect(Array.from(index.reconstruct_n(0, 2))).toEqual([0, 0, 2, 2]);
    expect(Array.from(index.reconstruct_n())).toEqual([0, 0, 2, 2]);
    index.reset();
    expect(index.ntotal).toBe(0);
  });

  it('IndexIDMap add_with_ids', () => {
    const index = new faiss.IndexIDMap(new faiss.IndexFlatL2(2));
    index.add_with_ids([[0, 0], [5, 5]], [10n, 20n]);
    const [, I] = index.search([[4, 4]], 1);
    expect(I[0]).toBe(20n);
    expect(Array.from(index.id_map)).toEqual([10n, 20n]);
    const idmap2 = new faiss.IndexIDMap2(new faiss.IndexFlatL2(2));
    idmap2.add_with_ids([[1, 2]], [42]);
    expect(Array.from(idmap2.reconstruct(42n))).toEqual([1, 2]);
  });

  it('async twins', async () => {
    const index = new faiss.IndexFlatL2(2);
    await index.add_async([[0, 0], [1, 1]]);
    const [D, I] = await index.search_async([[1, 1]], 1);
    expect(I[0]).toBe(1n);
    expect(D[0]).toBe(0);
    const [lims] = await index.range_search_async([[0, 0]], 0.5);
    expect(Array.from(lims, Number)).toEqual([0, 1]);
    await expect(index.search_async([[1, 1]], 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('normalize_L2 in place, knn, omp threads', () => {
    const x = new Float32Array([3, 4, 0, 5]);
    faiss.normalize_L2(x, 2);
    expect(Array.from(x).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.6, 0.8, 0, 1]);
    const rows = [[3, 4]];
    faiss.normalize_L2(rows);
    expect(rows[0][0]).toBeCloseTo(0.6);
    expect(() => faiss.normalize_L2(x)).toThrow(/dimension d/);
    const [D, I] = faiss.knn([[0, 0]], [[1, 1], [0, 1]], 1, faiss.METRIC_L2);
    expect(I[0]).toBe(1n);
    expect(D[0]).toBe(1);
    const before = faiss.omp_get_max_threads();
    faiss.omp_set_num_threads(1);
    expect(faiss.omp_get_max_threads()).toBe(1);
    faiss.omp_set_num_threads(before);
  });

  it('bad input gets MetalFaissError', () => {
    const index = new faiss.IndexFlatL2(4);
    expect(() => index.add(new Float32Array(3))).toThrow(faiss.MetalFaissError);
    expect(() => index.search(new Float32Array(4), -1)).toThrow(/k > 0/);
  });
});
