/** Async forms, the event loop, concurrency, and thread counts (native backend). */
import { afterAll, describe, expect, it } from 'vitest';
import { getNativeBackend, referenceBackend, type MetricCode } from '../src/index';
import { expectKnnEqual, knnArgs, randomInts } from './helpers';

const native = getNativeBackend();

describe.skipIf(!native)('async kernels', () => {
  it('knnAsync, pairwiseDistancesAsync and rangeSearchAsync give the sync results', async () => {
    const nq = 25;
    const nb = 300;
    const d = 33;
    for (const metric of [1, 0] as MetricCode[]) {
      for (const q of [2, nq]) {
        const xq = randomInts(q * d, 1 + q);
        const xb = randomInts(nb * d, 2 + q);
        const s = knnArgs(xq, xb, q, nb, d, 9, metric);
        const a = knnArgs(xq, xb, q, nb, d, 9, metric);
        native!.knn(s);
        await native!.knnAsync(a);
        expectKnnEqual(a, s);
        const ps = new Float32Array(q * nb);
        const pa = new Float32Array(q * nb);
        native!.pairwiseDistances({ xq, xb, nq: q, nb, d, metric, out: ps });
        await native!.pairwiseDistancesAsync({ xq, xb, nq: q, nb, d, metric, out: pa });
        expect(Array.from(pa)).toEqual(Array.from(ps));
        const r = { xq, xb, nq: q, nb, d, metric, radius: metric === 1 ? 120 : 200, labelOffset: 3 };
        const rs = native!.rangeSearch(r);
        const ra = await native!.rangeSearchAsync(r);
        expect(Array.from(ra.lims)).toEqual(Array.from(rs.lims));
        expect(Array.from(ra.labels)).toEqual(Array.from(rs.labels));
        expect(Array.from(ra.distances)).toEqual(Array.from(rs.distances));
      }
    }
  });

  it('normsL2SqrAsync and topkAsync give the sync results', async () => {
    const n = 300;
    const d = 77;
    const x = randomInts(n * d, 3);
    const a = new Float32Array(n);
    const b = new Float32Array(n);
    native!.normsL2Sqr(x, n, d, a);
    await native!.normsL2SqrAsync(x, n, d, b);
    expect(Array.from(b)).toEqual(Array.from(a));
    for (const largest of [true, false]) {
      const t = (outValues: Float32Array, outIndices: BigInt64Array) => ({ values: x, n, m: d, k: 9, largest, outValues, outIndices });
      const s = t(new Float32Array(n * 9), new BigInt64Array(n * 9));
      const y = t(new Float32Array(n * 9), new BigInt64Array(n * 9));
      native!.topk(s);
      await native!.topkAsync(y);
      expect(Array.from(y.outIndices)).toEqual(Array.from(s.outIndices));
      expect(Array.from(y.outValues)).toEqual(Array.from(s.outValues));
      const r = t(new Float32Array(n * 9), new BigInt64Array(n * 9));
      await referenceBackend.topkAsync(r);
      expect(Array.from(r.outIndices)).toEqual(Array.from(s.outIndices));
    }
    await expect(native!.topkAsync({ values: x, n, m: d, k: 0, largest: true, outValues: new Float32Array(0), outIndices: new BigInt64Array(0) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('keeps the event loop ticking during a long knnAsync call', async () => {
    // ~10 GFLOP: long enough that the loop must turn while it runs
    const nq = 1000;
    const nb = 40000;
    const d = 128;
    const xq = randomInts(nq * d, 7);
    const xb = randomInts(nb * d, 8);
    const args = knnArgs(xq, xb, nq, nb, d, 10, 1);
    let ticks = 0;
    let running = true;
    const spin = () => {
      if (!running) return;
      ticks++;
      setImmediate(spin);
    };
    setImmediate(spin);
    await native!.knnAsync(args);
    running = false;
    expect(ticks).toBeGreaterThan(0);
    // and the result is right (spot check a few queries against the reference)
    const sub = 3;
    const want = knnArgs(xq.subarray(0, sub * d), xb, sub, nb, d, 10, 1);
    referenceBackend.knn(want);
    expect(Array.from(args.labels.subarray(0, sub * 10))).toEqual(Array.from(want.labels));
  });

  it('several concurrent async calls all give correct results', async () => {
    const d = 40;
    const nb = 2000;
    const jobs = Array.from({ length: 6 }, (_, i) => {
      const nq = [1, 3, 50, 17, 64, 5][i];
      const metric = (i % 2) as MetricCode;
      const xq = randomInts(nq * d, 100 + i);
      const xb = randomInts(nb * d, 200 + i);
      return { nq, metric, xq, xb, got: knnArgs(xq, xb, nq, nb, d, 11, metric), want: knnArgs(xq, xb, nq, nb, d, 11, metric) };
    });
    await Promise.all(jobs.map((j) => native!.knnAsync(j.got)));
    for (const j of jobs) {
      native!.knn(j.want);
      expectKnnEqual(j.got, j.want);
    }
    // and against the reference for one of them
    const ref = knnArgs(jobs[2].xq, jobs[2].xb, jobs[2].nq, nb, d, 11, jobs[2].metric);
    referenceBackend.knn(ref);
    expectKnnEqual(jobs[2].got, ref);
  });
});

describe.skipIf(!native)('thread count', () => {
  const initial = native ? native.getNumThreads() : 1;
  afterAll(() => native?.setNumThreads(initial));

  it('defaults to the CPUs available and is settable/readable', () => {
    expect(initial).toBeGreaterThanOrEqual(1);
    native!.setNumThreads(3);
    expect(native!.getNumThreads()).toBe(3);
    expect(native!.info().threads).toBe(3);
    native!.setNumThreads(1);
    expect(native!.getNumThreads()).toBe(1);
  });

  it('results do not depend on the thread count', () => {
    const d = 50;
    const nb = 3000;
    for (const nq of [1, 6, 90]) {
      for (const metric of [1, 0] as MetricCode[]) {
        const xq = randomInts(nq * d, 300 + nq, 5);
        const xb = randomInts(nb * d, 400 + nq, 5);
        const results = [1, 2, 5, 16].map((t) => {
          native!.setNumThreads(t);
          const a = knnArgs(xq, xb, nq, nb, d, 25, metric);
          native!.knn(a);
          const r = native!.rangeSearch({ xq, xb, nq, nb, d, metric, radius: metric === 1 ? 180 : 250 });
          return { a, r };
        });
        for (const { a, r } of results.slice(1)) {
          expectKnnEqual(a, results[0].a);
          expect(Array.from(r.lims)).toEqual(Array.from(results[0].r.lims));
          expect(Array.from(r.labels)).toEqual(Array.from(results[0].r.labels));
        }
      }
    }
    native!.setNumThreads(initial);
  });
});
