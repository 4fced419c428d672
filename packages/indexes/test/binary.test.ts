/**
 * Binary indexes: IndexBinaryFlat equals FAISS (ties included) and an
 * independent popcount; range search by radius; IndexBinaryHNSW builds
 * FAISS's graph with one thread and finds the true neighbours; the IDMap
 * wrappers; bad input (d not a multiple of 8, code arrays of the wrong length).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '@metalfaiss/metal-kernels';
import {
  HAMMING_PAD_DISTANCE,
  IDSelectorBatch,
  IndexBinaryFlat,
  IndexBinaryHNSW,
  IndexBinaryIDMap,
  IndexBinaryIDMap2,
  MetalFaissError,
} from '../src/index';
import { FAISS_SKIP, PY_HEAD, exactHamming, hasFaiss, randomCodes, recallAt, rng, runFaiss } from './hnsw-helpers';

if (!hasFaiss) console.warn(FAISS_SKIP);

const threads0 = getNumThreads();
beforeAll(() => setNumThreads(2));
afterAll(() => setNumThreads(threads0));

const POP = new Uint8Array(256).map((_, i) => {
  let c = 0;
  for (let v = i; v; v >>= 1) c += v & 1;
  return c;
});

function naive(xq: Uint8Array, xb: Uint8Array, cs: number, k: number) {
  const nq = xq.length / cs;
  const nb = xb.length / cs;
  const D = new Int32Array(nq * k).fill(HAMMING_PAD_DISTANCE);
  const I = new BigInt64Array(nq * k).fill(-1n);
  for (let q = 0; q < nq; q++) {
    const all: Array<[number, number]> = [];
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let t = 0; t < cs; t++) s += POP[xq[q * cs + t] ^ xb[j * cs + t]];
      all.push([s, j]);
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let t = 0; t < Math.min(k, nb); t++) {
      D[q * k + t] = all[t][0];
      I[q * k + t] = BigInt(all[t][1]);
    }
  }
  return { D, I };
}

/** codes with few set bits: many equal distances, so the tie order matters */
function sparseCodes(n: number, cs: number, seed: number): Uint8Array {
  const r = rng(seed);
  return new Uint8Array(n * cs).map(() => (r() < 0.3 ? 1 << Math.floor(r() * 8) : 0));
}

