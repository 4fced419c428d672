/**
 * index_factory / index_binary_factory strings wired in issue #6 (HNSW over
 * PQ / SQ storage, binary IVF with a flat or HNSW quantizer, and wrappers
 * around them), through faiss-compat: each builds the compat class, trains,
 * adds and searches with recall against exact ground truth, is written with
 * write_index, and, when /usr/bin/python3 has FAISS, FAISS reads the file and
 * returns our results.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { asF32, asI64, faissAvailable, runFaiss } from './faiss-oracle';
import { d, rand } from './io-ivf-helpers';

const hasFaiss = faissAvailable();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-factory-wiring-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** points near an 8-dimensional subspace of R^d (meaningful neighbours), optionally scaled to unit norm */
function data(n: number, seed: number, unit = false): Float32Array {
  const W = rand(8 * d, 77);
  const z = rand(n * 8, seed);
  const noise = rand(n * d, seed + 1);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j++) {
      let s = noise[i * d + j] * 0.05;
      for (let t = 0; t < 8; t++) s += 4 * z[i * 8 + t] * W[t * d + j];
      x[i * d + j] = s;
      norm += s * s;
    }
    if (unit) for (let j = 0; j < d; j++) x[i * d + j] /= Math.sqrt(norm);
  }
  return x;
}

function recall(I: BigInt64Array, gt: BigInt64Array, nq: number, k: number): number {
  let hit = 0;
  for (let q = 0; q < nq; q++) {
    const want = new Set(Array.from(gt.subarray(q * k, (q + 1) * k)));
    for (let j = 0; j < k; j++) if (want.has(I[q * k + j])) hit++;
  }
  return hit / (nq * k);
}

