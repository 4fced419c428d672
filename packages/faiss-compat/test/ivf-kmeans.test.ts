/**
 * FAISS Python's IVF-Flat and k-means code, ported line by line, with real
 * FAISS (through /usr/bin/python3) as the oracle where it is installed.
 */
import { describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { asF32, asI64, faissAvailable, runFaiss } from './faiss-oracle';

function blobs(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const centers = Float32Array.from({ length: 30 * d }, () => r() * 10);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * 30);
    for (let j = 0; j < d; j++) x[i * d + j] = centers[c * d + j] + r() - 0.5;
  }
  return x;
}

const d = 16;
const nlist = 20;
const xb = blobs(4000, d, 1);
const xq = blobs(50, d, 2);

describe('faiss.IndexIVFFlat', () => {
  it('ports the FAISS tutorial (quantizer, nlist, nprobe, train, add, search)', () => {
    const quantizer = new faiss.IndexFlatL2(d);
    const index = new faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_L2);
    expect(index.is_trained).toBe(false);
    index.train(xb);
    expect(index.is_trained).toBe(true);
    expect(index.quantizer).toBe(quantizer);
    expect(quantizer.ntotal).toBe(nlist);
    expect(index.nlist).toBe(nlist);
    index.add(xb);
    expect(index.ntotal).toBe(4000);
    expect(index.nprobe).toBe(1);
    const [D1, I1] = index.search(xq, 5);
    index.nprobe = nlist;
    const [D, I] = index.search(xq, 5);
    const flat = new faiss.IndexFlatL2(d);
    flat.add(xb);
    const [, FI] = flat.search(xq, 5);
    expect(Array.from(I)).toEqual(Array.from(FI));
    expect(D.length).toBe(250);
    expect(D1.length).toBe(250);
    expect(I1.every((l) => l >= -1n && l < 4000n)).toBe(true);
    // per-call parameters
    const [, I3] = index.search(xq, 5, new faiss.SearchParametersIVF({ nprobe: 1 }));
    expect(Array.from(I3)).toEqual(Array.from(I1));
    expect(index.nprobe).toBe(nlist);
    // invlists, direct map, reconstruct, merge
    let total = 0;
    for (let l = 0; l < nlist; l++) total += index.invlists.list_size(l);
    expect(total).toBe(4000);
    expect(index.invlists.get_ids(0).length).toBe(index.invlists.list_size(0));
    expect(index.invlists.get_codes(0).length).toBe(index.invlists.list_size(0) * d * 4);
    expect(() => index.reconstruct(3)).toThrow(/direct map/);
    index.make_direct_map();
    expect(index.direct_map.type).toBe(faiss.DirectMap.Array);
    expect(Array.from(index.reconstruct(3))).toEqual(Array.from(xb.subarray(3 * d, 4 * d)));
    index.set_direct_map_type(faiss.DirectMap.NoMap);
    const other = new faiss.IndexIVFFlat(quantizer, d, nlist);
    other.train(xb);
    other.add(xb.subarray(0, 100 * d));
    index.merge_from(other, 4000);
    expect(index.ntotal).toBe(4100);
    expect(other.ntotal).toBe(0);
    expect(faiss.extract_index_ivf(index)).toBeInstanceOf(faiss.IndexIVFFlat);
    index.cp.niter = 3;
    expect(index.cp.niter).toBe(3);
    expect(index.impl.cp.niter).toBe(3);
  });

  it.skipIf(!faissAvailable())('matches FAISS given the same centroids', () => {
    const out = runFaiss(
      `x = load('xb', 'float32').reshape(-1, ${d}); q = load('xq', 'float32').reshape(-1, ${d})\n` +
        `quant = faiss.IndexFlatL2(${d}); index = faiss.IndexIVFFlat(quant, ${d}, ${nlist})\nindex.train(x); index.add(x); index.nprobe = 4\n` +
        `Dd, I = index.search(q, 10)\nsave('C', quant.reconstruct_n(0, ${nlist})); save('D', Dd); save('I', I)\n`,
      { xb, xq },
      ['C', 'D', 'I'],
    );
    const quantizer = new faiss.IndexFlatL2(d);
    quantizer.add(asF32(out.C));
    const index = new faiss.IndexIVFFlat(quantizer, d, nlist);
    index.train(xb);
    index.add(xb);
    index.nprobe = 4;
    const [D, I] = index.search(xq, 10);
    const FD = asF32(out.D);
    const FI = asI64(out.I);
    let mismatches = 0;
    for (let i = 0; i < I.length; i++) {
      if (I[i] !== FI[i]) mismatches++;
      expect(Math.abs(D[i] - FD[i])).toBeLessThanOrEqual(1e-4 * FD[i] + 1e-3);
    }
    expect(mismatches).toBeLessThanOrEqual(2);
  });
});

describe('faiss.Kmeans / faiss.Clustering', () => {
  it('Kmeans(d, k, {niter, seed, ...}).train returns the objective; centroids, obj, iteration_stats, index, assign', () => {
    const km = new faiss.Kmeans(d, 30, { niter: 10, seed: 1234, verbose: false });
    const obj = km.train(xb);
    expect(obj).toBe(km.obj[9]);
    expect(km.centroids!.length).toBe(30 * d);
    expect(km.iteration_stats.length).toBe(10);
    expect(Object.keys(km.iteration_stats[0]).sort()).toEqual(['imbalance_factor', 'nsplit', 'obj', 'time', 'time_search']);
    expect(km.index!.ntotal).toBe(30);
    const [D, I] = km.assign(xq);
    expect(D.length).toBe(50);
    expect(I.every((l) => l >= 0n && l < 30n)).toBe(true);
    expect(() => new faiss.Kmeans(d, 30, { nitre: 3 } as never)).toThrow(/nitre/);
    expect(() => new faiss.Kmeans(d, 30, { gpu: true } as never)).toThrow(/gpu/);
  });

  it('Clustering(d, k, cp).train(x, index) with iteration_stats.size()/at(i)', () => {
    const cp = new faiss.ClusteringParameters();
    expect(cp.niter).toBe(25);
    expect(cp.max_points_per_centroid).toBe(256);
    cp.niter = 6;
    cp.spherical = false;
    expect(() => {
      cp.niter = -2;
    }).toThrow(/niter/);
    const clus = new faiss.Clustering(d, 25, cp);
    expect(clus.niter).toBe(6);
    clus.seed = 99;
    const index = new faiss.IndexFlatL2(d);
    clus.train(xb, index);
    expect(clus.iteration_stats.size()).toBe(6);
    expect(clus.iteration_stats.at(5)!.obj).toBeGreaterThan(0);
    expect(index.ntotal).toBe(25);
    expect(clus.centroids.length).toBe(25 * d);
  });

  it.skipIf(!faissAvailable())('objective within 1% of FAISS Kmeans, same seed', () => {
    const out = runFaiss(
      `x = load('xb', 'float32').reshape(-1, ${d})\nkm = faiss.Kmeans(${d}, 40, niter=15, seed=7)\nkm.train(x)\nsave('obj', np.array(km.obj, dtype='float64'))\n`,
      { xb },
      ['obj'],
    );
    const fobj = new Float64Array(out.obj.buffer.slice(out.obj.byteOffset, out.obj.byteOffset + out.obj.byteLength));
    const km = new faiss.Kmeans(d, 40, { niter: 15, seed: 7 });
    km.train(xb);
    expect(km.obj.length).toBe(fobj.length);
    const last = fobj[fobj.length - 1];
    expect(Math.abs(km.obj[14] - last) / last).toBeLessThan(0.01);
  });
});
