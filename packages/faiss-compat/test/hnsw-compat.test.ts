/**
 * The FAISS Python surface of the HNSW / binary / LSH classes: field names,
 * shims, per-call parameters, factory strings, errors.
 */
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';

function rows(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return new Float32Array(n * d).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  });
}

describe('HNSW compat surface', () => {
  it('index.hnsw fields, set_efSearch / set_efConstruction shims, SearchParametersHNSW', () => {
    const d = 16;
    const x = rows(2000, d, 1);
    const index = new faiss.IndexHNSWFlat(d, 16);
    expect(index.hnsw.efSearch).toBe(16);
    expect(index.hnsw.efConstruction).toBe(40);
    index.set_efConstruction(64);
    expect(index.hnsw.efConstruction).toBe(64);
    index.add(x);
    index.set_efSearch(48);
    expect(index.hnsw.efSearch).toBe(48);
    index.hnsw.efSearch = 32;
    expect(index.hnsw.max_level).toBeGreaterThanOrEqual(0);
    expect(index.hnsw.levels.length).toBe(2000);
    expect(index.hnsw.nb_neighbors(0)).toBe(32);
    expect(Array.from(index.hnsw.cum_nneighbor_per_level.subarray(0, 3))).toEqual([0, 32, 48]);
    const [D, I] = index.search(x.subarray(0, 3 * d), 4, { efSearch: 64 });
    expect(Array.from(I.filter((_, i) => i % 4 === 0))).toEqual([0n, 1n, 2n]);
    expect(D[0]).toBe(0);
    const [lims] = index.range_search(x.subarray(0, d), 0.5, { efSearch: 64 });
    expect(lims.length).toBe(2);
    expect(() => index.remove_ids([1])).toThrow(/does not support removal/);
    expect(() => (index.hnsw.efSearch = 0)).toThrow(faiss.MetalFaissError);
    expect(() => new faiss.IndexHNSWFlat(d, 1)).toThrow(faiss.MetalFaissError);
  });

  it('index_factory builds HNSW, binary and LSH indexes that wrap as these classes', () => {
    const h = faiss.index_factory(8, 'HNSW8');
    expect(h).toBeInstanceOf(faiss.IndexHNSWFlat);
    const lsh = faiss.index_factory(8, 'LSH16rt');
    expect(lsh).toBeInstanceOf(faiss.IndexLSH);
    expect((lsh as faiss.IndexLSH).nbits).toBe(16);
    const b = faiss.index_binary_factory(64, 'BHNSW16');
    expect(b).toBeInstanceOf(faiss.IndexBinaryHNSW);
  });

  it('binary indexes: d in bits, Int32Array distances, range_search by Hamming radius', () => {
    const b = new faiss.IndexBinaryFlat(64);
    expect(b.code_size).toBe(8);
    const codes = new Uint8Array(8 * 10).map((_, i) => (i * 37) & 255);
    b.add(codes);
    const [D, I] = b.search(codes.subarray(0, 8), 3);
    expect(D).toBeInstanceOf(Int32Array);
    expect(I[0]).toBe(0n);
    const [lims] = b.range_search(codes.subarray(0, 8), 1);
    expect(Number(lims[1])).toBeGreaterThanOrEqual(1);
    expect(() => new faiss.IndexBinaryFlat(63)).toThrow(/multiple of 8/);
    const ivf = new faiss.IndexBinaryIVF(new faiss.IndexBinaryFlat(64), 64, 2);
    ivf.train(codes);
    ivf.add(codes);
    ivf.nprobe = 2;
    expect(ivf.search(codes.subarray(0, 8), 1)[1][0]).toBe(0n);
  });
});
