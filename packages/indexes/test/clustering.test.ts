/**
 * k-means: FAISS's random generator bit for bit, the same initial centroids
 * and subsample as FAISS, objectives within 1% of FAISS's (real FAISS through
 * /usr/bin/python3; skipped with a message when it is not installed), FAISS's
 * parameters, errors, warnings, empty-cluster splitting, weights, frozen /
 * spherical / integer centroids, nredo, progress, async and abort.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Clustering,
  type ClusteringOptions,
  DEFAULT_CLUSTERING_PARAMETERS,
  Index,
  IndexFlatIP,
  IndexFlatL2,
  Kmeans,
  MetalFaissError,
  type SearchParameters,
  type SearchResult,
} from '../src/index';
import { MersenneTwister, randPerm } from '../src/clustering/random';
import { formatG } from '../src/clustering/format';
import { rng } from './helpers';

// ------------------------------------------------------------------ FAISS oracle

const PYTHON = '/usr/bin/python3';
const faissOk = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import faiss, numpy'], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.warn('FAISS k-means comparisons skipped: /usr/bin/python3 cannot import faiss; install python3-faiss (apt-get install -y python3-faiss libopenblas0-pthread) to enable them');
  }
  return r.status === 0;
})();

/** Runs a FAISS Python snippet; `x` is written as float32, results come back as JSON + raw centroids. */
function faiss(script: string, x: Float32Array, d: number): { json: Record<string, unknown>; centroids: Float32Array } {
  const dir = mkdtempSync(join(tmpdir(), 'mf-kmeans-'));
  try {
    writeFileSync(join(dir, 'x.bin'), Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    const prelude =
      `import faiss, numpy as np, json\nfaiss.omp_set_num_threads(1)\nD = ${JSON.stringify(dir)}\n` +
      `x = np.fromfile(D + '/x.bin', dtype='<f4').reshape(-1, ${d})\nout = {}\n`;
    const post = `\nnp.ascontiguousarray(cent, dtype='<f4').tofile(D + '/c.bin')\nopen(D + '/out.json', 'w').write(json.dumps(out))\n`;
    const r = spawnSync(PYTHON, ['-c', prelude + script + post], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
    if (r.status !== 0) throw new Error(`FAISS failed: ${r.stderr}`);
    const c = readFileSync(join(dir, 'c.bin'));
    return {
      json: JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Record<string, unknown>,
      centroids: new Float32Array(c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function clusteringScript(k: number, params: string, metric = 'L2'): string {
  return (
    `cp = faiss.ClusteringParameters()\n${params}\n` +
    `clus = faiss.Clustering(x.shape[1], ${k}, cp)\nindex = faiss.IndexFlat${metric}(x.shape[1])\nclus.train(x, index)\n` +
    `cent = faiss.vector_float_to_array(clus.centroids)\n` +
    `st = clus.iteration_stats\nout['obj'] = [float(st.at(i).obj) for i in range(st.size())]\n` +
    `out['nsplit'] = [int(st.at(i).nsplit) for i in range(st.size())]\n` +
    `out['imbalance'] = [float(st.at(i).imbalance_factor) for i in range(st.size())]\n`
  );
}

// ------------------------------------------------------------------ data

/** Seeded clustered data: `centers` Gaussian-ish blobs of different spreads. */
function blobs(n: number, d: number, centers: number, seed: number): Float32Array {
  const r = rng(seed);
  const c = Float32Array.from({ length: centers * d }, () => r() * 20 - 10);
  const spread = Float32Array.from({ length: centers }, () => 0.3 + 2 * r());
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const b = Math.floor(r() * centers);
    for (let j = 0; j < d; j++) x[i * d + j] = c[b * d + j] + spread[b] * (r() + r() + r() - 1.5);
  }
  return x;
}

/** Runs fn and collects the process warnings it emits (they are delivered on a later tick). */
async function captureWarnings(fn: () => void): Promise<string[]> {
  const seen: string[] = [];
  const on = (w: Error) => seen.push(w.message);
  process.on('warning', on);
  try {
    fn();
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.off('warning', on);
  }
  return seen;
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

// ------------------------------------------------------------------ tests

describe("FAISS's random generator", () => {
  it('std::mt19937 outputs, rand_float and rand_perm match C++ bit for bit', () => {
    const mt = new MersenneTwister(1234);
    expect([mt.next(), mt.next(), mt.next()]).toEqual([822569775, 2137449171, 2671936806]);
    const m2 = new MersenneTwister(5489);
    for (let i = 0; i < 700; i++) m2.next(); // crosses a state regeneration
    expect(m2.next()).toBe(1294739153);
    expect(Math.fround(new MersenneTwister(1234).randFloat())).toBe(Math.fround(0.191519454));
    expect(Array.from(randPerm(10, 1235))).toEqual([3, 2, 4, 9, 0, 7, 1, 5, 6, 8]);
    // seeds wrap modulo 2^32 like (unsigned int) seed
    expect(new MersenneTwister(2 ** 32 + 1234).next()).toBe(822569775);
    expect(new MersenneTwister(1234n + 15486557n * 3n).next()).toBe(new MersenneTwister(1234 + 15486557 * 3).next());
  });

  it('formats objectives like printf %g', () => {
    expect([57431326720, 0.000123456, 1234567, 999999.5, 12, 1e-5].map((v) => formatG(v))).toEqual(['5.74313e+10', '0.000123456', '1.23457e+06', '1e+06', '12', '1e-05']);
  });
});

describe.skipIf(!faissOk)('Clustering against FAISS 1.7.3', () => {
  const d = 16;
  const k = 40;
  const x = blobs(4000, d, 25, 1);

  it('starts from the same centroids as FAISS (niter = 0), with and without subsampling', () => {
    for (const maxPoints of [256, 50]) {
      const f = faiss(clusteringScript(k, `cp.niter = 0\ncp.max_points_per_centroid = ${maxPoints}`), x, d);
      const clus = new Clustering(d, k, { niter: 0, maxPointsPerCentroid: maxPoints });
      clus.trainSync(x);
      expect(Array.from(clus.centroids)).toEqual(Array.from(f.centroids));
    }
  });

  it('objectives within 1% of FAISS at every iteration (L2)', () => {
    const f = faiss(clusteringScript(k, 'cp.niter = 20'), x, d);
    const clus = new Clustering(d, k, { niter: 20 });
    clus.trainSync(x);
    const fobj = f.json.obj as number[];
    expect(clus.obj.length).toBe(20);
    for (let i = 0; i < 20; i++) expect(Math.abs(clus.obj[i] - fobj[i]) / fobj[i], `iteration ${i}`).toBeLessThan(0.01);
    expect(Math.abs(clus.obj[19] - fobj[19]) / fobj[19]).toBeLessThan(1e-3);
    // the same start, the same data: the first objective agrees to float rounding
    expect(Math.abs(clus.obj[0] - fobj[0]) / fobj[0]).toBeLessThan(1e-5);
  });

  it('objective within 1% with subsampling, nredo and a different seed', async () => {
    const f = faiss(clusteringScript(k, 'cp.niter = 12\ncp.nredo = 2\ncp.seed = 77\ncp.max_points_per_centroid = 60'), x, d);
    const clus = new Clustering(d, k, { niter: 12, nredo: 2, seed: 77, maxPointsPerCentroid: 60 });
    const warnings = await captureWarnings(() => clus.trainSync(x));
    expect(warnings.filter((w) => w.startsWith('WARNING clustering'))).toEqual([]); // 4000 > 40 * 60: subsampled, no warning
    const fobj = f.json.obj as number[];
    expect(clus.obj.length).toBe(fobj.length);
    const last = fobj[fobj.length - 1];
    expect(Math.abs(clus.obj[clus.obj.length - 1] - last) / last).toBeLessThan(0.01);
  });

  it('spherical k-means with an inner-product index: objective within 1%', () => {
    const f = faiss(clusteringScript(k, 'cp.niter = 10\ncp.spherical = True', 'IP'), x, d);
    const clus = new Clustering(d, k, { niter: 10, spherical: true });
    clus.trainSync(x, new IndexFlatIP(d));
    const fobj = f.json.obj as number[];
    expect(Math.abs(clus.obj[9] - fobj[9]) / fobj[9]).toBeLessThan(0.01);
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += clus.centroids[c * d + j] ** 2;
      expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    }
  });

  it('splits empty clusters as FAISS does (same nsplit, objectives within 1%)', () => {
    // many exact duplicates: clusters go empty and get split
    const r = rng(5);
    const protos = Float32Array.from({ length: 30 * d }, () => Math.floor(r() * 4));
    const dup = new Float32Array(3000 * d);
    for (let i = 0; i < 3000; i++) dup.set(protos.subarray((i % 30) * d, (i % 30 + 1) * d), i * d);
    const kk = 60;
    const f = faiss(clusteringScript(kk, 'cp.niter = 8'), dup, d);
    const clus = new Clustering(d, kk, { niter: 8 });
    clus.trainSync(dup);
    const fsplit = f.json.nsplit as number[];
    expect(fsplit.some((v) => v > 0)).toBe(true);
    expect(clus.iterationStats.map((s) => s.nsplit)).toEqual(fsplit);
    const fobj = f.json.obj as number[];
    // exact ties abound here (duplicates): measure the gap against the starting objective
    for (let i = 0; i < 8; i++) expect(Math.abs(clus.obj[i] - fobj[i]) / fobj[0], `iteration ${i}`).toBeLessThan(0.01);
  });
});

describe('Clustering semantics', () => {
  const d = 8;
  const x = blobs(2000, d, 10, 3);

  it('has FAISS defaults and refuses unknown or bad parameters', () => {
    const c = new Clustering(d, 10);
    expect(c.parameters).toEqual({ ...DEFAULT_CLUSTERING_PARAMETERS });
    expect(DEFAULT_CLUSTERING_PARAMETERS).toMatchObject({ niter: 25, nredo: 1, seed: 1234, minPointsPerCentroid: 39, maxPointsPerCentroid: 256, spherical: false });
    expectCode(() => new Clustering(d, 10, { niter: -1 }), 'INVALID_ARGUMENT', /niter/);
    expectCode(() => new Clustering(d, 10, { nredo: 0 }), 'INVALID_ARGUMENT', /nredo/);
    expectCode(() => new Clustering(d, 10, { bogus: 1 } as never), 'INVALID_ARGUMENT', /bogus/);
    expectCode(() => new Clustering(0, 10), 'INVALID_ARGUMENT', /for d/);
    expectCode(() => new Clustering(d, 0), 'INVALID_ARGUMENT', /for k/);
  });

  it("throws FAISS's error for fewer points than centroids, and leaves the clustering unchanged", () => {
    const c = new Clustering(d, 20);
    expectCode(() => c.trainSync(x.subarray(0, 10 * d)), 'INVALID_ARGUMENT', /Number of training points \(10\) should be at least as large as number of clusters \(20\)/);
    expect(c.centroids.length).toBe(0);
    expect(c.iterationStats).toEqual([]);
    const bad = x.slice(0, 100 * d);
    bad[17] = Number.NaN;
    expectCode(() => c.trainSync(bad), 'INVALID_ARGUMENT', /NaN|finite/i);
    expectCode(() => c.trainSync(x, new IndexFlatL2(d + 1)), 'DIMENSION_MISMATCH', /Index dimension/);
    expectCode(() => c.trainSync(x, undefined, new Float32Array(3)), 'DIMENSION_MISMATCH', /weights/);
  });

  it("warns (FAISS's text) below minPointsPerCentroid", async () => {
    const c = new Clustering(d, 20, { niter: 2 });
    const w = await captureWarnings(() => c.trainSync(x.subarray(0, 100 * d)));
    expect(w).toContain('WARNING clustering 100 points to 20 centroids: please provide at least 780 training points');
  });

  it('n == k copies the points (one fake iteration), and the index holds the centroids', () => {
    const c = new Clustering(d, 10);
    const index = new IndexFlatL2(d);
    c.trainSync(x.subarray(0, 10 * d), index);
    expect(Array.from(c.centroids)).toEqual(Array.from(x.subarray(0, 10 * d)));
    expect(c.iterationStats).toEqual([{ obj: 0, time: 0, timeSearch: 0, imbalanceFactor: 1, nsplit: 0 }]);
    expect(index.ntotal).toBe(10);
  });

  it('the index ends up holding the centroids; iteration stats are complete', () => {
    const c = new Clustering(d, 16, { niter: 6 });
    const index = new IndexFlatL2(d);
    index.addSync(x.subarray(0, 5 * d)); // reset by training
    c.trainSync(x, index);
    expect(index.ntotal).toBe(16);
    expect(Array.from(index.vectors)).toEqual(Array.from(c.centroids));
    expect(c.iterationStats.length).toBe(6);
    for (let i = 0; i < 6; i++) {
      const s = c.iterationStats[i];
      expect(s.obj).toBeGreaterThan(0);
      expect(s.imbalanceFactor).toBeGreaterThanOrEqual(1);
      expect(s.timeSearch).toBeLessThanOrEqual(s.time + 1e-9);
      if (i > 0) expect(s.obj).toBeLessThanOrEqual(c.iterationStats[i - 1].obj * (1 + 1e-6));
    }
  });

  it('any Index works as the assignment index (searched with k = 1, as FAISS) and gives the same result', () => {
    // an index that is not an IndexFlat: FAISS's per-iteration reset/add/search path
    class Wrapped extends Index {
      readonly inner = new IndexFlatL2(d);
      constructor() {
        super(d, 1);
      }
      get ntotal() {
        return this.inner.ntotal;
      }
      get isTrained() {
        return true;
      }
      addSync(v: Float32Array) {
        this.inner.addSync(v);
      }
      trainSync() {}
      searchSync(q: Float32Array, k: number, p?: SearchParameters): SearchResult {
        return this.inner.searchSync(q, k, p);
      }
      search(q: Float32Array, k: number, p?: SearchParameters): Promise<SearchResult> {
        return this.inner.search(q, k, p);
      }
      reset() {
        this.inner.reset();
      }
      memoryBytes() {
        return this.inner.memoryBytes();
      }
    }
    // the direct path (kmeansAssign, skipping unmoved centroids) and FAISS's index path assign alike:
    // the same centroids bit for bit; objectives equal up to the rounding of the two distance formulas
    const a = new Clustering(d, 12, { niter: 5 });
    a.trainSync(x);
    const b = new Clustering(d, 12, { niter: 5 });
    const w = new Wrapped();
    b.trainSync(x, w);
    expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
    expect(w.ntotal).toBe(12);
    // through convergence too
    const xs = blobs(3000, d, 20, 21);
    const c = new Clustering(d, 20, { niter: 25 });
    c.trainSync(xs);
    const e = new Clustering(d, 20, { niter: 25 });
    e.trainSync(xs, new Wrapped());
    expect(Array.from(c.centroids)).toEqual(Array.from(e.centroids));
    for (let i = 0; i < 25; i++) expect(Math.abs(c.obj[i] - e.obj[i]) / e.obj[i]).toBeLessThan(1e-6);
    expect(c.obj[24]).toBe(c.obj[23]); // converged: nothing moved, the assignment stood
  });

  it('input centroids: used as the start, kept fixed when frozen', () => {
    const init = x.slice(0, 4 * d);
    const c = new Clustering(d, 10, { niter: 5, frozenCentroids: true });
    c.centroids = init.slice();
    c.trainSync(x);
    expect(Array.from(c.centroids.subarray(0, 4 * d))).toEqual(Array.from(init));
    const free = new Clustering(d, 10, { niter: 5 });
    free.centroids = init.slice();
    free.trainSync(x);
    expect(Array.from(free.centroids.subarray(0, 4 * d))).not.toEqual(Array.from(init));
    const bad = new Clustering(d, 10);
    bad.centroids = new Float32Array(d + 1);
    expectCode(() => bad.trainSync(x), 'INVALID_ARGUMENT', /multiple of dimension/);
  });

  it('weights: weight 2 equals a duplicated point (same start)', () => {
    const n = 300;
    const base = x.slice(0, n * d);
    const w = new Float32Array(n).fill(1);
    for (let i = 0; i < n; i += 3) w[i] = 2;
    const dupRows: number[] = [];
    for (let i = 0; i < n; i++) {
      dupRows.push(i);
      if (w[i] === 2) dupRows.push(i);
    }
    const dup = new Float32Array(dupRows.length * d);
    dupRows.forEach((r, t) => dup.set(base.subarray(r * d, (r + 1) * d), t * d));
    const init = base.slice(0, 8 * d);
    const a = new Clustering(d, 8, { niter: 6, minPointsPerCentroid: 1 });
    a.centroids = init.slice();
    a.trainSync(base, undefined, w);
    const b = new Clustering(d, 8, { niter: 6, minPointsPerCentroid: 1 });
    b.centroids = init.slice();
    b.trainSync(dup);
    for (let i = 0; i < a.centroids.length; i++) expect(a.centroids[i]).toBeCloseTo(b.centroids[i], 4);
  });

  it('spherical and integer centroids', () => {
    const s = new Clustering(d, 8, { niter: 3, spherical: true });
    s.trainSync(x);
    for (let c = 0; c < 8; c++) {
      let n2 = 0;
      for (let j = 0; j < d; j++) n2 += s.centroids[c * d + j] ** 2;
      expect(n2).toBeCloseTo(1, 5);
    }
    const ic = new Clustering(d, 8, { niter: 3, intCentroids: true });
    ic.trainSync(x);
    expect(ic.centroids.every((v) => Number.isInteger(v))).toBe(true);
  });

  it('nredo keeps the best run', () => {
    const one = new Clustering(d, 30, { niter: 4 });
    one.trainSync(x);
    const three = new Clustering(d, 30, { niter: 4, nredo: 3 });
    three.trainSync(x);
    // FAISS keeps the statistics of every run up to the best one
    expect([4, 8, 12]).toContain(three.obj.length);
    expect(three.obj[three.obj.length - 1]).toBeLessThanOrEqual(one.obj[3]);
    expect(three.obj.slice(0, 4)).toEqual(one.obj); // run 0 starts like the single run
  });

  it('reports progress and prints FAISS-style verbose lines', () => {
    const seen: number[] = [];
    const lines: string[] = [];
    const c = new Clustering(d, 10, { niter: 4, verbose: true, onProgress: (p) => seen.push(p.iteration) });
    c.log = (t) => lines.push(t);
    c.trainSync(x);
    expect(seen).toEqual([0, 1, 2, 3]);
    const text = lines.join('');
    expect(text).toContain('Clustering 2000 points in 8D to 10 clusters, redo 1 times, 4 iterations\n');
    expect(text).toMatch(/ {2}Iteration 3 \(\d+\.\d\d s, search \d+\.\d\d s\): objective=[0-9.e+]+ imbalance=\d\.\d{3} nsplit=0 {7}\r/);
  });

  it('async train equals sync train, keeps the event loop turning, and can be aborted', async () => {
    const xs = blobs(20000, 32, 30, 8);
    const a = new Clustering(32, 64, { niter: 6 });
    a.trainSync(xs);
    const b = new Clustering(32, 64, { niter: 6 });
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    await b.train(xs);
    running = false;
    expect(Array.from(b.centroids)).toEqual(Array.from(a.centroids));
    expect(b.obj).toEqual(a.obj);
    expect(ticks).toBeGreaterThan(6);

    const ac = new AbortController();
    const c = new Clustering(32, 64, { niter: 6, onProgress: (p) => p.iteration === 1 && ac.abort() });
    const index = new IndexFlatL2(32);
    await expect(c.train(xs, index, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(c.centroids.length).toBe(0);
    expect(c.iterationStats).toEqual([]);
    expect(index.ntotal).toBe(0);
  });
});

describe('Kmeans (FAISS Python wrapper)', () => {
  const d = 8;
  const x = blobs(3000, d, 12, 11);

  it('train returns the final objective; centroids, obj, iterationStats, index and assign', async () => {
    const km = new Kmeans(d, 12, { niter: 10, seed: 3 });
    expect(km.cp.niter).toBe(10);
    expectCode(() => km.assignSync(x), 'NOT_TRAINED', /train/);
    const obj = km.trainSync(x);
    expect(obj).toBe(km.obj[9]);
    expect(km.centroids!.length).toBe(12 * d);
    expect(km.iterationStats.length).toBe(10);
    expect(km.index!.ntotal).toBe(12);
    const { labels, distances } = km.assignSync(x.subarray(0, 50 * d));
    const brute = new IndexFlatL2(d);
    brute.addSync(km.centroids!);
    const r = brute.searchSync(x.subarray(0, 50 * d), 1);
    expect(Array.from(labels)).toEqual(Array.from(r.labels));
    expect(Array.from(distances)).toEqual(Array.from(r.distances));
    expect(Array.from((await km.assign(x.subarray(0, 50 * d))).labels)).toEqual(Array.from(labels));
    // a second Kmeans with the same seed gives the same result, also async
    const km2 = new Kmeans(d, 12, { niter: 10, seed: 3 });
    expect(await km2.train(x)).toBe(obj);
  });

  it('spherical uses an inner-product index; initCentroids and bad options', () => {
    const km = new Kmeans(d, 6, { niter: 3, spherical: true });
    km.trainSync(x);
    expect(km.index).toBeInstanceOf(IndexFlatIP);
    const init = x.slice(0, 6 * d);
    const km2 = new Kmeans(d, 6, { niter: 0 });
    km2.trainSync(x, { initCentroids: init });
    expect(Array.from(km2.centroids!)).toEqual(Array.from(init));
    expectCode(() => km2.trainSync(x, { initCentroids: new Float32Array(7) }), 'DIMENSION_MISMATCH', /initCentroids/);
    expectCode(() => new Kmeans(d, 6, { niterr: 3 } as never), 'INVALID_ARGUMENT', /niterr/);
  });
});

// ------------------------------------------------------------------ pruning

describe('Pruned k-means (group bounds) equals the full search', () => {
  /** Trains with pruning on and off (same options); returns both. */
  function both(d: number, k: number, x: Float32Array, options: ClusteringOptions = {}, weights?: Float32Array, init?: Float32Array) {
    const run = (pruning: boolean) => {
      const c = new Clustering(d, k, { ...options, pruning });
      if (init) c.centroids = init.slice();
      c.trainSync(x, undefined, weights);
      return c;
    };
    return { on: run(true), off: run(false) };
  }

  /** Same centroids and objectives bit for bit, the same FAISS statistics; pruning did skip work. */
  function expectSame(on: Clustering, off: Clustering, niter: number, mustPrune = true): void {
    expect(Array.from(on.centroids)).toEqual(Array.from(off.centroids));
    expect(on.obj).toEqual(off.obj);
    for (let i = 0; i < on.obj.length; i++) expect(Math.abs(on.obj[i] - off.obj[i])).toBeLessThanOrEqual(1e-5 * Math.abs(off.obj[i]));
    expect(on.iterationStats.map((s) => [s.imbalanceFactor, s.nsplit])).toEqual(off.iterationStats.map((s) => [s.imbalanceFactor, s.nsplit]));
    expect(off.pruneStats).toEqual([]);
    expect(on.pruneStats.length).toBeGreaterThan(0);
    expect(on.pruneStats.length).toBeLessThanOrEqual(on.obj.length);
    expect(on.pruneStats[0]).toMatchObject({ iteration: 0, computed: 1, prunedPoints: 0 });
    if (mustPrune && niter > 3) expect(Math.min(...on.pruneStats.slice(1).map((p) => p.computed))).toBeLessThan(0.7);
  }

  it('seeded synthetic data, several groups of centroids (k = 100), through convergence', () => {
    const d = 24;
    const x = blobs(4000, d, 50, 31);
    const { on, off } = both(d, 100, x, { niter: 30 });
    expectSame(on, off, 30);
    // late iterations compute a small part of the distances
    expect(on.pruneStats[on.pruneStats.length - 1].computed).toBeLessThan(0.2);
  });

  it('one group (k <= 32), weights, nredo, subsampling, frozen and integer centroids', () => {
    const d = 10;
    const x = blobs(3000, d, 20, 32);
    let r = both(d, 20, x, { niter: 12 });
    expectSame(r.on, r.off, 12);
    const w = Float32Array.from({ length: 3000 }, (_, i) => 0.5 + (i % 7) / 3);
    r = both(d, 70, x, { niter: 10 }, w);
    expectSame(r.on, r.off, 10);
    r = both(d, 40, x, { niter: 8, nredo: 3, seed: 77 });
    expectSame(r.on, r.off, 8);
    r = both(d, 50, x, { niter: 8, maxPointsPerCentroid: 30 });
    expectSame(r.on, r.off, 8);
    r = both(d, 64, x, { niter: 8, frozenCentroids: true }, undefined, x.slice(17 * d, 40 * d));
    expectSame(r.on, r.off, 8);
    const xi = x.map((v) => Math.round(v * 3));
    r = both(d, 48, xi, { niter: 10, intCentroids: true });
    expectSame(r.on, r.off, 10, false);
    // exact duplicates: exact ties everywhere, empty clusters split every iteration (the bounds follow every move)
    const rr = rng(5);
    const protos = Float32Array.from({ length: 30 * d }, () => Math.floor(rr() * 4));
    const few = new Float32Array(3000 * d);
    for (let i = 0; i < 3000; i++) few.set(protos.subarray((i % 30) * d, (i % 30 + 1) * d), i * d);
    r = both(d, 60, few, { niter: 10 });
    expectSame(r.on, r.off, 10, false);
    expect(r.on.iterationStats.some((s) => s.nsplit > 0)).toBe(true);
  });

  const FMNIST = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
  const haveFmnist = existsSync(FMNIST);
  if (!haveFmnist) console.warn(`Fashion-MNIST pruning test skipped: ${FMNIST} is missing`);
  it.skipIf(!haveFmnist)('Fashion-MNIST slice (6000 x 784, k = 256): the same k-means, most distances skipped', async () => {
    const raw = gunzipSync(readFileSync(FMNIST));
    const n = 6000, d = 784;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n * d; i++) x[i] = raw[16 + i];
    const { on, off } = both(d, 256, x, { niter: 10 });
    expectSame(on, off, 10);
    const total = on.pruneStats.reduce((s, p) => s + p.computed, 0) / on.pruneStats.length;
    expect(total).toBeLessThan(0.6);
    // the async driver issues the same requests
    const b = new Clustering(d, 256, { niter: 10 });
    await b.train(x);
    expect(Array.from(b.centroids)).toEqual(Array.from(on.centroids));
    expect(b.pruneStats).toEqual(on.pruneStats);
  });

  it('pruning option, METALFAISS_KMEANS_PRUNING=0, inner product, Kmeans', () => {
    const d = 6;
    const x = blobs(1500, d, 10, 33);
    expectCode(() => new Clustering(d, 10, { pruning: 'yes' as never }), 'INVALID_ARGUMENT', /boolean for pruning/);
    const c = new Clustering(d, 10, { niter: 5 });
    expect(c.pruning).toBe(true);
    const saved = process.env.METALFAISS_KMEANS_PRUNING;
    process.env.METALFAISS_KMEANS_PRUNING = '0';
    try {
      c.trainSync(x);
      expect(c.pruneStats).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.METALFAISS_KMEANS_PRUNING;
      else process.env.METALFAISS_KMEANS_PRUNING = saved;
    }
    const on = new Clustering(d, 10, { niter: 5 });
    on.trainSync(x);
    expect(on.pruneStats.length).toBe(5);
    expect(Array.from(on.centroids)).toEqual(Array.from(c.centroids));
    const ip = new Clustering(d, 10, { niter: 5, spherical: true });
    ip.trainSync(x, new IndexFlatIP(d));
    expect(ip.pruneStats).toEqual([]);
    const km = new Kmeans(d, 10, { niter: 5, pruning: false });
    expect(km.pruning).toBe(false);
    km.trainSync(x);
    expect(km.pruneStats).toEqual([]);
    expect(Array.from(km.centroids!)).toEqual(Array.from(on.centroids));
    const km2 = new Kmeans(d, 10, { niter: 5 });
    km2.trainSync(x);
    expect(km2.pruneStats.length).toBe(5);
    expect(km2.obj).toEqual(km.obj);
  });
});
