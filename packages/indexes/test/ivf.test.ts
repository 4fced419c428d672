/**
 * IndexIVF / IndexIVFFlat: recall against exact ground truth (monotone in
 * nprobe, 1.0 at nprobe = nlist), the native scan against the scanner
 * (reference) path, FAISS parity with the same coarse centroids (skipped with
 * a message without FAISS), maxCodes, selectors, range search, the direct
 * map, removal, merge, NOT_TRAINED, bad input leaving the index unchanged,
 * async searches while the index changes, abortable training, memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ArrayInvertedLists,
  IDSelectorRange,
  IndexFlatIP,
  IndexFlatL2,
  IndexIVFFlat,
  MetalFaissError,
  type IVFSearchJob,
  type SearchResult,
} from '../src/index';
import { rng } from './helpers';

const PYTHON = '/usr/bin/python3';
const faissOk = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import faiss, numpy'], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.warn('FAISS IVF comparisons skipped: /usr/bin/python3 cannot import faiss; install python3-faiss (apt-get install -y python3-faiss libopenblas0-pthread) to enable them');
  }
  return r.status === 0;
})();

/** Seeded clustered data (blobs of different spreads); `ints` rounds to small integers (exact float sums). */
function blobs(n: number, d: number, centers: number, seed: number, ints = false): Float32Array {
  const r = rng(seed);
  const c = Float32Array.from({ length: centers * d }, () => r() * 20 - 10);
  const spread = Float32Array.from({ length: centers }, () => 0.5 + 2 * r());
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const b = Math.floor(r() * centers);
    for (let j = 0; j < d; j++) {
      const v = c[b * d + j] + spread[b] * (r() + r() + r() - 1.5);
      x[i * d + j] = ints ? Math.round(v) : v;
    }
  }
  return x;
}

function recall(got: BigInt64Array, gt: BigInt64Array, nq: number, k: number): number {
  let hit = 0;
  for (let q = 0; q < nq; q++) {
    const s = new Set(Array.from(gt.subarray(q * k, (q + 1) * k)));
    for (let j = 0; j < k; j++) if (s.has(got[q * k + j])) hit++;
  }
  return hit / (nq * k);
}

function expectCode(fn: () => unknown, code: string, re?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(MetalFaissError.isInstance(err), String(err)).toBe(true);
  expect((err as MetalFaissError).code).toBe(code);
  if (re) expect((err as Error).message).toMatch(re);
}

function same(a: SearchResult, b: SearchResult): void {
  expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
  expect(Array.from(a.distances)).toEqual(Array.from(b.distances));
}

const d = 24;
const nlist = 32;
const xb = blobs(6000, d, 40, 1);
const xq = blobs(200, d, 40, 2);

function trained(metric: 'l2' | 'ip' = 'l2'): IndexIVFFlat {
  const index = new IndexIVFFlat(d, nlist, { metric });
  index.trainSync(xb);
  return index;
}

