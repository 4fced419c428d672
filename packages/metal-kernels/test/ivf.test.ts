/**
 * IVF-Flat scans: native against the TypeScript reference on every SIMD
 * level (integer data: bit for bit, ties included; float data: within a
 * tolerance, labels equal up to near ties), range search order, store-pairs,
 * skipped probes, empty lists, padding, async forms and validation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  MetalFaissError,
  getNumThreads,
  ivfRangeSearchFlat,
  ivfRangeSearchFlatAsync,
  ivfSearchFlat,
  ivfSearchFlatAsync,
  setNumThreads,
  type IvfListsInput,
  type IvfSearchFlatArgs,
  type MetricCode,
} from '../src/index';
import { loadAddon } from '../src/loader';
import { ivfRangeSearchFlatReference, ivfSearchFlatReference } from '../src/reference/ivf';
import { randomFloats, randomInts, rng } from './helpers';

const addon = loadAddon().addon;
const levels = addon ? addon.info().simdLevels : ['reference'];
const best = levels[0];
const threads = getNumThreads();
afterAll(() => {
  if (addon && best) addon.setSimd(best);
  setNumThreads(threads);
});

interface Fixture {
  d: number;
  lists: IvfListsInput;
  /** id -> [list, offset] */
  where: Map<bigint, [number, number]>;
}

/** nlist lists of random sizes (some empty), codes in buffers larger than needed, ids unique. */
function makeLists(nlist: number, d: number, seed: number, ints: boolean, maxSize = 60): Fixture {
  const r = rng(seed);
  const sizes = new Int32Array(nlist);
  const codes: Uint8Array[] = [];
  const ids: BigInt64Array[] = [];
  const where = new Map<bigint, [number, number]>();
  let next = 1000n;
  for (let l = 0; l < nlist; l++) {
    const m = r() < 0.15 ? 0 : Math.floor(r() * maxSize) + 1;
    sizes[l] = m;
    const cap = m + Math.floor(r() * 5);
    const v = ints ? randomInts(cap * d, seed * 131 + l, 8) : randomFloats(cap * d, seed * 131 + l);
    codes.push(new Uint8Array(v.buffer));
    const id = new BigInt64Array(cap);
    for (let j = 0; j < m; j++) {
      id[j] = next;
      where.set(next, [l, j]);
      next += BigInt(1 + Math.floor(r() * 3));
    }
    ids.push(id);
  }
  return { d, lists: { codes, ids, sizes }, where };
}

function coarseFor(nq: number, nprobe: number, nlist: number, seed: number, skipRate = 0.1): BigInt64Array {
  const r = rng(seed);
  const c = new BigInt64Array(nq * nprobe);
  for (let q = 0; q < nq; q++) {
    const used = new Set<number>();
    for (let p = 0; p < nprobe; p++) {
      let l = Math.floor(r() * nlist);
      while (used.has(l) && used.size < nlist) l = (l + 1) % nlist;
      used.add(l);
      c[q * nprobe + p] = r() < skipRate ? -1n : BigInt(l);
    }
  }
  return c;
}