function agreement(a: BigInt64Array, b: BigInt64Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

const nb = 4000;
const nq = 60;
const k = 10;

/** [factory string, metric, search parameters (ParameterSpace), compat class, minimum recall@10] */
const FLOAT: Array<[string, number, string, string, number]> = [
  ['HNSW16,PQ8np', faiss.METRIC_L2, 'efSearch=48', 'IndexHNSWPQ', 0.65],
  ['HNSW16,SQ8', faiss.METRIC_L2, 'efSearch=48', 'IndexHNSWSQ', 0.95],
  ['HNSW16_SQfp16', faiss.METRIC_INNER_PRODUCT, 'efSearch=48', 'IndexHNSWSQ', 0.97],
  ['IDMap2,HNSW16,SQ4', faiss.METRIC_L2, 'efSearch=48', 'IndexIDMap2', 0.75],
  ['PCA24,HNSW16,SQ8', faiss.METRIC_L2, 'efSearch=48', 'IndexPreTransform', 0.9],
  ['HNSW16,PQ8np,RFlat', faiss.METRIC_L2, 'efSearch=48,k_factor_rf=4', 'IndexRefineFlat', 0.95],
  ['IVF32_HNSW16,SQ8', faiss.METRIC_L2, 'nprobe=8,quantizer_efSearch=32', 'IndexIVFScalarQuantizer', 0.9],
];

describe('index_factory: HNSW over PQ / SQ storage, and wrappers around it', () => {
  const built: Array<{ s: string; file: string; params: string; metric: number; D: Float32Array; I: BigInt64Array }> = [];
  const xq: Record<number, Float32Array> = { [faiss.METRIC_L2]: data(nq, 2), [faiss.METRIC_INNER_PRODUCT]: data(nq, 2, true) };

  it.each(FLOAT)('%s (metric %d): builds, trains, adds, searches with recall against exact search, and is written', async (s, metric, params, cls, minRecall) => {
    const xb = data(nb, 1, metric === faiss.METRIC_INNER_PRODUCT);
    const q = xq[metric];
    const index = faiss.index_factory(d, s, metric);
    expect(index.constructor.name).toBe(cls);
    expect(index).toBeInstanceOf((faiss as unknown as Record<string, new () => object>)[cls]);
    await index.train_async(xb);
    expect(index.is_trained).toBe(true);
    const ids = BigInt64Array.from({ length: nb }, (_, i) => BigInt(10 * i + 3));
    const withIds = s.includes('IDMap');
    if (withIds) index.add_with_ids(xb, ids);
    else await index.add_async(xb);
    expect(index.ntotal).toBe(nb);
    new faiss.ParameterSpace().set_index_parameters(index, params);
    const [D, I] = index.search(q, k);
    const flat = metric === faiss.METRIC_L2 ? new faiss.IndexFlatL2(d) : new faiss.IndexFlatIP(d);
    flat.add(xb);
    let gt = flat.search(q, k)[1];
    if (withIds) gt = gt.map((l) => (l >= 0n ? ids[Number(l)] : l));
    const rec = recall(I, gt, nq, k);
    expect(rec, `${s}: recall ${rec}`).toBeGreaterThanOrEqual(minRecall);
    const file = path.join(dir, `f${built.length}.faiss`);
    faiss.write_index(index, file);
    // our reader gives the same index back
    const again = faiss.read_index(file);
    expect(again.constructor.name).toBe(cls);
    expect(again.search(q, k)[1]).toEqual(I);
    built.push({ s, file, params, metric, D, I });
  });

  it.skipIf(!hasFaiss)('FAISS reads every file written here and returns our results', () => {
    expect(built.length).toBe(FLOAT.length);
    const script = `
import json
cases = json.loads(${JSON.stringify(JSON.stringify(built.map((b) => [b.file, b.metric])))})
for i, (f, m) in enumerate(cases):
    q = load('q%d' % m, 'float32').reshape(-1, ${d})
    index = faiss.read_index(f)
    Dv, Iv = index.search(q, ${k})
    save('D%d' % i, Dv); save('I%d' % i, Iv)
    open(D + '/type%d.bin' % i, 'w').write(type(faiss.downcast_index(index)).__name__)
`;
    const out = runFaiss(
      script,
      { q0: xq[faiss.METRIC_INNER_PRODUCT], q1: xq[faiss.METRIC_L2] },
      built.flatMap((_, i) => [`D${i}`, `I${i}`, `type${i}`]),
    );
    built.forEach((b, i) => {
      expect(out[`type${i}`].toString(), b.s).toBe(FLOAT[i][3]);
      const FI = asI64(out[`I${i}`]);
      const FD = asF32(out[`D${i}`]);
      expect(agreement(b.I, FI), b.s).toBeGreaterThanOrEqual(0.995);
      for (let j = 0; j < FD.length; j++) if (b.I[j] === FI[j]) expect(Math.abs(b.D[j] - FD[j]), b.s).toBeLessThan(1e-4 * Math.max(1, Math.abs(FD[j])));
    });
  });

  it('refuses HNSW PQ storages FAISS 1.7.3 cannot build, naming the token', () => {
    expect(() => faiss.index_factory(d, 'HNSW16,PQ8x4')).toThrow(/'PQ8x4' at position 7 of 'HNSW16,PQ8x4'.*8-bit/);
    expect(() => faiss.index_factory(d, 'HNSW16,PQ8', faiss.METRIC_INNER_PRODUCT)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

/** codes around 50 prototypes with a few bits flipped */
function codes(n: number, cs: number, seed: number): Uint8Array {
  const protos = rand(50 * cs, 3).map((v) => Math.floor((v + 0.5) * 256));
  const r = rand(n * (cs * 2 + 1), seed);
  const x = new Uint8Array(n * cs);
  for (let i = 0; i < n; i++) {
    const o = i * (cs * 2 + 1);
    const c = Math.floor((r[o] + 0.5) * 50);
    for (let t = 0; t < cs; t++) {
      const u = r[o + 1 + 2 * t] + 0.5;
      x[i * cs + t] = protos[c * cs + t] ^ (u < 0.3 ? 1 << Math.floor((r[o + 2 + 2 * t] + 0.5) * 8) : 0);
    }
  }
  return x;
}

/** [factory string, compat class, nprobe] */
const BINARY: Array<[string, string, number]> = [
  ['BIVF32', 'IndexBinaryIVF', 4],
  ['BIVF32_HNSW8', 'IndexBinaryIVF', 4],
  ['IDMap,BIVF32', 'IndexBinaryIDMap', 4],
  ['BIVF16_HNSW8,IDMap2', 'IndexBinaryIDMap2', 3],
];

describe('index_binary_factory: binary IVF (flat or HNSW quantizer) and ID maps over it', () => {
  const bits = 128;
  const cs = bits / 8;
  const xb = codes(nb, cs, 1);
  const xq = codes(nq, cs, 2);
  const ids = BigInt64Array.from({ length: nb }, (_, i) => BigInt(7 * i + 5));
  const built: Array<{ s: string; file: string; D: Int32Array; I: BigInt64Array }> = [];

  it.each(BINARY)('%s: builds, trains, adds, searches with recall against exact search, and is written', async (s, cls, nprobe) => {
    const index = faiss.index_binary_factory(bits, s) as faiss.IndexBinary;
    expect(index.constructor.name).toBe(cls);
    await index.train_async(xb);
    expect(index.is_trained).toBe(true);
    const wrapped = s.includes('IDMap');
    if (wrapped) index.add_with_ids(xb, ids);
    else index.add(xb);
    const ivf = (wrapped ? (index as faiss.IndexBinaryIDMap).index : index) as faiss.IndexBinaryIVF;
    expect(ivf).toBeInstanceOf(faiss.IndexBinaryIVF);
    // the factory's quantizer, wrapped: flat or HNSW, holding the nlist trained centroids
    expect(ivf.quantizer.constructor.name).toBe(s.includes('_HNSW') ? 'IndexBinaryHNSW' : 'IndexBinaryFlat');
    expect(ivf.quantizer.ntotal).toBe(ivf.nlist);
    ivf.nprobe = nprobe;
    const [D, I] = index.search(xq, k);
    const flat = new faiss.IndexBinaryFlat(bits);
    flat.add(xb);
    const [FD] = flat.search(xq, k);
    // recall by distance: Hamming ties make ids ambiguous, the k-th exact distance bounds a hit
    let hit = 0;
    for (let q = 0; q < nq; q++) for (let j = 0; j < k; j++) if (I[q * k + j] >= 0n && D[q * k + j] <= FD[q * k + k - 1]) hit++;
    expect(hit / (nq * k), s).toBeGreaterThanOrEqual(0.9);
    if (wrapped) for (const l of I) if (l >= 0n) expect((l - 5n) % 7n).toBe(0n);
    const file = path.join(dir, `b${built.length}.faiss`);
    faiss.write_index_binary(index, file);
    const again = faiss.read_index_binary(file) as faiss.IndexBinary;
    expect(again.constructor.name).toBe(cls);
    expect(again.search(xq, k)).toEqual([D, I]);
    built.push({ s, file, D, I });
  });

  it.skipIf(!hasFaiss)('FAISS reads every file written here and returns exactly our results', () => {
    expect(built.length).toBe(BINARY.length);
    const script = `
import json
files = json.loads(${JSON.stringify(JSON.stringify(built.map((b) => b.file)))})
q = load('q', 'uint8').reshape(-1, ${cs})
for i, f in enumerate(files):
    index = faiss.read_index_binary(f)
    Dv, Iv = index.search(q, ${k})
    save('D%d' % i, Dv.astype(np.int32)); save('I%d' % i, Iv)
`;
    const out = runFaiss(script, { q: xq }, built.flatMap((_, i) => [`D${i}`, `I${i}`]));
    built.forEach((b, i) => {
      const FD = new Int32Array(out[`D${i}`].buffer.slice(out[`D${i}`].byteOffset, out[`D${i}`].byteOffset + out[`D${i}`].byteLength));
      expect([FD, asI64(out[`I${i}`])], b.s).toEqual([b.D, b.I]);
    });
  });
});
