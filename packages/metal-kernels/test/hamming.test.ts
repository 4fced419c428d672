/**
 * Hamming kernels: native against the plain-TypeScript reference on every
 * popcount level and several code sizes (the 32-byte and 64-byte SIMD paths
 * and the word / byte tails), FAISS's tie order, range search, validation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  HAMMING_PAD_DISTANCE,
  MetalFaissError,
  getNativeBackend,
  hammingKnn,
  hammingKnnAsync,
  hammingPairwise,
  hammingRangeSearch,
  hammingRangeSearchAsync,
  hammingSimdLevel,
  referenceGraphKernels,
  setNumThreads,
  getNumThreads,
} from '../src/index';
import { loadAddon } from '../src/loader';
import { rng } from './helpers';

function randomCodes(n: number, cs: number, seed: number, bias = 0.5): Uint8Array {
  const r = rng(seed);
  const x = new Uint8Array(n * cs);
  for (let i = 0; i < x.length; i++) {
    let b = 0;
    for (let t = 0; t < 8; t++) if (r() < bias) b |= 1 << t;
    x[i] = b;
  }
  return x;
}

const native = getNativeBackend();
const addon = loadAddon().addon as unknown as { setSimd(l: string): string; info(): { simdLevels: string[] } } | null;
const levels = addon ? addon.info().simdLevels : [];
const threads0 = getNumThreads();
afterAll(() => {
  if (addon) addon.setSimd(levels[0]);
  setNumThreads(threads0);
});

describe('hamming kernels (reference)', () => {
  it('matches a naive popcount and orders ties by index', () => {
    const cs = 4;
    const xb = new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0]); // distances to 0: 0,1,1,2,0
    const xq = new Uint8Array(cs);
    const D = new Int32Array(6);
    const I = new BigInt64Array(6);
    referenceGraphKernels.hammingKnn({ xq, xb, nq: 1, nb: 5, codeSize: cs, k: 6, distances: D, labels: I });
    expect(Array.from(D)).toEqual([0, 0, 1, 1, 2, HAMMING_PAD_DISTANCE]);
    expect(Array.from(I)).toEqual([0n, 4n, 1n, 2n, 3n, -1n]);
  });
});

describe.skipIf(!native)('hamming kernels: native vs reference', () => {
  const sizes = [1, 3, 8, 13, 16, 20, 32, 40, 64, 128, 256];
  for (const level of levels) {
    for (const cs of sizes) {
      it(`knn / range / pairwise agree (simd=${level}, codeSize=${cs})`, () => {
        addon!.setSimd(level);
        const nb = 997;
        const nq = 37;
        // biased bits give many equal distances: the tie order is exercised
        const xb = randomCodes(nb, cs, 11 + cs, 0.15);
        const xq = randomCodes(nq, cs, 12 + cs, 0.15);
        for (const k of [1, 10, 1200]) {
          const a = { D: new Int32Array(nq * k), I: new BigInt64Array(nq * k) };
          const b = { D: new Int32Array(nq * k), I: new BigInt64Array(nq * k) };
          hammingKnn({ xq, xb, nq, nb, codeSize: cs, k, distances: a.D, labels: a.I, labelOffset: 5 });
          referenceGraphKernels.hammingKnn({ xq, xb, nq, nb, codeSize: cs, k, distances: b.D, labels: b.I, labelOffset: 5 });
          expect(a.D).toEqual(b.D);
          expect(a.I).toEqual(b.I);
        }
        const radius = Math.max(1, Math.round(cs * 8 * 0.22));
        const r1 = hammingRangeSearch({ xq, xb, nq, nb, codeSize: cs, radius });
        const r2 = referenceGraphKernels.hammingRangeSearch({ xq, xb, nq, nb, codeSize: cs, radius });
        expect(r1.lims).toEqual(r2.lims);
        expect(r1.distances).toEqual(r2.distances);
        expect(r1.labels).toEqual(r2.labels);
        const p1 = new Int32Array(nq * nb);
        const p2 = new Int32Array(nq * nb);
        hammingPairwise({ xq, xb, nq, nb, codeSize: cs, out: p1 });
        referenceGraphKernels.hammingPairwise({ xq, xb, nq, nb, codeSize: cs, out: p2 });
        expect(p1).toEqual(p2);
      });
    }
  }

  it('reports VPOPCNTDQ on the AVX-512 level when the CPU has it', () => {
    addon!.setSimd(levels[0]);
    expect(['avx512-vpopcntdq', 'avx2', 'scalar']).toContain(hammingSimdLevel());
  });

  it('few queries over many codes (database split across threads) equals one scan', async () => {
    setNumThreads(2);
    const cs = 32;
    const nb = 300_000;
    const xb = randomCodes(nb, cs, 5, 0.5);
    const xq = randomCodes(2, cs, 6, 0.5);
    const k = 25;
    const a = { D: new Int32Array(2 * k), I: new BigInt64Array(2 * k) };
    const b = { D: new Int32Array(2 * k), I: new BigInt64Array(2 * k) };
    await hammingKnnAsync({ xq, xb, nq: 2, nb, codeSize: cs, k, distances: a.D, labels: a.I });
    referenceGraphKernels.hammingKnn({ xq, xb, nq: 2, nb, codeSize: cs, k, distances: b.D, labels: b.I });
    expect(a.D).toEqual(b.D);
    expect(a.I).toEqual(b.I);
    const r1 = await hammingRangeSearchAsync({ xq, xb, nq: 2, nb, codeSize: cs, radius: 100 });
    const r2 = referenceGraphKernels.hammingRangeSearch({ xq, xb, nq: 2, nb, codeSize: cs, radius: 100 });
    expect(r1.labels).toEqual(r2.labels);
    expect(r1.distances).toEqual(r2.distances);
  });
});

describe('hamming kernels: validation', () => {
  const xb = new Uint8Array(40);
  const xq = new Uint8Array(8);
  it('rejects wrong lengths, types and k with MetalFaissError before running', () => {
    const D = new Int32Array(2);
    const I = new BigInt64Array(2);
    const bad = [
      () => hammingKnn({ xq, xb: new Uint8Array(39), nq: 1, nb: 5, codeSize: 8, k: 2, distances: D, labels: I }),
      () => hammingKnn({ xq: new Float32Array(2) as unknown as Uint8Array, xb, nq: 1, nb: 5, codeSize: 8, k: 2, distances: D, labels: I }),
      () => hammingKnn({ xq, xb, nq: 1, nb: 5, codeSize: 8, k: 0, distances: D, labels: I }),
      () => hammingKnn({ xq, xb, nq: 1, nb: 5, codeSize: 8, k: 2, distances: new Int32Array(3), labels: I }),
      () => hammingRangeSearch({ xq, xb, nq: 1, nb: 5, codeSize: 0, radius: 3 }),
      () => hammingRangeSearch({ xq, xb, nq: 1, nb: 5, codeSize: 8, radius: 1.5 }),
    ];
    for (const f of bad) {
      expect(f).toThrow(MetalFaissError);
    }
    expect(Array.from(D)).toEqual([0, 0]);
  });
});
