/** IndexPreTransform, IndexRefine(Flat), IndexShards, IndexReplicas. */
import { describe, expect, it } from 'vitest';
import {
  IndexFlat,
  IndexFlatIP,
  IndexFlatL2,
  IndexIDMap,
  IndexPreTransform,
  IndexRefineFlat,
  IndexReplicas,
  IndexShards,
  MetalFaissError,
  NormalizationTransform,
  PCAMatrix,
  RandomRotationMatrix,
  mergeShardResults,
} from '../src/index';
import { bruteForce, randomVectors } from './helpers';

const d = 16;
const xb = randomVectors(2000, d, 1);
const xq = randomVectors(30, d, 2);

function recallAt(labels: BigInt64Array, truth: number[][], k: number): number {
  let hit = 0;
  for (let q = 0; q < truth.length; q++) {
    const got = new Set(Array.from(labels.subarray(q * k, (q + 1) * k), Number));
    for (const t of truth[q].slice(0, k)) if (got.has(t)) hit++;
  }
  return hit / (truth.length * k);
}

describe('IndexPreTransform', () => {
  it('applies the chain before the inner index (train, add, search, reconstruct)', async () => {
    const pca = new PCAMatrix(d, 8);
    const index = new IndexPreTransform(pca, new IndexFlatL2(8));
    expect(index.d).toBe(d);
    expect(index.isTrained).toBe(false);
    expect(() => index.addSync(xb)).toThrow(expect.objectContaining({ code: 'NOT_TRAINED' }));
    await index.train(xb);
    expect(index.isTrained).toBe(true);
    await index.add(xb);
    expect(index.ntotal).toBe(2000);
    const r = await index.search(xq, 5);
    const manual = new IndexFlatL2(8);
    manual.addSync(pca.applySync(xb));
    const m = manual.searchSync(pca.applySync(xq), 5);
    expect(r.labels).toEqual(m.labels);
    expect(index.searchSync(xq, 5)).toEqual(r);
    // reconstruct: the projection of x onto the 8 principal axes (closer to x than to others)
    const rec = index.reconstruct(3);
    expect(rec.length).toBe(d);
    const full = new IndexPreTransform([new RandomRotationMatrix(d, d)], new IndexFlatL2(d));
    full.trainSync(xb);
    full.addSync(xb);
    const back = full.reconstructN(10, 2);
    for (let i = 0; i < back.length; i++) expect(back[i]).toBeCloseTo(xb[10 * d + i], 4);
    expect(full.searchSync(xq, 3).labels).toEqual(flatSearch(3).labels); // a rotation keeps distances
  });

  it('prependTransform, chains of several transforms, and dimension checks', () => {
    const inner = new IndexPreTransform(new NormalizationTransform(8), new IndexFlatIP(8));
    expect(() => inner.prependTransform(new PCAMatrix(d, 6))).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
    inner.prependTransform(new PCAMatrix(d, 8));
    expect(inner.d).toBe(d);
    expect(inner.chain.length).toBe(2);
    inner.trainSync(xb);
    inner.addSync(xb);
    const r = inner.searchSync(xq, 4);
    for (let i = 0; i < 30 * 4; i++) expect(r.distances[i]).toBeLessThanOrEqual(1.00001);
    expect(() => new IndexPreTransform([new PCAMatrix(d, 4)], new IndexFlatL2(8))).toThrow(/chain\[0\]\.dOut = 8/);
    expect(() => new IndexPreTransform([], 'x' as never)).toThrow(MetalFaissError);
    const ids = new IndexPreTransform(new PCAMatrix(d, 8), new IndexIDMap(new IndexFlatL2(8)));
    ids.trainSync(xb);
    ids.addWithIdsSync(xb.subarray(0, 10 * d), Array.from({ length: 10 }, (_, i) => 1000 + i));
    expect(ids.searchSync(xb.subarray(0, d), 1).labels[0]).toBe(1000n);
  });
});

function flatSearch(k: number) {
  const f = new IndexFlatL2(d);
  f.addSync(xb);
  return f.searchSync(xq, k);
}

