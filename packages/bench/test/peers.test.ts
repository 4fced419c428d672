import { describe, expect, it } from 'vitest';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { syntheticDataset } from '../src/datasets/synthetic';
import { exactKnn } from '../src/measure/ground-truth';
import { compareResults, recallAtK } from '../src/measure/recall';
import { detectFaiss, faissEnvironment, FaissSession } from '../src/peers/faiss';
import { loadUsearch } from '../src/peers/usearch';

const faiss = detectFaiss();
if (!faiss.available) {
  // eslint-disable-next-line no-console
  console.warn(`FAISS runner tests skipped: ${faiss.reason}. Install python3-faiss (apt-get install -y python3-faiss libopenblas0-pthread) to enable.`);
}

describe('FAISS environment', () => {
  it('drops the OpenBLAS core pins and asks OpenMP to wait passively, for the runner only', () => {
    const env = faissEnvironment({ OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '1048576', OPENBLAS_NUM_THREADS: '2', PATH: '/bin' });
    expect(env.OPENBLAS_CORETYPE).toBeUndefined();
    expect(env.OPENBLAS_L2_SIZE).toBeUndefined();
    expect(env.OPENBLAS_NUM_THREADS).toBe('2');
    expect(env.OMP_WAIT_POLICY).toBe('PASSIVE');
    expect(env.PATH).toBe('/bin');
  });
});

describe('FAISS detection', () => {
  it('reports a missing FAISS with the install command, and FaissSession refuses to start', () => {
    const det = detectFaiss('/nonexistent/python3');
    expect(det.available).toBe(false);
    expect(det.reason).toContain('apt-get install -y python3-faiss libopenblas0-pthread');
    const ds = syntheticDataset({ d: 4, nt: 0, nb: 10, nq: 2, seed: 1 });
    expect(() => FaissSession.create(ds, 2, { python: '/nonexistent/python3' })).toThrow(/python3-faiss/);
  });
});

describe.skipIf(!faiss.available)('FAISS runner (real FAISS via /usr/bin/python3)', () => {
  const ds = syntheticDataset({ d: 24, nt: 0, nb: 1500, nq: 40, seed: 11 });
  const k = 10;

  it('returns the exact ground truth labels for IndexFlat, batch and single, at 1 and 2 threads', async () => {
    const gt = exactKnn({ xb: ds.xb, nb: ds.nb, xq: ds.xq, nq: ds.nq, d: ds.d, k, metric: 'l2' });
    const session = FaissSession.create(ds, ds.nq, { environment: 'inherit' }); // tests never change OPENBLAS_* variables
    try {
      const best = await session.runBest(
        { factory: 'Flat', metric: 'l2', k, nq: ds.nq, modes: ['batch', 'single'], warmup: 1, reps: 2, singleQueries: 15, singleWarmup: 2 },
        [1, 2],
      );
      expect(best.version).toMatch(/^\d+\.\d+/);
      expect(best.runs.map((r) => r.threads)).toEqual([1, 2]);
      const b = best.searches[0].batch!;
      expect([1, 2]).toContain(b.threads);
      expect(b.value.seconds).toHaveLength(2);
      expect(b.value.labels).toHaveLength(ds.nq * k);
      expect(recallAtK(b.value.labels, k, gt)).toBe(1);
      const cmp = compareResults({ labels: b.value.labels, distances: b.value.distances }, { labels: gt.labels, distances: gt.distances }, ds.nq, k, { relTol: 1e-4 });
      expect(cmp.mismatches).toBe(0);
      for (let i = 0; i < gt.distances.length; i++) expect(b.value.distances[i]).toBeCloseTo(gt.distances[i], 3);
      const s = best.searches[0].single!;
      expect(s.value.latenciesMs).toHaveLength(15);
      expect(s.value.stats.p50).toBeGreaterThan(0);
      expect(Array.from(s.value.labels)).toEqual(Array.from(b.value.labels.subarray(0, 15 * k)));
      expect(best.addSeconds.value).toBeGreaterThanOrEqual(0);
      expect(best.memoryBytes).toBeGreaterThanOrEqual(ds.nb * ds.d * 4);
    } finally {
      session.dispose();
    }
  });

  it('reports a FAISS error as a MetalFaissError with FAISS\'s reason', async () => {
    const session = FaissSession.create(ds, 5, { environment: 'inherit' });
    try {
      await expect(session.run({ factory: 'NoSuchIndex42', metric: 'l2', k: 1, nq: 5, modes: ['batch'] }, 1)).rejects.toSatisfy(
        (e: unknown) => MetalFaissError.isInstance(e) && (e as Error).message.includes('NoSuchIndex42'),
      );
    } finally {
      session.dispose();
    }
  });
});

describe('usearch peer', () => {
  const u = loadUsearch();
  it.skipIf(!u.ok)('exactSearch returns the exact neighbours (fresh copies, byteOffset 0)', () => {
    if (!u.ok) return;
    const ds = syntheticDataset({ d: 16, nt: 0, nb: 800, nq: 12, seed: 4 });
    const gt = exactKnn({ xb: ds.xb, nb: ds.nb, xq: ds.xq, nq: ds.nq, d: ds.d, k: 5, metric: 'l2' });
    const xb = u.peer.prepare(ds.xb);
    const xq = u.peer.prepare(ds.xq);
    expect(xb.byteOffset).toBe(0);
    expect(xb).not.toBe(ds.xb); // ds.xb is a view into a larger buffer
    const r = u.peer.exactSearch(xb, xq, ds.d, 5, 'l2', 1);
    expect(recallAtK(r.labels, 5, gt)).toBe(1);
  });

  it('a peer that cannot load is reported, not thrown', () => {
    expect(u.ok || (!u.ok && u.reason.length > 0)).toBe(true);
  });
});
