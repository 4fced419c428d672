/**
 * FAISS files both ways for the HNSW, binary and LSH families: files FAISS
 * 1.7.3 wrote, read here, give FAISS's results; files written here, read by
 * FAISS, give ours. Skipped without python3-faiss.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as faiss from '../src/index';
import { faissAvailable, PYTHON } from './faiss-oracle';

const hasFaiss = faissAvailable();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-hnsw-io-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function py(script: string): void {
  const head = `import faiss, numpy as np, os\nD = ${JSON.stringify(dir)}\ndef f32(n, d): return np.fromfile(os.path.join(D, n), dtype=np.float32).reshape(-1, d)\ndef u8(n, cs): return np.fromfile(os.path.join(D, n), dtype=np.uint8).reshape(-1, cs)\ndef out(n, a): np.ascontiguousarray(a).tofile(os.path.join(D, n))\n`;
  const r = spawnSync(PYTHON, ['-c', head + script], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  if (r.status !== 0) throw new Error(`FAISS script failed: ${r.stderr}`);
}
const file = (n: string) => path.join(dir, n);
const write = (n: string, a: ArrayBufferView) => fs.writeFileSync(file(n), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
function read<T>(n: string, C: new (b: ArrayBuffer) => T): T {
  const b = fs.readFileSync(file(n));
  return new C(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** points near an 8-dimensional subspace of R^d (meaningful neighbours) */
function data(n: number, d: number, seed: number): Float32Array {
  const b = rng(77 + d);
  const W = new Float32Array(8 * d).map(() => b() * 2 - 1);
  const r = rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: 8 }, () => r() * 2 - 1);
    for (let j = 0; j < d; j++) {
      let s = (r() - 0.5) * 0.02;
      for (let t = 0; t < 8; t++) s += z[t] * W[t * d + j];
      x[i * d + j] = s;
    }
  }
  return x;
}

