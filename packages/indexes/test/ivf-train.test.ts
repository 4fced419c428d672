/**
 * IndexIVF training (issue #4): the caller's progress callback and verbose
 * reach the coarse quantizer's k-means, in train and trainSync; more than
 * 256 * nlist training vectors are subsampled as FAISS does, so the coarse
 * centroids are FAISS 1.7.3's (niter 10) for the same data.
 */
import { describe, expect, it } from 'vitest';
import { IndexFlatL2, IndexHNSWFlat, IndexIDMap, IndexIVFFlat, MetalFaissError, indexFactory } from '../src/index';
import type { IVFTrainProgress } from '../src/ivf/index-ivf';
import { FAISS_SKIP, PY_HEAD, hasFaiss, rng, runFaiss } from './hnsw-helpers';

if (!hasFaiss) console.warn(FAISS_SKIP);

const d = 16;
const nlist = 16;

/** well-separated blobs: stable assignments, so k-means follows FAISS's exactly */
function blobs(n: number, seed: number): Float32Array {
  const c = rng(7);
  const centers = new Float32Array(24 * d).map(() => c() * 20 - 10);
  const r = rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * 24);
    for (let j = 0; j < d; j++) x[i * d + j] = centers[k * d + j] + (r() - 0.5);
  }
  return x;
}

// 5000 > 256 * nlist = 4096: the k-means trains on a 4096-point subsample
const xt = blobs(5000, 1);

