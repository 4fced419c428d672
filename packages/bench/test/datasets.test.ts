import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { Prng } from '../src/datasets/prng';
import { syntheticDataset } from '../src/datasets/synthetic';
import { encodeIdxUint8, parseIdx, readIdx } from '../src/datasets/idx';
import { FASHION_MNIST_DIR, fashionMnistAvailable, loadFashionMnist } from '../src/datasets/fashion-mnist';
import {
  bytesToFloat32, encodeVecs, parseVecs, readBvecs, readF32, readFvecs, readIvecs, writeBvecs, writeF32, writeFvecs, writeIvecs,
} from '../src/datasets/vecs';
import { loadDataset } from '../src/datasets/load';
import { tempDir } from './helpers';

function expectError(fn: () => unknown, code: string, ...fragments: string[]): void {
  try {
    fn();
  } catch (e) {
    expect(MetalFaissError.isInstance(e)).toBe(true);
    expect((e as MetalFaissError).code).toBe(code);
    for (const f of fragments) expect((e as Error).message).toContain(f);
    return;
  }
  throw new Error('expected a MetalFaissError');
}

describe('Prng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('gives uniform [0,1) and standard normal deviates', () => {
    const r = new Prng(7);
    let sum = 0;
    let sumSq = 0;
    let umin = 1;
    let umax = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      umin = Math.min(umin, u);
      umax = Math.max(umax, u);
      const g = r.normal();
      sum += g;
      sumSq += g * g;
    }
    expect(umin).toBeGreaterThanOrEqual(0);
    expect(umax).toBeLessThan(1);
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.03);
  });
});

describe('syntheticDataset', () => {
  it('is deterministic for a seed, and the seed matters', () => {
    const o = { d: 24, nt: 30, nb: 200, nq: 10, seed: 5 };
    const a = syntheticDataset(o);
    const b = syntheticDataset(o);
    expect(Array.from(a.xb)).toEqual(Array.from(b.xb));
    expect(Array.from(a.xq)).toEqual(Array.from(b.xq));
    expect(Array.from(a.xt)).toEqual(Array.from(b.xt));
    const c = syntheticDataset({ ...o, seed: 6 });
    expect(Array.from(c.xb)).not.toEqual(Array.from(a.xb));
    expect(a.name).toBe(b.name);
    expect(a.name).not.toBe(c.name);
  });

  it('has the requested shape, values in [-1, 1], and xb independent of nq', () => {
    const a = syntheticDataset({ d: 16, nt: 5, nb: 100, nq: 7, seed: 1 });
    expect([a.d, a.nt, a.nb, a.nq]).toEqual([16, 5, 100, 7]);
    expect(a.xb.length).toBe(1600);
    expect(a.xq.length).toBe(112);
    expect(a.xt.length).toBe(80);
    for (const v of a.xb) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    const b = syntheticDataset({ d: 16, nt: 5, nb: 100, nq: 50, seed: 1 });
    expect(Array.from(b.xb)).toEqual(Array.from(a.xb));
    expect(Array.from(b.xq.subarray(0, 112))).toEqual(Array.from(a.xq));
  });

  it('rejects bad sizes with INVALID_ARGUMENT', () => {
    expectError(() => syntheticDataset({ d: 0, nt: 0, nb: 10, nq: 1 }), 'INVALID_ARGUMENT', 'for d');
    expectError(() => syntheticDataset({ d: 8, nt: 0, nb: 1.5, nq: 1 }), 'INVALID_ARGUMENT', 'for nb');
  });
});