function agreement(a: BigInt64Array, b: BigInt64Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

describe.skipIf(!hasFaiss)('HNSW files', () => {
  const d = 24;
  const x = data(6000, d, 1);
  const q = data(200, d, 2);

  for (const metric of [faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT]) {
    it(`a FAISS IndexHNSWFlat file (metric ${metric}) searches here as in FAISS`, () => {
      write('x.f32', x);
      write('q.f32', q);
      py(`
x = f32('x.f32', ${d}); q = f32('q.f32', ${d})
idx = faiss.IndexHNSWFlat(${d}, 16, ${metric})
idx.hnsw.efConstruction = 60
idx.add(x)
idx.hnsw.efSearch = 24
faiss.write_index(idx, os.path.join(D, 'hnsw.faiss'))
Dd, I = idx.search(q, 10)
out('D.f32', Dd.astype(np.float32)); out('I.i64', I.astype(np.int64))
`);
      const index = faiss.read_index(file('hnsw.faiss')) as faiss.IndexHNSWFlat;
      expect(index).toBeInstanceOf(faiss.IndexHNSWFlat);
      expect(index.hnsw.efSearch).toBe(24);
      expect(index.hnsw.efConstruction).toBe(60);
      expect(index.ntotal).toBe(6000);
      const [D, I] = index.search(q, 10);
      expect(agreement(I, read('I.i64', BigInt64Array))).toBeGreaterThanOrEqual(0.995);
      const fD = read('D.f32', Float32Array);
      for (let i = 0; i < fD.length; i++) if (I[i] === read('I.i64', BigInt64Array)[i]) expect(Math.abs(D[i] - fD[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(fD[i])));
    });

    it(`an IndexHNSWFlat written here (metric ${metric}) searches in FAISS as here`, async () => {
      const index = new faiss.IndexHNSWFlat(d, 12, metric);
      index.set_efConstruction(50);
      await index.add_async(x);
      index.set_efSearch(32);
      faiss.write_index(index, file('ours.faiss'));
      write('q.f32', q);
      py(`
q = f32('q.f32', ${d})
idx = faiss.read_index(os.path.join(D, 'ours.faiss'))
assert isinstance(idx, faiss.IndexHNSWFlat), type(idx)
assert idx.hnsw.efSearch == 32 and idx.hnsw.efConstruction == 50
Dd, I = idx.search(q, 10)
out('D.f32', Dd.astype(np.float32)); out('I.i64', I.astype(np.int64))
`);
      const [, I] = index.search(q, 10);
      expect(agreement(I, read('I.i64', BigInt64Array))).toBeGreaterThanOrEqual(0.995);
      // a byte round trip through our reader gives the same index
      const again = faiss.deserialize_index(faiss.serialize_index(index)) as faiss.IndexHNSWFlat;
      expect(again.search(q, 10)).toEqual(index.search(q, 10));
    });
  }
});

describe.skipIf(!hasFaiss)('binary files', () => {
  const cs = 32;
  const r = rng(9);
  const xb = new Uint8Array(4000 * cs).map(() => Math.floor(r() * 256));
  const xq = new Uint8Array(60 * cs).map(() => Math.floor(r() * 256));
  const ids = BigInt64Array.from({ length: 4000 }, (_, i) => BigInt(i * 3 + 11));

  it('FAISS IndexBinaryFlat / IndexBinaryHNSW / IndexBinaryIDMap2 files give FAISS results here, exactly', () => {
    write('xb.u8', xb);
    write('xq.u8', xq);
    write('ids.i64', ids);
    py(`
xb = u8('xb.u8', 32); xq = u8('xq.u8', 32)
ids = np.fromfile(os.path.join(D, 'ids.i64'), dtype=np.int64)
flat = faiss.IndexBinaryFlat(256); flat.add(xb)
faiss.write_index_binary(flat, os.path.join(D, 'bflat.faiss'))
Dd, I = flat.search(xq, 10); out('Df.i32', Dd.astype(np.int32)); out('If.i64', I.astype(np.int64))
h = faiss.IndexBinaryHNSW(256, 16); h.add(xb); h.hnsw.efSearch = 40
faiss.write_index_binary(h, os.path.join(D, 'bhnsw.faiss'))
Dd, I = h.search(xq, 10); out('Dh.i32', Dd.astype(np.int32)); out('Ih.i64', I.astype(np.int64))
m = faiss.IndexBinaryIDMap2(faiss.IndexBinaryFlat(256)); m.add_with_ids(xb, ids)
faiss.write_index_binary(m, os.path.join(D, 'bidmap.faiss'))
Dd, I = m.search(xq, 10); out('Dm.i32', Dd.astype(np.int32)); out('Im.i64', I.astype(np.int64))
`);
    const flat = faiss.read_index_binary(file('bflat.faiss')) as faiss.IndexBinaryFlat;
    expect(flat).toBeInstanceOf(faiss.IndexBinaryFlat);
    expect(flat.search(xq, 10)).toEqual([read('Df.i32', Int32Array), read('If.i64', BigInt64Array)]);
    const h = faiss.read_index_binary(file('bhnsw.faiss')) as faiss.IndexBinaryHNSW;
    expect(h).toBeInstanceOf(faiss.IndexBinaryHNSW);
    expect(h.hnsw.efSearch).toBe(40);
    // integer distances: the same graph gives exactly FAISS's results
    expect(h.search(xq, 10)).toEqual([read('Dh.i32', Int32Array), read('Ih.i64', BigInt64Array)]);
    const m = faiss.read_index_binary(file('bidmap.faiss')) as faiss.IndexBinaryIDMap2;
    expect(m).toBeInstanceOf(faiss.IndexBinaryIDMap2);
    expect(m.search(xq, 10)).toEqual([read('Dm.i32', Int32Array), read('Im.i64', BigInt64Array)]);
    expect(m.reconstruct(ids[5])).toEqual(xb.subarray(5 * cs, 6 * cs));
  });

  it('binary indexes written here give our results in FAISS, exactly', () => {
    const flat = new faiss.IndexBinaryFlat(256);
    flat.add(xb);
    faiss.write_index_binary(flat, file('oflat.faiss'));
    const h = new faiss.IndexBinaryHNSW(256, 16);
    h.add(xb);
    h.set_efSearch(40);
    faiss.write_index_binary(h, file('ohnsw.faiss'));
    const m = new faiss.IndexBinaryIDMap(new faiss.IndexBinaryFlat(256));
    m.add_with_ids(xb, ids);
    faiss.write_index_binary(m, file('oidmap.faiss'));
    write('xq.u8', xq);
    py(`
xq = u8('xq.u8', 32)
for name in ('oflat', 'ohnsw', 'oidmap'):
    idx = faiss.read_index_binary(os.path.join(D, name + '.faiss'))
    Dd, I = idx.search(xq, 10)
    out(name + '.D.i32', Dd.astype(np.int32)); out(name + '.I.i64', I.astype(np.int64))
`);
    expect(flat.search(xq, 10)).toEqual([read('oflat.D.i32', Int32Array), read('oflat.I.i64', BigInt64Array)]);
    expect(h.search(xq, 10)).toEqual([read('ohnsw.D.i32', Int32Array), read('ohnsw.I.i64', BigInt64Array)]);
    expect(m.search(xq, 10)).toEqual([read('oidmap.D.i32', Int32Array), read('oidmap.I.i64', BigInt64Array)]);
  });
});

describe.skipIf(!hasFaiss)('LSH files', () => {
  const d = 32;
  const x = data(3000, d, 5);
  const q = data(50, d, 6);

  it("a FAISS IndexLSH file (rotation, trained thresholds) encodes and searches here exactly as FAISS", () => {
    write('x.f32', x);
    write('q.f32', q);
    py(`
x = f32('x.f32', ${d}); q = f32('q.f32', ${d})
idx = faiss.IndexLSH(${d}, 48, True, True); idx.train(x); idx.add(x)
faiss.write_index(idx, os.path.join(D, 'lsh.faiss'))
Dd, I = idx.search(q, 10); out('D.f32', Dd.astype(np.float32)); out('I.i64', I.astype(np.int64))
out('qc.u8', idx.sa_encode(q))
`);
    const lsh = faiss.read_index(file('lsh.faiss')) as faiss.IndexLSH;
    expect(lsh).toBeInstanceOf(faiss.IndexLSH);
    expect(lsh.nbits).toBe(48);
    const qc = read('qc.u8', Uint8Array);
    const ours = lsh.sa_encode(q);
    let diff = 0;
    for (let i = 0; i < qc.length; i++) if (qc[i] !== ours[i]) diff++;
    expect(diff / qc.length).toBeLessThan(0.01); // a bit flips only for a projection within rounding of 0
    const [, I] = lsh.search(q, 10);
    expect(agreement(I, read('I.i64', BigInt64Array))).toBeGreaterThan(0.95);
  });

  it('an IndexLSH written here searches in FAISS as here', () => {
    const lsh = new faiss.IndexLSH(d, 64, true, false);
    lsh.add(x);
    faiss.write_index(lsh, file('olsh.faiss'));
    write('q.f32', q);
    py(`
q = f32('q.f32', ${d})
idx = faiss.read_index(os.path.join(D, 'olsh.faiss'))
assert isinstance(idx, faiss.IndexLSH)
Dd, I = idx.search(q, 10); out('D.f32', Dd.astype(np.float32)); out('I.i64', I.astype(np.int64))
`);
    const [Dd, I] = lsh.search(q, 10);
    expect(agreement(I, read('I.i64', BigInt64Array))).toBeGreaterThan(0.95);
    expect(Dd.length).toBe(500);
  });
});

describe.skipIf(!hasFaiss)('HNSW over PQ / SQ storage, binary IVF: files both ways', () => {
  const d = 32;
  const x = data(5000, d, 21);
  const q = data(100, d, 22);

  it('FAISS IndexHNSWPQ / IndexHNSWSQ files search here as in FAISS; ours search in FAISS as here', () => {
    write('x.f32', x);
    write('q.f32', q);
    py(`
x = f32('x.f32', ${d}); q = f32('q.f32', ${d})
for name, idx in (('pq', faiss.IndexHNSWPQ(${d}, 8, 16)), ('sq', faiss.IndexHNSWSQ(${d}, faiss.ScalarQuantizer.QT_8bit, 16))):
    idx.train(x); idx.add(x); idx.hnsw.efSearch = 32
    faiss.write_index(idx, os.path.join(D, name + '.faiss'))
    Dd, I = idx.search(q, 10)
    out(name + '.I.i64', I.astype(np.int64))
`);
    const pq = faiss.read_index(file('pq.faiss')) as faiss.IndexHNSWPQ;
    expect(pq).toBeInstanceOf(faiss.IndexHNSWPQ);
    expect(pq.pq.M).toBe(8);
    expect(agreement(pq.search(q, 10)[1], read('pq.I.i64', BigInt64Array))).toBeGreaterThanOrEqual(0.99);
    const sq = faiss.read_index(file('sq.faiss')) as faiss.IndexHNSWSQ;
    expect(sq).toBeInstanceOf(faiss.IndexHNSWSQ);
    expect(agreement(sq.search(q, 10)[1], read('sq.I.i64', BigInt64Array))).toBeGreaterThanOrEqual(0.99);
    // and back: our copies of them, written here, searched by FAISS
    faiss.write_index(pq, file('opq.faiss'));
    faiss.write_index(sq, file('osq.faiss'));
    py(`
q = f32('q.f32', ${d})
for name in ('opq', 'osq'):
    idx = faiss.read_index(os.path.join(D, name + '.faiss'))
    Dd, I = idx.search(q, 10)
    out(name + '.I.i64', I.astype(np.int64))
`);
    expect(agreement(pq.search(q, 10)[1], read('opq.I.i64', BigInt64Array))).toBeGreaterThanOrEqual(0.99);
    expect(agreement(sq.search(q, 10)[1], read('osq.I.i64', BigInt64Array))).toBeGreaterThanOrEqual(0.99);
  });

  it('IndexHNSWSQ built here (fp16, inner product) reads in FAISS with our results', () => {
    const index = new faiss.IndexHNSWSQ(d, faiss.ScalarQuantizer.QT_fp16, 12, faiss.METRIC_INNER_PRODUCT);
    index.train(x);
    index.add(x);
    faiss.write_index(index, file('ofp16.faiss'));
    write('q.f32', q);
    py(`
q = f32('q.f32', ${d})
idx = faiss.read_index(os.path.join(D, 'ofp16.faiss'))
Dd, I = idx.search(q, 10)
out('I.i64', I.astype(np.int64))
`);
    expect(agreement(index.search(q, 10)[1], read('I.i64', BigInt64Array))).toBeGreaterThanOrEqual(0.99);
  });

  it('IndexBinaryIVF files both ways, exactly', () => {
    const cs = 16;
    const r = rng(31);
    const xb = new Uint8Array(4000 * cs).map(() => Math.floor(r() * 256));
    const xq = new Uint8Array(40 * cs).map(() => Math.floor(r() * 256));
    write('xb.u8', xb);
    write('xq.u8', xq);
    py(`
xb = u8('xb.u8', 16); xq = u8('xq.u8', 16)
idx = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(128), 128, 16)
idx.train(xb); idx.add(xb); idx.nprobe = 4
faiss.write_index_binary(idx, os.path.join(D, 'bivf.faiss'))
Dd, I = idx.search(xq, 10); out('D.i32', Dd.astype(np.int32)); out('I.i64', I.astype(np.int64))
`);
    const ivf = faiss.read_index_binary(file('bivf.faiss')) as faiss.IndexBinaryIVF;
    expect(ivf).toBeInstanceOf(faiss.IndexBinaryIVF);
    expect(ivf.nprobe).toBe(4);
    expect(ivf.search(xq, 10)).toEqual([read('D.i32', Int32Array), read('I.i64', BigInt64Array)]);
    const ours = new faiss.IndexBinaryIVF(new faiss.IndexBinaryFlat(128), 128, 16);
    ours.train(xb);
    ours.add(xb);
    ours.nprobe = 3;
    faiss.write_index_binary(ours, file('obivf.faiss'));
    py(`
xq = u8('xq.u8', 16)
idx = faiss.read_index_binary(os.path.join(D, 'obivf.faiss'))
assert idx.nprobe == 3
Dd, I = idx.search(xq, 10); out('oD.i32', Dd.astype(np.int32)); out('oI.i64', I.astype(np.int64))
`);
    expect(ours.search(xq, 10)).toEqual([read('oD.i32', Int32Array), read('oI.i64', BigInt64Array)]);
  });
});