describe('IndexIVFFlat accuracy', () => {
  for (const metric of ['l2', 'ip'] as const) {
    it(`recall@10 rises with nprobe and is exact at nprobe = nlist (${metric})`, () => {
      const index = trained(metric);
      index.addSync(xb);
      const flat = metric === 'l2' ? new IndexFlatL2(d) : new IndexFlatIP(d);
      flat.addSync(xb);
      const gt = flat.searchSync(xq, 10);
      let prev = 0;
      const seen: number[] = [];
      for (const nprobe of [1, 2, 4, 8, 16, 32]) {
        const r = index.searchSync(xq, 10, { nprobe });
        const rc = recall(r.labels, gt.labels, 200, 10);
        seen.push(rc);
        expect(rc, `nprobe ${nprobe}: ${seen.join(', ')}`).toBeGreaterThanOrEqual(prev);
        prev = rc;
      }
      expect(seen[0]).toBeGreaterThan(0.3);
      expect(seen[3]).toBeGreaterThan(0.9);
      expect(seen[5]).toBe(1);
      // nprobe = nlist: the same neighbours as the exact search, distances within float error
      const all = index.searchSync(xq, 10, { nprobe: nlist });
      for (let i = 0; i < all.distances.length; i++) {
        expect(Math.abs(all.distances[i] - gt.distances[i])).toBeLessThanOrEqual(1e-4 * Math.abs(gt.distances[i]) + 1e-3);
      }
      // the index's nprobe field is the default; params override it per call
      index.nprobe = 4;
      same(index.searchSync(xq, 10), index.searchSync(xq, 10, { nprobe: 4 }));
      expect(index.nprobe).toBe(4);
      // nprobe above nlist is clamped, as FAISS does
      same(index.searchSync(xq, 5, { nprobe: 1000 }), index.searchSync(xq, 5, { nprobe: nlist }));
    });
  }

  it('the native scan equals the reference scanner path (integer data: bit for bit)', () => {
    for (const metric of ['l2', 'ip'] as const) {
      const xi = blobs(3000, d, 20, 5, true);
      const qi = blobs(80, d, 20, 6, true);
      const index = new IndexIVFFlat(d, 16, { metric });
      index.trainSync(xi);
      index.addSync(xi);
      for (const nprobe of [1, 3, 16]) {
        const coarse = index.quantizer.searchSync(qi, nprobe);
        const native = index.searchPreassignedSync(qi, 7, coarse.labels, coarse.distances);
        const job: IVFSearchJob = {
          xq: qi, nq: 80, k: 7, metric: index.metricType, coarse: coarse.labels, coarseDistances: coarse.distances, nprobe,
          lists: index.invlists.snapshot(), storePairs: false, distances: new Float32Array(560), labels: new BigInt64Array(560),
        };
        index.scanWithScannerSync(job);
        same(native, { distances: job.distances, labels: job.labels });
        same(native, index.searchSync(qi, 7, { nprobe }));
      }
    }
  });
});