describe('IDX', () => {
  const pixels = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256);
  const raw = encodeIdxUint8([3, 2, 4], pixels);

  it('parses plain and gzipped uint8 tensors to float32 0..255', () => {
    for (const bytes of [raw, gzipSync(raw)]) {
      const t = parseIdx(bytes, 'tiny');
      expect(t.shape).toEqual([3, 2, 4]);
      expect(t.dtype).toBe('uint8');
      expect(Array.from(t.data)).toEqual(Array.from(pixels));
    }
  });

  it('parses big-endian int32 and float32 tensors', () => {
    const header = [0, 0, 0x0c, 1, 0, 0, 0, 2];
    const i32 = Uint8Array.from([...header, 0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0]);
    expect(Array.from(parseIdx(i32).data)).toEqual([-2, 256]);
    const f32 = new Uint8Array(8 + 4);
    f32.set([0, 0, 0x0d, 1, 0, 0, 0, 1]);
    new DataView(f32.buffer).setFloat32(8, 1.5, false);
    expect(Array.from(parseIdx(f32).data)).toEqual([1.5]);
  });

  it('reports truncated, trailing, bad-magic and corrupt-gzip input with the file name', () => {
    expectError(() => parseIdx(raw.subarray(0, raw.length - 1), 'cut.idx'), 'IO_FORMAT', 'cut.idx', 'truncated');
    expectError(() => parseIdx(Uint8Array.from([...raw, 0]), 'long.idx'), 'IO_FORMAT', 'trailing');
    expectError(() => parseIdx(Uint8Array.from([1, 2, 3, 4, 5]), 'magic.idx'), 'IO_FORMAT', 'magic.idx', 'magic 01 02 03 04');
    const gz = gzipSync(raw);
    expectError(() => parseIdx(gz.subarray(0, gz.length - 10), 'bad.gz'), 'IO_FORMAT', 'bad.gz', 'gzip');
    expectError(() => readIdx('/nonexistent/x.idx.gz', 'install hint'), 'IO_FORMAT', '/nonexistent/x.idx.gz', 'no such file', 'install hint');
  });

  it('loads a Fashion-MNIST-shaped directory (train = base, t10k = queries)', () => {
    const dir = tempDir();
    const train = Uint8Array.from({ length: 5 * 2 * 3 }, (_, i) => i);
    const test = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => 250 - i);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdxUint8([5, 2, 3], train)));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdxUint8([2, 2, 3], test));
    expect(fashionMnistAvailable(dir)).toBe(true);
    const ds = loadFashionMnist(dir);
    expect([ds.d, ds.nb, ds.nq, ds.nt]).toEqual([6, 5, 2, 0]);
    expect(Array.from(ds.xb)).toEqual(Array.from(train));
    expect(Array.from(ds.xq)).toEqual(Array.from(test));
    expect(loadDataset(dir).nb).toBe(5);
  });

  it('says how to install Fashion-MNIST when it is missing; the default falls back to synthetic with a note', () => {
    const dir = tempDir();
    expect(fashionMnistAvailable(dir)).toBe(false);
    expectError(() => loadFashionMnist(dir), 'IO_FORMAT', dir, 'apt-get install dataset-fashion-mnist');
    expectError(() => loadDataset('fashion-mnist', { fashionMnistDir: dir }), 'IO_FORMAT', 'apt-get install dataset-fashion-mnist');
    const ds = loadDataset('default', { fashionMnistDir: dir });
    expect([ds.nb, ds.d, ds.nq]).toEqual([20000, 128, 1000]);
    expect(ds.notes.join(' ')).toContain('apt-get install dataset-fashion-mnist');
  });

  it.skipIf(!fashionMnistAvailable())('loads the installed Fashion-MNIST: 60000 + 10000 x 784, 0..255', () => {
    const ds = loadFashionMnist(FASHION_MNIST_DIR);
    expect([ds.nb, ds.nq, ds.d]).toEqual([60000, 10000, 784]);
    let max = 0;
    for (let i = 0; i < 784 * 100; i++) max = Math.max(max, ds.xb[i]);
    expect(max).toBe(255);
    expect(ds.name).toBe('fashion-mnist');
  });
});