describe('IndexIVF.train forwards progress and verbose to the coarse k-means', () => {
  it('trainSync and train report every k-means iteration, then the codec, then done', async () => {
    for (const mode of ['sync', 'async'] as const) {
      const index = new IndexIVFFlat(d, nlist);
      index.cp.niter = 6;
      const seen: IVFTrainProgress[] = [];
      const onProgress = (p: IVFTrainProgress) => seen.push(p);
      if (mode === 'sync') index.trainSync(xt, { onProgress });
      else await index.train(xt, { onProgress });
      expect(index.isTrained, mode).toBe(true);
      const steps = seen.map((p) => `${p.step}:${p.done}/${p.total}`);
      expect(steps, mode).toEqual([
        ...Array.from({ length: 6 }, (_, i) => `coarse quantizer:${i + 1}/7`),
        'codec:6/7',
        'done:7/7',
      ]);
      const km = seen.filter((p) => p.kmeans).map((p) => p.kmeans!);
      expect(km.map((p) => p.iteration), mode).toEqual([0, 1, 2, 3, 4, 5]);
      expect(km.every((p) => p.niter === 6 && p.nredo === 1 && p.objective > 0), mode).toBe(true);
      expect(seen.every((p) => p.phase === 'train' && p.elapsedMs >= 0), mode).toBe(true);
    }
  });

  it('nredo runs count in the total; an HNSW quantizer (trains alone = 2) reports its k-means too', async () => {
    const index = indexFactory(d, `IVF${nlist}_HNSW8,Flat`) as IndexIVFFlat;
    expect(index.quantizerTrainsAlone).toBe(2);
    index.cp.niter = 3;
    index.cp.nredo = 2;
    const seen: IVFTrainProgress[] = [];
    await index.train(xt, { onProgress: (p: IVFTrainProgress) => seen.push(p) });
    expect(seen.map((p) => `${p.step}:${p.done}/${p.total}`)).toEqual([
      'coarse quantizer:1/7',
      'coarse quantizer:2/7',
      'coarse quantizer:3/7',
      'coarse quantizer:4/7',
      'coarse quantizer:5/7',
      'coarse quantizer:6/7',
      'codec:6/7',
      'done:7/7',
    ]);
    expect(index.quantizer.ntotal).toBe(nlist);
  });

  it('an already trained quantizer needs no k-means: only codec and done are reported', () => {
    const q = new IndexFlatL2(d);
    q.addSync(xt.subarray(0, nlist * d));
    const index = new IndexIVFFlat(d, nlist, { quantizer: q });
    const seen: string[] = [];
    index.trainSync(xt, { onProgress: (p: IVFTrainProgress) => seen.push(`${p.step}:${p.done}/${p.total}`) });
    expect(seen).toEqual(['codec:10/11', 'done:11/11']);
  });

  it('IndexIDMap passes the train options to the IVF index it wraps', async () => {
    const m = new IndexIDMap(new IndexIVFFlat(d, nlist));
    m.index.cp.niter = 2;
    const steps: string[] = [];
    await m.train(xt, { onProgress: (p) => steps.push(`${p.step}:${p.done}/${p.total}`) });
    expect(steps).toEqual(['coarse quantizer:1/3', 'coarse quantizer:2/3', 'codec:2/3', 'done:3/3']);
    expect(m.isTrained).toBe(true);
  });

  it('refuses a progress callback that is not a function, leaving the index untrained', async () => {
    const index = new IndexIVFFlat(d, nlist);
    for (const bad of [42, 'x', {}]) {
      expect(() => index.trainSync(xt, { onProgress: bad as never })).toThrow(MetalFaissError);
      await expect(index.train(xt, { onProgress: bad as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(index.isTrained).toBe(false);
    expect(index.quantizer.ntotal).toBe(0);
  });

  it('verbose prints FAISS\'s lines, the k-means subsampling included', () => {
    const index = new IndexIVFFlat(d, nlist);
    index.verbose = true;
    index.cp.niter = 2;
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    }) as typeof process.stdout.write;
    try {
      index.trainSync(xt);
    } finally {
      process.stdout.write = write;
    }
    expect(out).toContain('Training level-1 quantizer\n');
    expect(out).toContain(`Training level-1 quantizer on 5000 vectors in ${d}D\n`);
    expect(out).toContain('Sampling a subset of 4096 / 5000 for training\n');
    expect(out).toContain(`Clustering 4096 points in ${d}D to ${nlist} clusters, redo 1 times, 2 iterations\n`);
    expect(out).toContain('Training IVF residual\n');
  });
});

describe.skipIf(!hasFaiss)('IVF coarse centroids against FAISS 1.7.3 (more than 256 * nlist training vectors)', () => {
  it('IndexIVFFlat (flat quantizer, L2 and inner product) and IVF_HNSW (quantizer trains alone) give FAISS\'s centroids', async () => {
    const f = runFaiss(
      PY_HEAD +
        `
faiss.omp_set_num_threads(1)
x = f32('x.f32', ${d})
q = faiss.IndexFlatL2(${d}); idx = faiss.IndexIVFFlat(q, ${d}, ${nlist}); idx.train(x)
out('l2.f32', q.reconstruct_n(0, ${nlist}))
idx2 = faiss.index_factory(${d}, 'IVF${nlist},Flat', faiss.METRIC_INNER_PRODUCT); idx2.train(x)
out('ip.f32', faiss.downcast_index(idx2.quantizer).reconstruct_n(0, ${nlist}))
idx3 = faiss.index_factory(${d}, 'IVF${nlist}_HNSW8,Flat'); idx3.train(x)
out('hnsw.f32', faiss.downcast_index(idx3.quantizer).storage.reconstruct_n(0, ${nlist}))
`,
      { 'x.f32': xt },
    );
    const close = (ours: Float32Array, theirs: Float32Array, what: string) => {
      expect(ours.length, what).toBe(theirs.length);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]) / Math.max(1, Math.abs(theirs[i])));
      expect(worst, what).toBeLessThan(1e-5);
    };
    const l2 = new IndexIVFFlat(d, nlist);
    await l2.train(xt);
    close((l2.quantizer as IndexFlatL2).vectors, f.f32('l2.f32'), 'L2');
    const ip = indexFactory(d, `IVF${nlist},Flat`, 'ip') as IndexIVFFlat;
    ip.trainSync(xt);
    close(ip.quantizer.reconstructN(0, nlist), f.f32('ip.f32'), 'inner product (spherical)');
    const hn = indexFactory(d, `IVF${nlist}_HNSW8,Flat`) as IndexIVFFlat;
    await hn.train(xt);
    expect(hn.quantizer).toBeInstanceOf(IndexHNSWFlat);
    close(hn.quantizer.reconstructN(0, nlist), f.f32('hnsw.f32'), 'HNSW quantizer');
  });
});
