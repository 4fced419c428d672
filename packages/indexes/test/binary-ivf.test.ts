/**
 * IndexBinaryIVF against FAISS: the same trained centroids (k-means on +-1
 * floats: exact sums), the same lists, and exactly FAISS's search and range
 * search results at several nprobe, ties included; ids, selectors, maxCodes,
 * direct maps, removal; bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '@metalfaiss/metal-kernels';
import { IDSelectorRange, IndexBinaryFlat, IndexBinaryHNSW, IndexBinaryIVF, MetalFaissError, binaryToReal, realToBinary } from '../src/index';
import { FAISS_SKIP, PY_HEAD, exactHamming, hasFaiss, randomCodes, rng, runFaiss } from './hnsw-helpers';

if (!hasFaiss) console.warn(FAISS_SKIP);

const threads0 = getNumThreads();
beforeAll(() => setNumThreads(2));
afterAll(() => setNumThreads(threads0));

/** codes clustered around prototypes (so lists are meaningful), with few bits set: ties */
function structured(n: number, cs: number, seed: number): Uint8Array {
  const r = rng(seed);
  const protos = randomCodes(40, cs, 999);
  const x = new Uint8Array(n * cs);
  for (let i = 0; i < n; i++) {
    const p = Math.floor(r() * 40);
    for (let t = 0; t < cs; t++) x[i * cs + t] = protos[p * cs + t] ^ (r() < 0.25 ? 1 << Math.floor(r() * 8) : 0);
  }
  return x;
}

describe('IndexBinaryIVF', () => {
  it('binaryToReal / realToBinary are FAISS\'s (+-1, > 0)', () => {
    const c = new Uint8Array([0b10100001]);
    expect(Array.from(binaryToReal(c, 1, 8))).toEqual([1, -1, -1, -1, -1, 1, -1, 1]);
    expect(realToBinary(Float32Array.from([1, -1, 0, -1, -1, 1, -1, 1]), 1, 8)).toEqual(c);
  });

  it.skipIf(!hasFaiss)('trains the same centroids as FAISS and returns exactly its search and range results', async () => {
    const cs = 16;
    const xb = structured(6000, cs, 1);
    const xq = structured(50, cs, 2);
    const f = runFaiss(
      PY_HEAD +
        `
faiss.omp_set_num_threads(1)
xb = u8('xb.u8', 16); xq = u8('xq.u8', 16)
q = faiss.IndexBinaryFlat(128)
idx = faiss.IndexBinaryIVF(q, 128, 32)
idx.train(xb); idx.add(xb)
out('cent.u8', faiss.vector_to_array(q.xb).astype(np.uint8))
for npb in (1, 4, 32):
    idx.nprobe = npb
    Dd, I = idx.search(xq, 10)
    out('D%d.i32' % npb, Dd.astype(np.int32)); out('I%d.i64' % npb, I.astype(np.int64))
idx.nprobe = 4
lims, RD, RI = idx.range_search(xq, 30)
out('lims.i64', lims.astype(np.int64)); out('RD.i32', RD.astype(np.int32)); out('RI.i64', RI.astype(np.int64))
`,
      { 'xb.u8': xb, 'xq.u8': xq },
    );
    const index = new IndexBinaryIVF(new IndexBinaryFlat(128), 128, 32);
    expect(index.isTrained).toBe(false);
    await index.train(xb);
    expect((index.quantizer as IndexBinaryFlat).codes).toEqual(f.u8('cent.u8'));
    await index.add(xb);
    for (const nprobe of [1, 4, 32]) {
      const r = index.searchSync(xq, 10, { nprobe });
      expect(r.labels, `nprobe ${nprobe}`).toEqual(f.i64(`I${nprobe}.i64`));
      expect(r.distances).toEqual(f.i32(`D${nprobe}.i32`));
      expect(await index.search(xq, 10, { nprobe })).toEqual(r);
    }
    index.nprobe = 4;
    const rr = index.rangeSearchSync(xq, 30);
    expect(rr.lims).toEqual(f.i64('lims.i64'));
    expect(rr.labels).toEqual(f.i64('RI.i64'));
    expect(rr.distances).toEqual(f.i32('RD.i32'));
  });

  it('nprobe = nlist is exact search; ids, selector, maxCodes, direct map, removal', async () => {
    const cs = 8;
    const xb = structured(3000, cs, 3);
    const xq = structured(30, cs, 4);
    const index = new IndexBinaryIVF(new IndexBinaryFlat(64), 64, 16);
    index.trainSync(xb);
    const ids = BigInt64Array.from({ length: 3000 }, (_, i) => BigInt(10 * i));
    index.setDirectMapType('hashtable');
    await index.addWithIds(xb, ids);
    const exact = exactHamming(xq, xb, cs, 10);
    const r = index.searchSync(xq, 10, { nprobe: 16 });
    expect(r.distances).toEqual(exact.D);
    const sel = new IDSelectorRange(0, 5000);
    for (const l of index.searchSync(xq, 10, { nprobe: 16, selector: sel }).labels) if (l >= 0n) expect(l < 5000n).toBe(true);
    const few = index.searchSync(xq, 10, { nprobe: 16, maxCodes: 1 });
    const all = index.searchSync(xq, 10, { nprobe: 1 });
    expect(few).toEqual(all); // maxCodes stops after the first list
    expect(index.reconstruct(10n * 7n)).toEqual(xb.subarray(7 * cs, 8 * cs));
    expect(index.removeIds([0n, 10n, 20n])).toBe(3);
    expect(index.ntotal).toBe(2997);
    expect(() => index.reconstruct(10n)).toThrow(MetalFaissError);
    expect(index.reconstruct(30n)).toEqual(xb.subarray(3 * cs, 4 * cs));
    for (const l of index.searchSync(xb.subarray(0, cs), 5, { nprobe: 16 }).labels) expect(l).not.toBe(0n);
  });

  it('an HNSW quantizer works; bad input leaves the index unchanged', () => {
    const cs = 8;
    const xb = structured(2000, cs, 5);
    const index = new IndexBinaryIVF(new IndexBinaryHNSW(64, 8), 64, 8);
    expect(() => index.addSync(xb)).toThrow(/train/);
    index.trainSync(xb);
    index.addSync(xb);
    expect(index.ntotal).toBe(2000);
    expect(index.searchSync(xb.subarray(0, cs), 1, { nprobe: 8 }).distances[0]).toBe(0);
    const bad = [
      () => new IndexBinaryIVF(new IndexBinaryFlat(64), 72, 8),
      () => new IndexBinaryIVF(new IndexBinaryFlat(64), 64, 0),
      () => index.addSync(new Uint8Array(9)),
      () => index.searchSync(new Uint8Array(8), 0),
      () => index.searchSync(new Uint8Array(8), 1, { nprobe: 0 }),
      () => index.rangeSearchSync(new Uint8Array(8), 1.5),
    ];
    for (const b of bad) expect(b).toThrow(MetalFaissError);
    expect(index.ntotal).toBe(2000);
    const arr = new IndexBinaryIVF(new IndexBinaryFlat(64), 64, 8);
    arr.trainSync(xb);
    arr.makeDirectMap(true);
    expect(() => arr.addWithIdsSync(xb.subarray(0, cs), [5n])).toThrow(/array/);
  });
});