describe('IndexBinaryFlat', () => {
  for (const d of [8, 64, 136, 256, 512]) {
    it(`k-NN equals an independent popcount, ties by label (d = ${d} bits)`, async () => {
      const cs = d / 8;
      const xb = sparseCodes(2000, cs, d);
      const xq = sparseCodes(30, cs, d + 1);
      const index = new IndexBinaryFlat(d);
      index.addSync(xb);
      const want = naive(xq, xb, cs, 12);
      const got = await index.search(xq, 12);
      expect(got.distances).toEqual(want.D);
      expect(got.labels).toEqual(want.I);
      expect(index.searchSync(xq, 12)).toEqual(got);
    });
  }

  it('range search: every code at distance < radius, in label order; selector; removeIds; reconstruct', () => {
    const cs = 16;
    const xb = randomCodes(3000, cs, 3);
    const xq = randomCodes(10, cs, 4);
    const index = new IndexBinaryFlat(128);
    index.addSync(xb);
    const radius = 52;
    const r = index.rangeSearchSync(xq, radius);
    const all = naive(xq, xb, cs, 3000);
    for (let q = 0; q < 10; q++) {
      const want: bigint[] = [];
      for (let t = 0; t < 3000; t++) if (all.D[q * 3000 + t] < radius) want.push(all.I[q * 3000 + t]);
      want.sort((a, b) => (a < b ? -1 : 1));
      expect(Array.from(r.labels.subarray(Number(r.lims[q]), Number(r.lims[q + 1])))).toEqual(want);
    }
    const sel = new IDSelectorBatch([5, 17, 2999]);
    const s = index.searchSync(xq, 5, { selector: sel });
    for (const l of s.labels) expect([5n, 17n, 2999n, -1n]).toContain(l);
    expect(index.reconstruct(17)).toEqual(xb.subarray(17 * cs, 18 * cs));
    expect(index.removeIds([0, 1])).toBe(2);
    expect(index.ntotal).toBe(2998);
    expect(index.reconstruct(15)).toEqual(xb.subarray(17 * cs, 18 * cs));
  });

  it('bad input: d not a multiple of 8, codes of the wrong length, non-integer radius; the index is unchanged', () => {
    for (const d of [0, 7, 12, 100.5]) expect(() => new IndexBinaryFlat(d)).toThrow(MetalFaissError);
    const index = new IndexBinaryFlat(32);
    index.addSync(randomCodes(10, 4, 1));
    const bad = [
      () => index.addSync(new Uint8Array(7)),
      () => index.addSync([[1, 2, 3]]),
      () => index.addSync([[1, 2, 3, 256]]),
      () => index.addSync(new Float32Array(8) as unknown as Uint8Array),
      () => index.searchSync(new Uint8Array(5), 1),
      () => index.searchSync(new Uint8Array(4), 0),
      () => index.rangeSearchSync(new Uint8Array(4), 2.5),
    ];
    for (const f of bad) expect(f).toThrow(MetalFaissError);
    expect(index.ntotal).toBe(10);
  });

  it.skipIf(!hasFaiss)("equals FAISS's IndexBinaryFlat: k-NN (distances, labels, ties) and range search", () => {
    const cs = 32;
    const xb = sparseCodes(5000, cs, 9);
    const xq = sparseCodes(40, cs, 10);
    const f = runFaiss(
      PY_HEAD +
        `
xb = u8('xb.u8', 32); xq = u8('xq.u8', 32)
idx = faiss.IndexBinaryFlat(256); idx.add(xb)
Dd, I = idx.search(xq, 20)
out('D.i32', Dd.astype(np.int32)); out('I.i64', I.astype(np.int64))
lims, RD, RI = idx.range_search(xq, 9)
out('lims.i64', lims.astype(np.int64)); out('RD.i32', RD.astype(np.int32)); out('RI.i64', RI.astype(np.int64))
`,
      { 'xb.u8': xb, 'xq.u8': xq },
    );
    const index = new IndexBinaryFlat(256);
    index.addSync(xb);
    const r = index.searchSync(xq, 20);
    expect(r.distances).toEqual(f.i32('D.i32'));
    expect(r.labels).toEqual(f.i64('I.i64'));
    const rr = index.rangeSearchSync(xq, 9);
    expect(rr.lims).toEqual(f.i64('lims.i64'));
    // FAISS gathers range results per thread block; compare per query as sets with distances
    for (let q = 0; q < 40; q++) {
      const ours = new Map<bigint, number>();
      for (let t = Number(rr.lims[q]); t < Number(rr.lims[q + 1]); t++) ours.set(rr.labels[t], rr.distances[t]);
      const fl = f.i64('lims.i64');
      const fd = f.i32('RD.i32');
      const fi = f.i64('RI.i64');
      for (let t = Number(fl[q]); t < Number(fl[q + 1]); t++) expect(ours.get(fi[t])).toBe(fd[t]);
    }
  });
});

