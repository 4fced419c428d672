/**
 * IndexShards / IndexReplicas over IVF sub-indexes sharing one coarse
 * quantizer: the one-kernel-job road (IVF-Flat) and the quantize-once road
 * (other IVF codecs) must return exactly what one IVF index holding all the
 * vectors returns (labels, distances, tie order), async and sync, and fall
 * back correctly when a selector or maxCodes applies.
 */
import { describe, expect, it } from 'vitest';
import {
  IDSelectorRange,
  IndexFlat,
  IndexIVFFlat,
  IndexIVFScalarQuantizer,
  IndexReplicas,
  IndexShards,
  type Index,
  type SearchResult,
} from '../src/index';
import { randomVectors, rng } from './helpers';

const d = 12;
const nlist = 24;
const nb = 3000;

/** Integer-valued vectors with exact duplicates (row i + nb/2 repeats row i for a third of the rows): many exact distance ties. */
function tiedVectors(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(r() * 5);
  for (let i = 0; i < n / 6; i++) x.copyWithin((i + n / 2) * d, i * d, (i + 1) * d);
  return x;
}

async function trainedSingle(xb: Float32Array, metric: 'l2' | 'ip', nprobe = 5): Promise<IndexIVFFlat> {
  const single = new IndexIVFFlat(d, nlist, { metric, nprobe });
  await single.train(xb);
  await single.add(xb);
  return single;
}

/** An IVF-Flat index over its own copy of `single`'s centroids (equal, not the same object). */
function sibling(single: IndexIVFFlat, nprobe = single.nprobe): IndexIVFFlat {
  const cents = (single.quantizer as IndexFlat).vectors.slice();
  return new IndexIVFFlat(d, nlist, { metric: single.metricType === 0 ? 'ip' : 'l2', quantizer: IndexFlat.fromVectors(d, cents, { metric: single.metricType === 0 ? 'ip' : 'l2' }), nprobe });
}

function expectSame(got: SearchResult, want: SearchResult): void {
  expect(got.labels).toEqual(want.labels);
  expect(got.distances).toEqual(want.distances);
}

function countTies(r: SearchResult, k: number): number {
  let ties = 0;
  for (let i = 0; i < r.distances.length; i++) if (i % k !== 0 && r.labels[i] >= 0n && r.distances[i] === r.distances[i - 1]) ties++;
  return ties;
}