function searchArgs(f: Fixture, xq: Float32Array, nq: number, k: number, metric: MetricCode, coarse: BigInt64Array, nprobe: number, storePairs = false): IvfSearchFlatArgs {
  return { xq, nq, d: f.d, k, metric, coarse, nprobe, lists: f.lists, storePairs, distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
}

function vector(f: Fixture, id: bigint): Float32Array {
  const [l, o] = f.where.get(id)!;
  return new Float32Array(f.lists.codes[l].buffer, f.lists.codes[l].byteOffset + o * f.d * 4, f.d);
}

function exact(metric: MetricCode, q: Float32Array, v: Float32Array): number {
  let s = 0;
  for (let t = 0; t < q.length; t++) s += metric === 1 ? (q[t] - v[t]) ** 2 : q[t] * v[t];
  return s;
}

function expectClose(f: Fixture, got: IvfSearchFlatArgs, want: IvfSearchFlatArgs, relTol = 3e-5): void {
  const { nq, k, d, metric } = got;
  for (let q = 0; q < nq; q++) {
    const xq = got.xq.subarray(q * d, (q + 1) * d);
    let scale = 0;
    for (let t = 0; t < d; t++) scale += xq[t] * xq[t];
    for (let e = 0; e < k; e++) {
      const o = q * k + e;
      if (want.labels[o] === -1n) {
        expect(got.labels[o], `query ${q} rank ${e} padding`).toBe(-1n);
        expect(got.distances[o]).toBe(want.distances[o]);
        continue;
      }
      const tol = relTol * (scale + Math.abs(want.distances[o]) + d) + 1e-6;
      expect(Math.abs(got.distances[o] - want.distances[o]), `query ${q} rank ${e}`).toBeLessThanOrEqual(tol);
      if (got.labels[o] !== want.labels[o]) {
        const dg = exact(metric, xq, vector(f, got.labels[o]));
        expect(Math.abs(dg - want.distances[o]), `query ${q} rank ${e}: ${got.labels[o]} vs ${want.labels[o]} is not a near tie`).toBeLessThanOrEqual(tol);
      }
    }
  }
}

const shapes = [
  { nq: 1, d: 5, nlist: 8, nprobe: 3, k: 4 },
  { nq: 7, d: 16, nlist: 12, nprobe: 4, k: 10 },
  { nq: 50, d: 37, nlist: 20, nprobe: 6, k: 7 },
  { nq: 200, d: 64, nlist: 16, nprobe: 8, k: 20 },
  { nq: 90, d: 100, nlist: 40, nprobe: 40, k: 1 },
];

for (const level of levels) {
  describe(`ivfSearchFlat native vs reference [simd=${level}]`, () => {
    const use = () => {
      if (addon && level !== 'reference') addon.setSimd(level);
    };
    for (const s of shapes) {
      for (const metric of [1, 0] as MetricCode[]) {
        it(`integer data, exact: nq=${s.nq} d=${s.d} nlist=${s.nlist} nprobe=${s.nprobe} k=${s.k} metric=${metric}`, () => {
          use();
          const f = makeLists(s.nlist, s.d, s.nq + s.d, true);
          const xq = randomInts(s.nq * s.d, s.nq * 3 + 1, 8);
          const coarse = coarseFor(s.nq, s.nprobe, s.nlist, s.d);
          for (const t of [1, 2]) {
            setNumThreads(t);
            const got = searchArgs(f, xq, s.nq, s.k, metric, coarse, s.nprobe);
            const want = searchArgs(f, xq, s.nq, s.k, metric, coarse, s.nprobe);
            ivfSearchFlat(got);
            ivfSearchFlatReference(want);
            expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
            expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
          }
        });
        it(`float data, close: nq=${s.nq} d=${s.d} nlist=${s.nlist} metric=${metric}`, () => {
          use();
          const f = makeLists(s.nlist, s.d, s.nq * 7 + s.d, false);
          const xq = randomFloats(s.nq * s.d, s.nq * 5 + 2);
          const coarse = coarseFor(s.nq, s.nprobe, s.nlist, s.d + 1);
          const got = searchArgs(f, xq, s.nq, s.k, metric, coarse, s.nprobe);
          const want = searchArgs(f, xq, s.nq, s.k, metric, coarse, s.nprobe);
          ivfSearchFlat(got);
          ivfSearchFlatReference(want);
          expectClose(f, got, want);
        });
      }
    }

    it('range search: same hits in the same (probe, offset) order; store pairs', () => {
      use();
      const s = { nq: 60, d: 24, nlist: 15, nprobe: 5 };
      const f = makeLists(s.nlist, s.d, 77, true);
      const xq = randomInts(s.nq * s.d, 78, 8);
      const coarse = coarseFor(s.nq, s.nprobe, s.nlist, 79);
      for (const metric of [1, 0] as MetricCode[]) {
        for (const storePairs of [false, true]) {
          const a = { xq, nq: s.nq, d: s.d, metric, coarse, nprobe: s.nprobe, lists: f.lists, storePairs, radius: metric === 1 ? 200 : 250 };
          const got = ivfRangeSearchFlat(a);
          const want = ivfRangeSearchFlatReference(a);
          expect(Number(want.lims[s.nq])).toBeGreaterThan(0);
          expect(Array.from(got.lims)).toEqual(Array.from(want.lims));
          expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
          expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
        }
      }
    });
  });
}

describe('ivfSearchFlat semantics', () => {
  it('store pairs report list << 32 | offset; ids otherwise', () => {
    const f = makeLists(6, 8, 5, true);
    const xq = randomInts(10 * 8, 6, 8);
    const coarse = coarseFor(10, 3, 6, 7, 0);
    const a = searchArgs(f, xq, 10, 5, 1, coarse, 3, true);
    const b = searchArgs(f, xq, 10, 5, 1, coarse, 3, false);
    ivfSearchFlat(a);
    ivfSearchFlat(b);
    for (let i = 0; i < a.labels.length; i++) {
      if (a.labels[i] < 0n) {
        expect(b.labels[i]).toBe(-1n);
        continue;
      }
      const l = Number(a.labels[i] >> 32n);
      const o = Number(a.labels[i] & 0xffffffffn);
      expect(f.lists.ids[l][o]).toBe(b.labels[i]);
    }
  });

  it('pads with -1 and +/-Infinity when the probed lists hold fewer than k entries', () => {
    const v = Float32Array.from([0, 0, 3, 4]);
    const lists = { codes: [new Uint8Array(v.buffer), new Uint8Array(0)], ids: [BigInt64Array.from([7n, 9n]), new BigInt64Array(0)], sizes: Int32Array.from([2, 0]) };
    for (const metric of [1, 0] as MetricCode[]) {
      const a: IvfSearchFlatArgs = { xq: Float32Array.from([1, 1]), nq: 1, d: 2, k: 4, metric, coarse: BigInt64Array.from([1n, -1n, 0n]), nprobe: 3, lists, distances: new Float32Array(4), labels: new BigInt64Array(4) };
      ivfSearchFlat(a);
      if (metric === 1) {
        expect(Array.from(a.labels)).toEqual([7n, 9n, -1n, -1n]);
        expect(Array.from(a.distances)).toEqual([2, 13, Infinity, Infinity]);
      } else {
        expect(Array.from(a.labels)).toEqual([9n, 7n, -1n, -1n]);
        expect(Array.from(a.distances)).toEqual([7, 0, -Infinity, -Infinity]);
      }
    }
  });

  it('ties are broken by the lower (list, offset) position', () => {
    // four identical vectors spread over two lists, probed in reverse order
    const one = Float32Array.from([1, 2, 1, 2]);
    const lists = { codes: [new Uint8Array(one.slice().buffer), new Uint8Array(one.slice().buffer)], ids: [BigInt64Array.from([40n, 30n]), BigInt64Array.from([20n, 10n])], sizes: Int32Array.from([2, 2]) };
    const a: IvfSearchFlatArgs = { xq: Float32Array.from([0, 0]), nq: 1, d: 2, k: 3, metric: 1, coarse: BigInt64Array.from([1n, 0n]), nprobe: 2, lists, distances: new Float32Array(3), labels: new BigInt64Array(3) };
    ivfSearchFlat(a);
    expect(Array.from(a.labels)).toEqual([40n, 30n, 20n]);
  });

  it('async forms equal the sync ones', async () => {
    const f = makeLists(30, 48, 11, false);
    const xq = randomFloats(300 * 48, 12);
    const coarse = coarseFor(300, 8, 30, 13);
    const a = searchArgs(f, xq, 300, 10, 1, coarse, 8);
    const b = searchArgs(f, xq, 300, 10, 1, coarse, 8);
    ivfSearchFlat(a);
    await ivfSearchFlatAsync(b);
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    const r = { xq, nq: 300, d: 48, metric: 1 as MetricCode, coarse, nprobe: 8, lists: f.lists, radius: 30 };
    const ra = ivfRangeSearchFlat(r);
    const rb = await ivfRangeSearchFlatAsync(r);
    expect(Array.from(rb.labels)).toEqual(Array.from(ra.labels));
  });

  it('validates its arguments and leaves the outputs untouched', async () => {
    const f = makeLists(4, 4, 21, true);
    const xq = randomInts(2 * 4, 22, 8);
    const ok = () => searchArgs(f, xq, 2, 3, 1, BigInt64Array.from([0n, 1n, 2n, 3n]), 2);
    const expectBad = (patch: Partial<IvfSearchFlatArgs>, code: string, re: RegExp) => {
      const a = { ...ok(), ...patch };
      a.distances.fill(5);
      let err: unknown;
      try {
        ivfSearchFlat(a);
      } catch (e) {
        err = e;
      }
      expect(MetalFaissError.isInstance(err), String(err)).toBe(true);
      expect((err as MetalFaissError).code).toBe(code);
      expect((err as Error).message).toMatch(re);
      expect(a.distances.every((v) => v === 5)).toBe(true);
    };
    expectBad({ coarse: BigInt64Array.from([0n, 4n, 2n, 3n]) }, 'INVALID_ARGUMENT', /\[-1, 4\) in coarse, received 4 at coarse\[1\]/);
    expectBad({ coarse: BigInt64Array.from([0n, -2n, 2n, 3n]) }, 'INVALID_ARGUMENT', /received -2/);
    expectBad({ coarse: new BigInt64Array(3) }, 'DIMENSION_MISMATCH', /nq \* nprobe = 2 \* 2/);
    expectBad({ nprobe: 0 }, 'INVALID_ARGUMENT', /nprobe/);
    expectBad({ k: 0 }, 'INVALID_ARGUMENT', /for k/);
    expectBad({ xq: new Float32Array(7) }, 'DIMENSION_MISMATCH', /xq/);
    const misaligned = { ...f.lists, codes: [new Uint8Array(f.lists.codes[0].buffer, 1, 16), ...f.lists.codes.slice(1)] };
    misaligned.sizes = Int32Array.from([1, ...Array.from(f.lists.sizes.subarray(1))]);
    expectBad({ lists: misaligned }, 'INVALID_ARGUMENT', /4-byte aligned/);
    const short = { ...f.lists, sizes: Int32Array.from([100, 0, 0, 0]) };
    expectBad({ lists: short }, 'INVALID_ARGUMENT', /at least 1600 bytes/);
    expectBad({ lists: { ...f.lists, ids: f.lists.ids.slice(1) } }, 'DIMENSION_MISMATCH', /one per list/);
    await expect(ivfSearchFlatAsync({ ...ok(), k: -3 })).rejects.toThrow(/for k/);
    expect(() => ivfRangeSearchFlat({ xq, nq: 2, d: 4, metric: 1, coarse: BigInt64Array.from([0n, 1n, 2n, 3n]), nprobe: 2, lists: f.lists, radius: Number.NaN })).toThrow(/radius/);
  });
});