describe('IndexBinaryHNSW', () => {
  it('finds the true Hamming neighbours (recall@10 >= 0.9 at efSearch 128)', async () => {
    // codes with structure: flips of a few hundred prototypes
    const cs = 32;
    const r = rng(5);
    const protos = randomCodes(200, cs, 6);
    const make = (n: number) => {
      const x = new Uint8Array(n * cs);
      for (let i = 0; i < n; i++) {
        const p = Math.floor(r() * 200);
        for (let t = 0; t < cs; t++) x[i * cs + t] = protos[p * cs + t] ^ (r() < 0.2 ? 1 << Math.floor(r() * 8) : 0);
      }
      return x;
    };
    const xb = make(10000);
    const xq = make(200);
    const index = new IndexBinaryHNSW(256, 16);
    await index.add(xb);
    const gt = exactHamming(xq, xb, cs, 10);
    const res = await index.search(xq, 10, { efSearch: 128 });
    // ties make label sets ambiguous: count a hit when the distance reaches the true k-th distance
    let hit = 0;
    for (let q = 0; q < 200; q++) {
      const kth = gt.D[q * 10 + 9];
      for (let j = 0; j < 10; j++) if (res.distances[q * 10 + j] <= kth) hit++;
    }
    expect(hit / 2000).toBeGreaterThanOrEqual(0.9);
    expect(recallAt(res.labels, gt.I, 200, 10)).toBeGreaterThan(0.5);
    expect(res.distances).toBeInstanceOf(Int32Array);
    expect(() => index.removeIds([1])).toThrow(/does not support removal/);
    expect(index.reconstruct(3)).toEqual(xb.subarray(3 * cs, 4 * cs));
    const copy = IndexBinaryHNSW.fromParts(index.toParts());
    expect(copy.searchSync(xq, 10)).toEqual(index.searchSync(xq, 10));
  });

  it.skipIf(!hasFaiss)('one thread: the same graph and results as FAISS', () => {
    const cs = 8;
    const xb = randomCodes(3000, cs, 12);
    const xq = randomCodes(50, cs, 13);
    const f = runFaiss(
      PY_HEAD +
        `
faiss.omp_set_num_threads(1)
xb = u8('xb.u8', 8); xq = u8('xq.u8', 8)
idx = faiss.IndexBinaryHNSW(64, 8)
idx.add(xb[:1000]); idx.add(xb[1000:])
h = idx.hnsw
out('levels.i32', faiss.vector_to_array(h.levels).astype(np.int32))
out('neighbors.i32', faiss.vector_to_array(h.neighbors).astype(np.int32))
out('ep.i32', np.array([h.entry_point, h.max_level], dtype=np.int32))
h.efSearch = 32
Dd, I = idx.search(xq, 10)
out('D.i32', Dd.astype(np.int32)); out('I.i64', I.astype(np.int64))
`,
      { 'xb.u8': xb, 'xq.u8': xq },
    );
    setNumThreads(1);
    try {
      const index = new IndexBinaryHNSW(64, 8);
      index.addSync(xb.subarray(0, 1000 * cs));
      index.addSync(xb.subarray(1000 * cs));
      const p = index.hnsw.toParts();
      expect(p.levels).toEqual(f.i32('levels.i32'));
      expect(p.neighbors).toEqual(f.i32('neighbors.i32'));
      expect([p.entryPoint, p.maxLevel]).toEqual(Array.from(f.i32('ep.i32')));
      index.hnsw.efSearch = 32;
      const r = index.searchSync(xq, 10);
      expect(r.labels).toEqual(f.i64('I.i64'));
      expect(r.distances).toEqual(f.i32('D.i32'));
    } finally {
      setNumThreads(2);
    }
  });
});

describe('IndexBinaryIDMap / IndexBinaryIDMap2', () => {
  it('maps labels to ids, removes by id, reconstructs by id (IDMap2)', async () => {
    const cs = 8;
    const xb = randomCodes(100, cs, 21);
    const ids = BigInt64Array.from({ length: 100 }, (_, i) => BigInt(1000 + 7 * i));
    const m = new IndexBinaryIDMap(new IndexBinaryFlat(64));
    await m.addWithIds(xb, ids);
    const r = m.searchSync(xb.subarray(0, 3 * cs), 1);
    expect(Array.from(r.labels)).toEqual([1000n, 1007n, 1014n]);
    expect(m.removeIds([1007n])).toBe(1);
    expect(m.ntotal).toBe(99);
    expect(m.searchSync(xb.subarray(cs, 2 * cs), 1).labels[0]).not.toBe(1007n);
    expect(() => m.addSync(xb)).toThrow(MetalFaissError);
    const m2 = new IndexBinaryIDMap2(new IndexBinaryFlat(64));
    m2.addWithIdsSync(xb, ids);
    expect(m2.reconstruct(1014n)).toEqual(xb.subarray(2 * cs, 3 * cs));
    expect(() => m2.addWithIdsSync(xb.subarray(0, cs), [1000n])).toThrow(/duplicate/);
    const sel = new IDSelectorBatch([1021n]);
    expect(Array.from(m2.searchSync(xb.subarray(0, cs), 1, { selector: sel }).labels)).toEqual([1021n]);
    expect(() => new IndexBinaryIDMap(m2.index)).toThrow(/empty index/);
  });
});