describe('.fvecs / .ivecs / .bvecs / .f32', () => {
  const d = 5;
  const f = Float32Array.from({ length: 4 * d }, (_, i) => i * 0.25 - 3);
  const iv = Int32Array.from({ length: 4 * d }, (_, i) => i * 1000 - 7);
  const bv = Uint8Array.from({ length: 4 * d }, (_, i) => (i * 13) % 256);

  it('round-trips through files', () => {
    const dir = tempDir();
    writeFvecs(join(dir, 'a.fvecs'), f, d);
    writeIvecs(join(dir, 'a.ivecs'), iv, d);
    writeBvecs(join(dir, 'a.bvecs'), bv, d);
    writeF32(join(dir, 'a.f32'), f);
    const rf = readFvecs(join(dir, 'a.fvecs'));
    expect([rf.n, rf.d]).toEqual([4, d]);
    expect(Array.from(rf.data)).toEqual(Array.from(f));
    expect(Array.from(readIvecs(join(dir, 'a.ivecs')).data)).toEqual(Array.from(iv));
    expect(Array.from(readBvecs(join(dir, 'a.bvecs')).data)).toEqual(Array.from(bv));
    expect(Array.from(readF32(join(dir, 'a.f32'), d).data)).toEqual(Array.from(f));
    expect(readFvecs(join(dir, 'a.fvecs'), 2).n).toBe(2);
    expect(Array.from(bytesToFloat32(bv))).toEqual(Array.from(bv));
  });

  it('writes the documented layout (int32 d, then the values, little-endian)', () => {
    const bytes = encodeVecs(Float32Array.from([1, 2]), 2, 'fvecs');
    const view = new DataView(bytes.buffer);
    expect(bytes.length).toBe(12);
    expect(view.getInt32(0, true)).toBe(2);
    expect(view.getFloat32(4, true)).toBe(1);
    expect(view.getFloat32(8, true)).toBe(2);
  });

  it('rejects corrupt files with the file name and the expectation', () => {
    const good = encodeVecs(f, d, 'fvecs');
    expectError(() => parseVecs(good.subarray(0, good.length - 3), 'fvecs', 'cut.fvecs'), 'IO_FORMAT', 'cut.fvecs', 'multiple of 24 bytes');
    const mixed = Uint8Array.from([...encodeVecs(Float32Array.from([1, 2]), 2, 'fvecs'), ...encodeVecs(Float32Array.from([1]), 1, 'fvecs'), 0, 0, 0, 0]);
    expectError(() => parseVecs(mixed, 'fvecs', 'mixed.fvecs'), 'IO_FORMAT', 'd=2 for every vector');
    expectError(() => parseVecs(Uint8Array.from([0, 0, 0, 0]), 'fvecs', 'zero.fvecs'), 'IO_FORMAT', 'dimension');
    expectError(() => readFvecs('/nonexistent/base.fvecs'), 'IO_FORMAT', '/nonexistent/base.fvecs', 'no such file');
    const dir = tempDir();
    writeFileSync(join(dir, 'odd.f32'), new Uint8Array(10));
    expectError(() => readF32(join(dir, 'odd.f32'), 2), 'IO_FORMAT', 'odd.f32', 'multiple of 8 bytes');
    expectError(() => encodeVecs(Float32Array.from([1, 2, 3]), 2, 'fvecs'), 'INVALID_ARGUMENT', 'multiple of d=2');
    expectError(() => encodeVecs(Int32Array.from([1, 2]), 2, 'fvecs'), 'INVALID_ARGUMENT', 'Float32Array');
  });

  it('loadDataset reads TEXMEX directories and single files with held-out queries', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sift'));
    writeFvecs(join(dir, 'sift', 'tiny_base.fvecs'), f, d);
    writeFvecs(join(dir, 'sift', 'tiny_query.fvecs'), f.subarray(0, 2 * d), d);
    writeFvecs(join(dir, 'sift', 'tiny_learn.fvecs'), f.subarray(0, 3 * d), d);
    const ds = loadDataset(join(dir, 'sift'));
    expect([ds.nb, ds.nq, ds.nt, ds.d]).toEqual([4, 2, 3, d]);
    const single = loadDataset(join(dir, 'sift', 'tiny_base.fvecs'));
    expect([single.nb, single.nq]).toEqual([4, 2]);
    writeF32(join(dir, 'plain.f32'), f);
    const held = loadDataset(join(dir, 'plain.f32'), { nq: 1, dim: d });
    expect([held.nb, held.nq]).toEqual([3, 1]);
    expect(Array.from(held.xq)).toEqual(Array.from(f.subarray(3 * d)));
    expectError(() => loadDataset(join(dir, 'plain.f32'), { nq: 1 }), 'INVALID_ARGUMENT', '--dim');
    expectError(() => loadDataset('/no/such/place'), 'INVALID_ARGUMENT', "'fashion-mnist'");
    expectError(() => loadDataset('synthetic:d=x'), 'INVALID_ARGUMENT', 'synthetic:key=int');
    const syn = loadDataset('synthetic:d=8,nb=50,nq=5,nt=0,seed=3');
    expect([syn.d, syn.nb, syn.nq, syn.nt]).toEqual([8, 50, 5, 0]);
    expect(existsSync(dir)).toBe(true);
  });
});