describe('IndexShards of IVF-Flat shards over one quantizer', () => {
  for (const metric of ['l2', 'ip'] as const) {
    for (const nshards of [2, 3]) {
      it(`${nshards} shards, ${metric}: exactly one index's results, ties included (async and sync)`, async () => {
        const xb = tiedVectors(nb, 5);
        const xq = tiedVectors(60, 6);
        const single = await trainedSingle(xb, metric);
        const shards = new IndexShards<IndexIVFFlat>(d);
        for (let s = 0; s < nshards; s++) shards.addShard(sibling(single));
        await shards.add(xb);
        expect(shards.metricType).toBe(single.metricType);
        for (const k of [1, 10, 40]) {
          const ref = single.searchSync(xq, k);
          if (k === 40) expect(countTies(ref, k)).toBeGreaterThan(100); // the data does exercise tie order
          expectSame(await shards.search(xq, k), ref);
          expectSame(shards.searchSync(xq, k), ref);
        }
        // per-call nprobe, and k beyond what the probed lists hold (padding)
        expectSame(await shards.search(xq, 8, { nprobe: 11 } as never), single.searchSync(xq, 8, { nprobe: 11 }));
        const big = single.searchSync(xq.subarray(0, 2 * d), 700, { nprobe: 1 });
        expect(big.labels).toContain(-1n);
        expectSame(await shards.search(xq.subarray(0, 2 * d), 700, { nprobe: 1 } as never), big);
        expectSame(shards.searchSync(xq.subarray(0, 2 * d), 700, { nprobe: 1 } as never), big);
        const empty = await shards.search(new Float32Array(0), 5);
        expect(empty.labels.length).toBe(0);
      });
    }
  }

  it('explicit ids (successiveIds false) and adds after searching: the virtual lists follow the shards', async () => {
    const xb = randomVectors(nb, d, 7);
    const xq = randomVectors(40, d, 8);
    const ids = BigInt64Array.from({ length: nb }, (_, i) => 2n ** 50n + BigInt(i) * 7n);
    const single = new IndexIVFFlat(d, nlist, { nprobe: 6 });
    await single.train(xb);
    const shards = new IndexShards<IndexIVFFlat>(d, { successiveIds: false });
    shards.addShard(sibling(single, 6));
    shards.addShard(sibling(single, 6));
    const half = (nb / 2) * d;
    await single.addWithIds(xb.subarray(0, half), ids.subarray(0, nb / 2));
    await shards.addWithIds(xb.subarray(0, half), ids.subarray(0, nb / 2));
    expectSame(await shards.search(xq, 7), single.searchSync(xq, 7));
    // a search in flight sees the shards as they were when it started
    const pending = shards.search(xq, 7);
    const before = single.searchSync(xq, 7);
    shards.addWithIdsSync(xb.subarray(half), ids.subarray(nb / 2));
    expectSame(await pending, before);
    single.addWithIdsSync(xb.subarray(half), ids.subarray(nb / 2));
    expectSame(await shards.search(xq, 7), single.searchSync(xq, 7));
    expectSame(shards.searchSync(xq, 7), single.searchSync(xq, 7));
    expect(shards.removeIds(new IDSelectorRange(ids[0], ids[0] + 700n))).toBe(100);
    single.removeIds(new IDSelectorRange(ids[0], ids[0] + 700n));
    expectSame(await shards.search(xq, 7), single.searchSync(xq, 7));
  });

  it('copies the queries: changing them while the search runs changes nothing', async () => {
    const xb = randomVectors(nb, d, 9);
    const single = await trainedSingle(xb, 'l2');
    const shards = new IndexShards<IndexIVFFlat>(d);
    shards.addShard(sibling(single));
    shards.addShard(sibling(single));
    await shards.add(xb);
    const xq = randomVectors(30, d, 10);
    const ref = single.searchSync(xq, 5);
    const pending = shards.search(xq, 5);
    xq.fill(0);
    expectSame(await pending, ref);
  });

  it('selectors and maxCodes take the per-shard road and still give the single index results', async () => {
    const xb = randomVectors(nb, d, 11);
    const xq = randomVectors(25, d, 12);
    const single = await trainedSingle(xb, 'l2');
    // selectors see the shards' own ids (as in FAISS), so give the shards the global ones
    const shards = new IndexShards<IndexIVFFlat>(d, { successiveIds: false });
    shards.addShard(sibling(single));
    shards.addShard(sibling(single));
    await shards.add(xb);
    const selector = new IDSelectorRange(500, 2600);
    const sel = single.searchSync(xq, 6, { selector });
    for (const l of sel.labels) if (l >= 0n) expect(l >= 500n && l < 2600n).toBe(true);
    expectSame(await shards.search(xq, 6, { selector } as never), sel);
    expectSame(shards.searchSync(xq, 6, { selector } as never), sel);
    // maxCodes counts per shard there (as FAISS's shards do): at least the single index's recall of its own list
    const mc = await shards.search(xq, 6, { maxCodes: 1 } as never);
    const one = single.searchSync(xq, 6, { nprobe: 1 });
    expect(shards.searchSync(xq, 6, { maxCodes: 1 } as never)).toEqual(mc);
    for (let i = 0; i < one.labels.length; i += 6) expect(mc.distances[i]).toBeLessThanOrEqual(one.distances[i]);
  });

  it('shards over different centroids search each shard on its own', async () => {
    const xb = randomVectors(nb, d, 13);
    const xq = randomVectors(20, d, 14);
    const a = await trainedSingle(xb.subarray(0, (nb / 2) * d), 'l2', nlist);
    const b = await trainedSingle(xb.subarray((nb / 2) * d), 'l2', nlist);
    const shards = new IndexShards<IndexIVFFlat>(d);
    shards.addShard(new IndexIVFFlat(d, nlist, { quantizer: IndexFlat.fromVectors(d, (a.quantizer as IndexFlat).vectors.slice()), nprobe: nlist }));
    shards.addShard(new IndexIVFFlat(d, nlist, { quantizer: IndexFlat.fromVectors(d, (b.quantizer as IndexFlat).vectors.slice()), nprobe: nlist }));
    await shards.add(xb);
    // nprobe = nlist: every list is scanned, so the result is the exact k-NN
    const flat = new IndexFlat(d);
    flat.addSync(xb);
    const ref = flat.searchSync(xq, 5);
    const r = await shards.search(xq, 5);
    expect(r.labels).toEqual(ref.labels);
    expect(shards.searchSync(xq, 5).labels).toEqual(ref.labels);
  });

  it('IVF scalar-quantizer shards: quantized once, sync and async equal to one index', async () => {
    const xb = randomVectors(nb, d, 15);
    const xq = randomVectors(30, d, 16);
    const single = new IndexIVFScalarQuantizer(d, nlist, 'QT_8bit', { nprobe: 5 });
    await single.train(xb);
    await single.add(xb);
    const cents = (single.quantizer as IndexFlat).vectors;
    const shards = new IndexShards<Index>(d);
    for (let s = 0; s < 2; s++) {
      const sub = new IndexIVFScalarQuantizer(d, nlist, 'QT_8bit', { nprobe: 5, quantizer: IndexFlat.fromVectors(d, cents.slice()) });
      await sub.train(xb);
      shards.addShard(sub);
    }
    await shards.add(xb);
    const ref = single.searchSync(xq, 8);
    expectSame(await shards.search(xq, 8), ref);
    expectSame(shards.searchSync(xq, 8), ref);
    const pending = shards.search(xq, 8);
    xq.fill(0); // read after the quantizer's await: the search must have its own copy
    expectSame(await pending, ref);
  });
});