describe('IndexRefineFlat', () => {
  it('re-ranks a coarse base index exactly; kFactor raises recall', async () => {
    const truth = bruteForce(xq, xb, d, 10, 'l2');
    const base = new IndexPreTransform(new PCAMatrix(d, 4), new IndexFlatL2(4));
    const refine = new IndexRefineFlat(base);
    refine.trainSync(xb);
    refine.addSync(xb);
    expect(refine.ntotal).toBe(2000);
    const plain = base.searchSync(xq, 10);
    const r1 = refine.searchSync(xq, 10);
    refine.kFactor = 8;
    const r8 = await refine.search(xq, 10);
    expect(recallAt(r8.labels, truth.I, 10)).toBeGreaterThan(recallAt(plain.labels, truth.I, 10));
    expect(recallAt(r8.labels, truth.I, 10)).toBeGreaterThanOrEqual(recallAt(r1.labels, truth.I, 10));
    // distances are exact L2 to the stored vectors, sorted
    for (let q = 0; q < 30; q++) {
      for (let j = 0; j < 10; j++) {
        const lab = Number(r8.labels[q * 10 + j]);
        let s = 0;
        for (let t = 0; t < d; t++) s += (xq[q * d + t] - xb[lab * d + t]) ** 2;
        expect(r8.distances[q * 10 + j]).toBeCloseTo(s, 4);
        if (j > 0) expect(r8.distances[q * 10 + j]).toBeGreaterThanOrEqual(r8.distances[q * 10 + j - 1]);
      }
    }
    // a per-call kFactor
    const rp = refine.searchSync(xq, 10, { kFactor: 1 });
    expect(rp.labels).toEqual(r1.labels);
    expect(Array.from(refine.reconstruct(7))).toEqual(Array.from(xb.subarray(7 * d, 8 * d)));
    expect(() => refine.searchSync(xq, 10, { kFactor: 0.5 })).toThrow(/kFactor/);
    // inner product, padded results
    const ip = new IndexRefineFlat(new IndexFlatIP(d));
    ip.addSync(xb.subarray(0, 3 * d));
    const rip = ip.searchSync(xq.subarray(0, d), 5);
    expect(Array.from(rip.labels.subarray(3))).toEqual([-1n, -1n]);
    expect(rip.distances[4]).toBe(-Infinity);
    expect(() => new IndexRefineFlat(ip.baseIndex)).toThrow(/equal ntotal|empty base index/);
  });
});

describe('IndexShards', () => {
  it('with successive ids returns what one flat index returns (sync and async)', async () => {
    const ref = flatSearch(7);
    const shards = new IndexShards<IndexFlat>(d);
    for (let i = 0; i < 3; i++) shards.addShard(new IndexFlatL2(d));
    await shards.add(xb);
    expect(shards.ntotal).toBe(2000);
    expect(shards.at(0).ntotal).toBe(666);
    const r = await shards.search(xq, 7);
    expect(r.labels).toEqual(ref.labels);
    expect(r.distances).toEqual(ref.distances);
    expect(shards.searchSync(xq, 7)).toEqual(r);
    expect(Array.from(shards.reconstruct(1500))).toEqual(Array.from(xb.subarray(1500 * d, 1501 * d)));
    expect(() => shards.addSync(xb)).toThrow(/single pass/);
    expect(() => shards.addWithIdsSync(xb, new BigInt64Array(2000))).toThrow(/successiveIds/);
  });

  it('with explicit ids over IDMap shards, inner product, and removal', async () => {
    const shards = new IndexShards<IndexIDMap>(d, { successiveIds: false });
    shards.addShard(new IndexIDMap(new IndexFlatIP(d)));
    shards.addShard(new IndexIDMap(new IndexFlatIP(d)));
    expect(shards.metricType).toBe(0);
    const ids = new BigInt64Array(2000).map((_, i) => 2n ** 60n + BigInt(i) * 3n);
    await shards.addWithIds(xb, ids);
    const flat = new IndexFlatIP(d);
    flat.addSync(xb);
    const ref = flat.searchSync(xq, 5);
    const r = await shards.search(xq, 5);
    expect(r.labels).toEqual(ref.labels.map((l) => ids[Number(l)]));
    expect(shards.removeIds([ids[0], ids[1999]])).toBe(2);
    expect(shards.ntotal).toBe(1998);
    expect(() => shards.addShard(new IndexIDMap(new IndexFlatIP(8)) as never)).toThrow(expect.objectContaining({ code: 'DIMENSION_MISMATCH' }));
  });

  it('mergeShardResults merges sorted lists, padding with -1', () => {
    const a = { distances: new Float32Array([1, 4, Infinity]), labels: new BigInt64Array([0n, 1n, -1n]) };
    const b = { distances: new Float32Array([2, 3, 5]), labels: new BigInt64Array([0n, 1n, 2n]) };
    const m = mergeShardResults([a, b], 1, 3, false, [0n, 10n]);
    expect(Array.from(m.labels)).toEqual([0n, 10n, 11n]);
    expect(Array.from(m.distances)).toEqual([1, 2, 3]);
    const e = mergeShardResults([{ distances: new Float32Array([Infinity]), labels: new BigInt64Array([-1n]) }], 1, 1, false, [0n]);
    expect(e.labels[0]).toBe(-1n);
  });

  it('rejects use without shards', () => {
    const s = new IndexShards(d);
    expect(() => s.searchSync(xq, 1)).toThrow(/at least one sub-index/);
  });
});

