import { expect } from 'vitest';
import type { KnnArgs, MetricCode } from '../src/backend';

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform floats in [-1, 1). */
export function randomFloats(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = r() * 2 - 1;
  return x;
}

/**
 * Small integers in [0, levels): every float32 sum below is exact, so native
 * and reference must agree bit for bit, ties included.
 */
export function randomInts(n: number, seed: number, levels = 8): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.floor(r() * levels);
  return x;
}

export interface KnnOut {
  distances: Float32Array;
  labels: BigInt64Array;
}

export function knnArgs(
  xq: Float32Array,
  xb: Float32Array,
  nq: number,
  nb: number,
  d: number,
  k: number,
  metric: MetricCode,
  extra: Partial<KnnArgs> = {},
): KnnArgs {
  return {
    xq,
    xb,
    nq,
    nb,
    d,
    k,
    metric,
    distances: new Float32Array(nq * k),
    labels: new BigInt64Array(nq * k),
    ...extra,
  };
}

function norm2(x: Float32Array, i: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) s += x[i * d + t] * x[i * d + t];
  return s;
}

/** Float64 distance (as the reference computes it) of query i to database row j. */
export function exactDistance(metric: MetricCode, xq: Float32Array, i: number, xb: Float32Array, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const a = xq[i * d + t];
    const b = xb[j * d + t];
    s += metric === 1 ? (a - b) * (a - b) : a * b;
  }
  return s;
}

/**
 * Native k-NN results against the reference: distances within a tolerance
 * scaled by the norms, labels equal except where the two candidates are a
 * near-tie (their exact distances differ by less than the tolerance).
 */
export function expectKnnClose(
  got: KnnOut,
  want: KnnOut,
  a: { xq: Float32Array; xb: Float32Array; nq: number; nb: number; d: number; k: number; metric: MetricCode; labelOffset?: number },
  relTol = 2e-5,
): void {
  const { xq, xb, nq, nb, d, k, metric } = a;
  const offset = a.labelOffset ?? 0;
  let maxB = 0;
  for (let j = 0; j < nb; j++) maxB = Math.max(maxB, norm2(xb, j, d));
  for (let i = 0; i < nq; i++) {
    const tol = relTol * (norm2(xq, i, d) + maxB) + 1e-6;
    const seen = new Set<bigint>();
    for (let e = 0; e < k; e++) {
      const o = i * k + e;
      const gl = got.labels[o];
      const wl = want.labels[o];
      if (wl === -1n) {
        expect(gl, `query ${i} rank ${e}: padding`).toBe(-1n);
        expect(got.distances[o]).toBe(want.distances[o]);
        continue;
      }
      expect(Math.abs(got.distances[o] - want.distances[o]), `query ${i} rank ${e} distance`).toBeLessThanOrEqual(tol);
      expect(gl >= BigInt(offset) && gl < BigInt(offset + nb), `query ${i} rank ${e} label in range`).toBe(true);
      expect(seen.has(gl), `query ${i}: label ${gl} repeated`).toBe(false);
      seen.add(gl);
      if (gl !== wl) {
        const dg = exactDistance(metric, xq, i, xb, Number(gl) - offset, d);
        expect(Math.abs(dg - want.distances[o]), `query ${i} rank ${e}: label ${gl} vs ${wl} is not a near-tie`).toBeLessThanOrEqual(tol);
      }
    }
  }
}

export function expectKnnEqual(got: KnnOut, want: KnnOut): void {
  expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
  expect(Array.from(got.distances)).toEqual(Array.from(want.distances));
}

export function expectArrayClose(got: Float32Array, want: Float32Array, tol: (i: number) => number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const diff = Math.abs(got[i] - want[i]);
    if (!(diff <= tol(i))) expect.fail(`index ${i}: got ${got[i]}, want ${want[i]} (tolerance ${tol(i)})`);
  }
}