describe.skipIf(!faissOk)('IndexIVFFlat against FAISS', () => {
  it('with the same coarse centroids, FAISS and we return the same neighbours', () => {
    const n = 4000;
    const x = xb.subarray(0, n * d);
    const q = xq.subarray(0, 100 * d);
    const dir = mkdtempSync(join(tmpdir(), 'mf-ivf-'));
    try {
      writeFileSync(join(dir, 'x.bin'), Buffer.from(x.buffer, x.byteOffset, x.byteLength));
      writeFileSync(join(dir, 'q.bin'), Buffer.from(q.buffer, q.byteOffset, q.byteLength));
      const script =
        `import faiss, numpy as np\nfaiss.omp_set_num_threads(1)\nD = ${JSON.stringify(dir)}\n` +
        `x = np.fromfile(D + '/x.bin', dtype='<f4').reshape(-1, ${d}); q = np.fromfile(D + '/q.bin', dtype='<f4').reshape(-1, ${d})\n` +
        `quant = faiss.IndexFlatL2(${d}); index = faiss.IndexIVFFlat(quant, ${d}, ${nlist})\nindex.train(x); index.add(x); index.nprobe = 5\n` +
        `Dd, I = index.search(q, 10)\nquant.reconstruct_n(0, ${nlist}).astype('<f4').tofile(D + '/c.bin')\n` +
        `I.astype('<i8').tofile(D + '/I.bin'); Dd.astype('<f4').tofile(D + '/D.bin')\n` +
        `print(index.invlists.imbalance_factor())\n`;
      const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
      expect(r.status, r.stderr).toBe(0);
      const read = (name: string) => readFileSync(join(dir, name));
      const cb = read('c.bin');
      const centroids = new Float32Array(cb.buffer.slice(cb.byteOffset, cb.byteOffset + cb.byteLength));
      const ib = read('I.bin');
      const fI = new BigInt64Array(ib.buffer.slice(ib.byteOffset, ib.byteOffset + ib.byteLength));
      const db = read('D.bin');
      const fD = new Float32Array(db.buffer.slice(db.byteOffset, db.byteOffset + db.byteLength));

      const quantizer = new IndexFlatL2(d);
      quantizer.addSync(centroids);
      const index = new IndexIVFFlat(d, nlist, { quantizer });
      index.trainSync(x); // the quantizer is ready: "IVF quantizer does not need training"
      expect(index.quantizer.ntotal).toBe(nlist);
      index.addSync(x);
      expect(index.imbalanceFactor()).toBeCloseTo(Number(r.stdout.trim()), 6);
      const ours = index.searchSync(q, 10, { nprobe: 5 });
      let mismatches = 0;
      for (let i = 0; i < fI.length; i++) {
        if (ours.labels[i] !== fI[i]) mismatches++;
        expect(Math.abs(ours.distances[i] - fD[i])).toBeLessThanOrEqual(1e-4 * fD[i] + 1e-3);
      }
      expect(mismatches).toBeLessThanOrEqual(2); // near ties only
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('IndexIVF search parameters', () => {
  const index = trained();
  index.addSync(xb);

  it('maxCodes scans whole lists in probe order until at least maxCodes codes (FAISS)', () => {
    const nprobe = 8;
    const maxCodes = 700;
    const coarse = index.quantizer.searchSync(xq, nprobe);
    const cut = coarse.labels.slice();
    for (let q = 0; q < 200; q++) {
      let nscan = 0;
      let stop = false;
      for (let p = 0; p < nprobe; p++) {
        const i = q * nprobe + p;
        if (stop) {
          cut[i] = -1n;
          continue;
        }
        nscan += index.getListSize(Number(cut[i]));
        if (nscan >= maxCodes) stop = true;
      }
    }
    const want = index.searchPreassignedSync(xq, 10, cut, coarse.distances);
    same(index.searchSync(xq, 10, { nprobe, maxCodes }), want);
    index.maxCodes = maxCodes;
    same(index.searchSync(xq, 10, { nprobe }), want);
    index.maxCodes = 0;
  });

  it('a selector restricts the results to the selected ids', () => {
    const sel = new IDSelectorRange(1000, 2500);
    const r = index.searchSync(xq, 10, { nprobe: nlist, selector: sel });
    const flat = new IndexFlatL2(d);
    flat.addSync(xb);
    const gt = flat.searchSync(xq, 10, { selector: sel });
    expect(Array.from(r.labels)).toEqual(Array.from(gt.labels));
    const r4 = index.searchSync(xq, 10, { nprobe: 4, selector: sel });
    for (const l of r4.labels) expect(l === -1n || (l >= 1000n && l < 2500n)).toBe(true);
    expect(() => index.searchPreassignedSync(xq, 10, new BigInt64Array(200), new Float32Array(200), { selector: sel, storePairs: true })).toThrow(/storePairs/);
  });

  it('range search: at nprobe = nlist the same hits as the flat index; probe order inside a query', async () => {
    const flat = new IndexFlatL2(d);
    flat.addSync(xb);
    const radius = 20;
    const want = flat.rangeSearchSync(xq, radius);
    const got = index.rangeSearchSync(xq, radius, { nprobe: nlist });
    expect(Array.from(got.lims)).toEqual(Array.from(want.lims));
    for (let q = 0; q < 200; q++) {
      const a = Array.from(got.labels.subarray(Number(got.lims[q]), Number(got.lims[q + 1]))).sort();
      const b = Array.from(want.labels.subarray(Number(want.lims[q]), Number(want.lims[q + 1]))).sort();
      expect(a).toEqual(b);
    }
    const async = await index.rangeSearch(xq, radius, { nprobe: 3 });
    const sync = index.rangeSearchSync(xq, radius, { nprobe: 3 });
    expect(Array.from(async.labels)).toEqual(Array.from(sync.labels));
  });

  it('refuses bad parameters', () => {
    expectCode(() => index.searchSync(xq, 10, { nprobe: 0 }), 'INVALID_ARGUMENT', /nprobe/);
    expectCode(() => index.searchSync(xq, 10, { maxCodes: -1 }), 'INVALID_ARGUMENT', /maxCodes/);
    expectCode(() => index.searchSync(xq, 0), 'INVALID_ARGUMENT', /for k/);
    expectCode(() => index.searchSync(xq.subarray(0, 10), 3), 'DIMENSION_MISMATCH');
    expectCode(() => {
      index.nprobe = 0;
    }, 'INVALID_ARGUMENT', /nprobe/);
    expect(index.nprobe).toBe(1);
    expectCode(() => index.searchPreassignedSync(xq, 3, BigInt64Array.from({ length: 400 }, () => 99n), new Float32Array(400)), 'INVALID_ARGUMENT', /Invalid key/);
  });
});

describe('IndexIVF state', () => {
  it('NOT_TRAINED before training; bad input leaves the index unchanged', async () => {
    const index = new IndexIVFFlat(d, nlist);
    expect(index.isTrained).toBe(false);
    expectCode(() => index.addSync(xb), 'NOT_TRAINED', /not trained/);
    expectCode(() => index.searchSync(xq, 5), 'NOT_TRAINED');
    expectCode(() => index.rangeSearchSync(xq, 1), 'NOT_TRAINED');
    expectCode(() => index.assignSync(xq), 'NOT_TRAINED');
    await expect(index.search(xq, 5)).rejects.toMatchObject({ code: 'NOT_TRAINED' });
    await expect(index.add(xb)).rejects.toMatchObject({ code: 'NOT_TRAINED' });
    expectCode(() => index.trainSync(xb.subarray(0, 10 * d)), 'INVALID_ARGUMENT', /Number of training points \(10\)/);
    expect(index.isTrained).toBe(false);
    expect(index.quantizer.ntotal).toBe(0);

    index.trainSync(xb);
    index.addSync(xb.subarray(0, 3000 * d));
    const before = index.searchSync(xq, 10, { nprobe: 4 });
    const mem = index.memoryBytes();
    const nan = xb.slice(0, 10 * d);
    nan[5] = Number.NaN;
    expectCode(() => index.addSync(nan), 'INVALID_ARGUMENT');
    expectCode(() => index.addSync(new Float32Array(d + 1)), 'DIMENSION_MISMATCH');
    expectCode(() => index.addWithIdsSync(xb.subarray(0, 5 * d), [1, 2, 3]), 'DIMENSION_MISMATCH');
    expectCode(() => index.addWithIdsSync(xb.subarray(0, 2 * d), [1, 2.5]), 'INVALID_ARGUMENT');
    await expect(index.add(nan)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(index.ntotal).toBe(3000);
    expect(index.memoryBytes()).toBe(mem);
    same(index.searchSync(xq, 10, { nprobe: 4 }), before);
  });

  it('add / addWithIds: sequential ids, caller ids, async equals sync', async () => {
    const a = trained();
    const b = new IndexIVFFlat(d, nlist, { quantizer: new IndexFlatL2(d) });
    b.quantizer.addSync((a.quantizer as IndexFlatL2).vectors);
    b.trainSync(xb);
    a.addSync(xb.subarray(0, 2000 * d));
    a.addSync(xb.subarray(2000 * d));
    await b.add(xb.subarray(0, 2000 * d));
    await b.addWithIds(xb.subarray(2000 * d), Array.from({ length: 4000 }, (_, i) => 2000 + i));
    expect(b.ntotal).toBe(6000);
    same(await b.search(xq, 10, { nprobe: 6 }), a.searchSync(xq, 10, { nprobe: 6 }));
    const c = trained();
    c.addWithIdsSync(xb, BigInt64Array.from({ length: 6000 }, (_, i) => BigInt(i) * 10n + 7n));
    const rc = c.searchSync(xq, 10, { nprobe: 6 });
    const ra = a.searchSync(xq, 10, { nprobe: 6 });
    expect(Array.from(rc.labels)).toEqual(Array.from(ra.labels, (l) => (l < 0n ? l : l * 10n + 7n)));
  });

  it('memory is the codes plus ids plus the quantizer (within 5% of FAISS serialized size after a bulk add)', () => {
    const index = trained();
    index.addSync(xb);
    const faissSize = 6000 * (d * 4 + 8) + nlist * d * 4;
    expect(Math.abs(index.memoryBytes() - faissSize) / faissSize).toBeLessThan(0.05);
  });
});

describe('direct map, reconstruction, removal, merge', () => {
  it('reconstruct needs a direct map; array and hashtable give the stored vectors', () => {
    const index = trained();
    index.addSync(xb);
    expectCode(() => index.reconstruct(5), 'UNSUPPORTED', /direct map/);
    index.makeDirectMap();
    expect(index.directMap.type).toBe('array');
    expect(Array.from(index.reconstruct(5))).toEqual(Array.from(xb.subarray(5 * d, 6 * d)));
    expectCode(() => index.reconstruct(6000), 'INVALID_ARGUMENT', /invalid key/);
    index.makeDirectMap('hashtable');
    expect(index.directMap.type).toBe('hashtable');
    expect(Array.from(index.reconstruct(5999n))).toEqual(Array.from(xb.subarray(5999 * d)));
    expectCode(() => index.makeDirectMap('tree' as never), 'INVALID_ARGUMENT', /'none', 'array' or 'hashtable'/);
    expectCode(() => index.reconstruct(-3), 'INVALID_ARGUMENT', /key not found/);
    index.makeDirectMap(false);
    expect(Array.from(index.reconstructN(10, 3))).toEqual(Array.from(xb.subarray(10 * d, 13 * d)));
    expectCode(() => index.reconstructN(5990, 20), 'INVALID_ARGUMENT', /reconstructN/);
  });

  it("the array map refuses caller ids and removal, as FAISS; a failed switch keeps the map", () => {
    const index = trained();
    index.addWithIdsSync(xb.subarray(0, 100 * d), Array.from({ length: 100 }, (_, i) => i * 2));
    expectCode(() => index.setDirectMapType('array'), 'UNSUPPORTED', /sequential ids/);
    expect(index.directMap.type).toBe('none');
    const seq = trained();
    seq.makeDirectMap(true);
    seq.addSync(xb.subarray(0, 100 * d));
    expectCode(() => seq.addWithIdsSync(xb.subarray(0, d), [5]), 'UNSUPPORTED', /array direct map/);
    expectCode(() => seq.removeIds([1, 2]), 'UNSUPPORTED', /remove not supported/);
    expect(seq.ntotal).toBe(100);
  });

  for (const map of ['none', 'hashtable'] as const) {
    it(`removeIds keeps lists, ntotal and the map consistent (${map})`, () => {
      const index = trained();
      index.addSync(xb);
      if (map === 'hashtable') index.setDirectMapType('hashtable');
      const removed = index.removeIds(new IDSelectorRange(100, 1100));
      expect(removed).toBe(1000);
      expect(index.ntotal).toBe(5000);
      expect(index.invlists.computeNtotal()).toBe(5000);
      expect(index.removeIds([100, 5, 5, 7000])).toBe(1);
      const r = index.searchSync(xq, 10, { nprobe: nlist });
      for (const l of r.labels) expect(l === 5n || (l >= 100n && l < 1100n)).toBe(false);
      // the same as an index that never had them
      const fresh = new IndexIVFFlat(d, nlist, { quantizer: new IndexFlatL2(d) });
      fresh.quantizer.addSync((index.quantizer as IndexFlatL2).vectors);
      fresh.trainSync(xb);
      const keep = Array.from({ length: 6000 }, (_, i) => i).filter((i) => i !== 5 && (i < 100 || i >= 1100));
      const xk = new Float32Array(keep.length * d);
      keep.forEach((i, t) => xk.set(xb.subarray(i * d, (i + 1) * d), t * d));
      fresh.addWithIdsSync(xk, keep);
      const f = fresh.searchSync(xq, 10, { nprobe: nlist });
      expect(Array.from(r.labels)).toEqual(Array.from(f.labels));
      if (map === 'hashtable') {
        for (const id of [0, 99, 1100, 5999]) expect(Array.from(index.reconstruct(id))).toEqual(Array.from(xb.subarray(id * d, (id + 1) * d)));
        expectCode(() => index.reconstruct(500), 'INVALID_ARGUMENT', /key not found/);
      }
    });
  }

  it('mergeFrom moves the entries (ids shifted by addId) and empties the other index', () => {
    const a = trained();
    const centroids = (a.quantizer as IndexFlatL2).vectors;
    const b = new IndexIVFFlat(d, nlist, { quantizer: new IndexFlatL2(d) });
    b.quantizer.addSync(centroids);
    b.trainSync(xb);
    a.addSync(xb.subarray(0, 3500 * d));
    b.addSync(xb.subarray(3500 * d));
    a.mergeFrom(b, 3500);
    expect(a.ntotal).toBe(6000);
    expect(b.ntotal).toBe(0);
    expect(b.invlists.computeNtotal()).toBe(0);
    const whole = trained();
    whole.addSync(xb);
    const ra = a.searchSync(xq, 10, { nprobe: 8 });
    const rw = whole.searchSync(xq, 10, { nprobe: 8 });
    expect(Array.from(ra.distances)).toEqual(Array.from(rw.distances));
    expect(recall(ra.labels, rw.labels, 200, 10)).toBe(1);
    // refusals
    const other = trained();
    other.quantizer.reset();
    other.quantizer.addSync(centroids.map((v) => v + 1));
    expectCode(() => a.mergeFrom(other), 'INVALID_ARGUMENT', /coarse quantizers should be the same/);
    const wrongD = new IndexIVFFlat(d + 1, nlist);
    expectCode(() => a.mergeFrom(wrongD as never), 'INVALID_ARGUMENT', /same d/);
    a.makeDirectMap();
    expectCode(() => a.mergeFrom(b), 'UNSUPPORTED', /direct_map/);
    expectCode(() => a.mergeFrom(a), 'INVALID_ARGUMENT');
  });

  it('reset keeps the training; replaceInvlists swaps the storage', () => {
    const index = trained();
    index.addSync(xb);
    index.reset();
    expect(index.ntotal).toBe(0);
    expect(index.isTrained).toBe(true);
    index.addSync(xb.subarray(0, 100 * d));
    const lists = new ArrayInvertedLists(nlist, d * 4);
    lists.mergeFrom(index.invlists, 0n);
    index.replaceInvlists(lists);
    expect(index.ntotal).toBe(100);
    expectCode(() => index.replaceInvlists(new ArrayInvertedLists(nlist, 8)), 'INVALID_ARGUMENT', /codeSize/);
  });
});

describe('consistency under concurrent async calls', () => {
  it('a search running while vectors are added, removed or reset sees the index as it started', async () => {
    const index = trained();
    index.addSync(xb.subarray(0, 4000 * d));
    const expected = index.searchSync(xq, 10, { nprobe: 8 });
    const pending = [index.search(xq, 10, { nprobe: 8 }), index.search(xq, 10, { nprobe: 8 })];
    index.addSync(xb.subarray(4000 * d)); // appends past the snapshot or reallocates
    const p3 = index.search(xq, 10, { nprobe: 8 });
    index.removeIds(new IDSelectorRange(0, 2000)); // copy-on-write of the touched lists
    const p4 = index.search(xq, 10, { nprobe: 8 });
    index.reset();
    const [r1, r2, r3, r4] = await Promise.all([...pending, p3, p4]);
    same(r1, expected);
    same(r2, expected);
    for (const l of r3.labels) expect(l >= -1n && l < 6000n).toBe(true);
    for (const l of r4.labels) expect(l >= 2000n || l === -1n).toBe(true);
    expect(index.ntotal).toBe(0);
  });

  it('async add while async searches run; training can be aborted and leaves the index as it was', async () => {
    const index = trained();
    index.addSync(xb.subarray(0, 3000 * d));
    const expected = index.searchSync(xq, 5, { nprobe: 4 });
    const s = index.search(xq, 5, { nprobe: 4 });
    const add = index.add(xb.subarray(3000 * d));
    same(await s, expected);
    await add;
    expect(index.ntotal).toBe(6000);

    const fresh = new IndexIVFFlat(d, nlist);
    fresh.cp.niter = 50;
    const ac = new AbortController();
    setImmediate(() => ac.abort());
    await expect(fresh.train(xb, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(fresh.isTrained).toBe(false);
    expect(fresh.quantizer.ntotal).toBe(0);
    await fresh.train(xb);
    expect(fresh.isTrained).toBe(true);
    expect(fresh.quantizer.ntotal).toBe(nlist);
  });
});