describe('IndexReplicas', () => {
  it('splits query batches across replicas with the results of one index', async () => {
    const ref = flatSearch(6);
    const reps = new IndexReplicas<IndexFlat>(d);
    reps.addReplica(new IndexFlatL2(d));
    reps.addReplica(new IndexFlatL2(d));
    reps.addReplica(new IndexFlatL2(d));
    await reps.add(xb);
    expect(reps.ntotal).toBe(2000);
    for (const s of reps.subIndexes) expect(s.ntotal).toBe(2000);
    expect(await reps.search(xq, 6)).toEqual(ref);
    expect(reps.searchSync(xq, 6)).toEqual(ref);
    expect((await reps.search(xq.subarray(0, d), 6)).labels).toEqual(ref.labels.subarray(0, 6));
    expect(() => reps.addReplica(new IndexFlatL2(d))).toThrow(/holding 2000 vectors/);
    expect(reps.removeIds([0, 1])).toBe(2);
    expect(reps.ntotal).toBe(1998);
  });
});

describe('abort and failure leave composites unchanged', () => {
  it('IndexPreTransform.train restores transforms it trained when aborted or failing', async () => {
    const pca = new PCAMatrix(d, 8);
    const index = new IndexPreTransform(pca, new IndexFlatL2(8));
    const ac = new AbortController();
    ac.abort();
    await expect(index.train(xb, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(pca.isTrained).toBe(false);
    class FailingFlat extends IndexFlatL2 {
      get isTrained(): boolean {
        return false;
      }
      trainSync(): void {
        throw new MetalFaissError('INVALID_ARGUMENT', 'boom');
      }
    }
    const pca2 = new PCAMatrix(d, 8);
    const failing = new IndexPreTransform(pca2, new FailingFlat(8));
    await expect(failing.train(xb)).rejects.toThrow(/boom/);
    expect(pca2.isTrained).toBe(false);
    expect(() => failing.trainSync(xb)).toThrow(/boom/);
    expect(pca2.isTrained).toBe(false);
    expect(pca2.A.length).toBe(0);
  });

  it('IndexShards and IndexReplicas roll back the sub-indexes that added when one fails', async () => {
    class FailingAdd extends IndexFlatL2 {
      async add(): Promise<void> {
        throw new MetalFaissError('INVALID_ARGUMENT', 'add failed');
      }
    }
    const shards = new IndexShards<IndexFlat>(d);
    shards.addShard(new IndexFlatL2(d));
    shards.addShard(new FailingAdd(d));
    await expect(shards.add(xb)).rejects.toThrow(/add failed/);
    expect(shards.ntotal).toBe(0);
    const reps = new IndexReplicas<IndexFlat>(d);
    reps.addReplica(new IndexFlatL2(d));
    reps.addReplica(new IndexFlatL2(d));
    await reps.add(xb.subarray(0, 100 * d));
    expect(() => reps.addReplica(new FailingAdd(d))).toThrow(/holding 100 vectors/);
    expect(reps.count).toBe(2);
    const reps2 = new IndexReplicas<IndexFlat>(d);
    reps2.addReplica(new IndexFlatL2(d));
    reps2.addReplica(new FailingAdd(d));
    await expect(reps2.add(xb.subarray(0, 50 * d))).rejects.toThrow(/add failed/);
    expect(reps2.at(0).ntotal).toBe(0);
    const ac = new AbortController();
    ac.abort();
    await expect(reps.add(xb, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(reps.ntotal).toBe(100);
  });
});

describe('IndexShards over IVF shards with one quantizer', () => {
  it('quantizes once (async) and returns what one IVF index holding everything returns', async () => {
    const { IndexIVFFlat } = await import('../src/index');
    const single = new IndexIVFFlat(d, 32, { nprobe: 4 });
    await single.train(xb);
    await single.add(xb);
    const cents = (single.quantizer as IndexFlat).vectors;
    const shards = new IndexShards(d);
    for (let i = 0; i < 2; i++) shards.addShard(new IndexIVFFlat(d, 32, { nprobe: 4, quantizer: IndexFlat.fromVectors(d, cents.slice()) }));
    await shards.add(xb);
    const ref = single.searchSync(xq, 6);
    const a = await shards.search(xq, 6);
    expect(a.labels).toEqual(ref.labels);
    expect(a.distances).toEqual(ref.distances);
    expect(shards.searchSync(xq, 6)).toEqual(a);
    const p = await shards.search(xq, 6, { nprobe: 9 } as never);
    expect(p.labels).toEqual(single.searchSync(xq, 6, { nprobe: 9 }).labels);
  });
});