describe('IndexReplicas of IVF-Flat replicas over one quantizer', () => {
  for (const metric of ['l2', 'ip'] as const) {
    for (const nrep of [2, 3]) {
      it(`${nrep} replicas, ${metric}: exactly one index's results, ties included (async and sync)`, async () => {
        const xb = tiedVectors(nb, 17);
        const xq = tiedVectors(61, 18);
        const single = await trainedSingle(xb, metric);
        const reps = new IndexReplicas<IndexIVFFlat>(d);
        for (let r = 0; r < nrep; r++) reps.addReplica(sibling(single));
        await reps.add(xb);
        for (const k of [1, 10, 40]) {
          const ref = single.searchSync(xq, k);
          expectSame(await reps.search(xq, k), ref);
          expectSame(reps.searchSync(xq, k), ref);
        }
        expectSame(await reps.search(xq, 8, { nprobe: 13 } as never), single.searchSync(xq, 8, { nprobe: 13 }));
        expectSame(reps.searchSync(xq.subarray(0, d), 3), single.searchSync(xq.subarray(0, d), 3));
        // selector: the query-split road
        const selector = new IDSelectorRange(100, 2000);
        expectSame(await reps.search(xq, 6, { selector } as never), single.searchSync(xq, 6, { selector }));
        // every replica's lists are read: removing from all keeps them equal to the single index
        expect(reps.removeIds(new IDSelectorRange(0, 300))).toBe(300);
        single.removeIds(new IDSelectorRange(0, 300));
        expectSame(await reps.search(xq, 10), single.searchSync(xq, 10));
      });
    }
  }

  it('copies the queries and reads the replicas as they were when the search started', async () => {
    const xb = randomVectors(nb, d, 19);
    const single = await trainedSingle(xb, 'l2');
    const reps = new IndexReplicas<IndexIVFFlat>(d);
    reps.addReplica(sibling(single));
    reps.addReplica(sibling(single));
    await reps.add(xb);
    const xq = randomVectors(30, d, 20);
    const ref = single.searchSync(xq, 5);
    const pending = reps.search(xq, 5);
    xq.fill(0);
    reps.reset();
    expectSame(await pending, ref);
    expect((await reps.search(randomVectors(2, d, 21), 5)).labels).toEqual(new BigInt64Array(10).fill(-1n));
  });
});
