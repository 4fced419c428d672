/**
 * IndexIVFPQ / IndexIVFScalarQuantizer training progress: the caller's
 * onProgress sees every coarse k-means iteration (as IndexIVF reports them),
 * then the codec's own steps (sub-quantizers and the precomputed table; the
 * scalar quantizer's ranges), sync and async alike; an abort in either
 * phase leaves the index (and its flat quantizer) as it was.
 */
import { describe, expect, it } from 'vitest';
import { IndexIDMap, IndexIVFPQ, IndexIVFScalarQuantizer, MetalFaissError, type IVFTrainProgress } from '../src/index';
import { clustered } from './pq-sq-helpers';

const d = 16;
const nlist = 8;
const xt = clustered(2000, d, 5);

function pqIndex(): IndexIVFPQ {
  const index = new IndexIVFPQ(d, nlist, 4, 4);
  index.cp.niter = 3;
  index.pq.cp.niter = 4;
  return index;
}

function sqIndex(): IndexIVFScalarQuantizer {
  const index = new IndexIVFScalarQuantizer(d, nlist, 'QT_8bit');
  index.cp.niter = 3;
  return index;
}

async function trainSteps(index: IndexIVFPQ | IndexIVFScalarQuantizer, mode: 'sync' | 'async'): Promise<IVFTrainProgress[]> {
  const seen: IVFTrainProgress[] = [];
  const onProgress = (p: IVFTrainProgress) => seen.push(p);
  if (mode === 'sync') index.trainSync(xt, { onProgress });
  else await index.train(xt, { onProgress });
  return seen;
}

const fmt = (p: IVFTrainProgress) => `${p.step}:${p.done}/${p.total}`;

describe('IVF-PQ / IVF-SQ train progress', () => {
  it('IndexIVFPQ: coarse k-means iterations, codec, sub-quantizers, precomputed table, done (sync and async)', async () => {
    for (const mode of ['sync', 'async'] as const) {
      const index = pqIndex();
      const seen = await trainSteps(index, mode);
      expect(index.isTrained, mode).toBe(true);
      expect(index.precomputedTable, mode).not.toBeNull();
      expect(seen.map(fmt), mode).toEqual([
        'coarse quantizer:1/8', 'coarse quantizer:2/8', 'coarse quantizer:3/8', 'codec:3/8',
        'sub-quantizer 1/4:3/8', 'sub-quantizer 2/4:4/8', 'sub-quantizer 3/4:5/8', 'sub-quantizer 4/4:6/8',
        'precomputed table:7/8', 'done:8/8',
      ]);
      expect(seen.filter((p) => p.kmeans).map((p) => p.kmeans!.iteration), mode).toEqual([0, 1, 2]);
      expect(seen.every((p) => p.phase === 'train' && p.elapsedMs >= 0), mode).toBe(true);
      const elapsed = seen.map((p) => p.elapsedMs);
      expect(elapsed, mode).toEqual([...elapsed].sort((a, b) => a - b));
    }
  });

  it('IndexIVFPQ without residuals (no table) and with IP: the total still counts M + 1 codec steps', async () => {
    for (const mode of ['sync', 'async'] as const) {
      const index = new IndexIVFPQ(d, nlist, 4, 4, { byResidual: false });
      index.cp.niter = 2;
      const seen = await trainSteps(index, mode);
      expect(seen.map(fmt), mode).toEqual([
        'coarse quantizer:1/7', 'coarse quantizer:2/7', 'codec:2/7',
        'sub-quantizer 1/4:2/7', 'sub-quantizer 2/4:3/7', 'sub-quantizer 3/4:4/7', 'sub-quantizer 4/4:5/7', 'done:7/7',
      ]);
    }
  });

  it('sync and async training with progress give the same index as training without it', async () => {
    const plain = pqIndex();
    plain.trainSync(xt);
    const withProgress = pqIndex();
    await trainSteps(withProgress, 'async');
    expect(withProgress.pq.centroids).toEqual(plain.pq.centroids);
    expect(withProgress.quantizer.reconstructN(0, nlist)).toEqual(plain.quantizer.reconstructN(0, nlist));
  });

  it('IndexIVFScalarQuantizer: coarse k-means iterations, codec, the ranges, done (sync and async)', async () => {
    for (const mode of ['sync', 'async'] as const) {
      const index = sqIndex();
      const seen = await trainSteps(index, mode);
      expect(index.isTrained, mode).toBe(true);
      expect(seen.map(fmt), mode).toEqual([
        'coarse quantizer:1/4', 'coarse quantizer:2/4', 'coarse quantizer:3/4', 'codec:3/4', 'scalar quantizer ranges:3/4', 'done:4/4',
      ]);
    }
  });

  it('an already trained quantizer runs no k-means: codec steps only (the total as IndexIVF counts it)', () => {
    const a = sqIndex();
    a.trainSync(xt);
    const b = new IndexIVFScalarQuantizer(d, nlist, 'QT_8bit', { quantizer: a.quantizer });
    b.cp.niter = 3;
    const seen: string[] = [];
    b.trainSync(xt, { onProgress: (p) => seen.push(fmt(p)) });
    expect(seen).toEqual(['codec:3/4', 'scalar quantizer ranges:3/4', 'done:4/4']);
    expect(b.sq.trained).toEqual(a.sq.trained);
  });

  it('IndexIDMap passes the progress through to an IVF-PQ', async () => {
    const m = new IndexIDMap(pqIndex());
    const steps: string[] = [];
    await m.train(xt, { onProgress: (p) => steps.push(`${p.step}:${p.done}/${p.total}`) });
    expect(steps.at(-1)).toBe('done:8/8');
    expect(steps.filter((s) => s.startsWith('sub-quantizer'))).toHaveLength(4);
  });

  it('an abort in the coarse k-means or in the codec phase leaves the index untrained with an empty quantizer', async () => {
    const cases: Array<[() => IndexIVFPQ | IndexIVFScalarQuantizer, string[]]> = [
      [pqIndex, ['coarse quantizer', 'codec', 'sub-quantizer 2/4', 'precomputed table']],
      [sqIndex, ['coarse quantizer', 'codec', 'scalar quantizer ranges']],
    ];
    for (const [make, steps] of cases) {
      for (const at of steps) {
        const index = make();
        const ac = new AbortController();
        const run = index.train(xt, { signal: ac.signal, onProgress: (p) => p.step === at && ac.abort() });
        await expect(run, `${index.typeName} ${at}`).rejects.toMatchObject({ code: 'ABORTED' });
        expect(index.isTrained).toBe(false);
        expect(index.quantizer.ntotal).toBe(0);
        if (index instanceof IndexIVFPQ) {
          expect(index.pq.isTrained).toBe(false);
          expect(index.precomputedTable).toBeNull();
        } else {
          expect(index.sq.trained).toHaveLength(0);
        }
        // the same index trains normally afterwards
        await index.train(xt);
        expect(index.isTrained).toBe(true);
      }
    }
  });

  it('refuses a progress callback that is not a function, leaving the index untrained', async () => {
    for (const index of [pqIndex(), sqIndex()]) {
      for (const bad of [42, 'x', {}]) {
        expect(() => index.trainSync(xt, { onProgress: bad as never })).toThrow(MetalFaissError);
        await expect(index.train(xt, { onProgress: bad as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      expect(index.isTrained).toBe(false);
      expect(index.quantizer.ntotal).toBe(0);
    }
  });
});
