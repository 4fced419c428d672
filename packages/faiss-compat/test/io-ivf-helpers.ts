/**
 * Shared by the io-ivf / io-pq / io-sq tests: seeded data, serialize /
 * deserialize of @metalfaiss/indexes objects through the public API, a
 * single-threaded FAISS runner, and result comparison with FAISS that
 * tolerates exact ties.
 */
import * as ix from '@metalfaiss/indexes';
import { expect } from 'vitest';
import * as faiss from '../src/index';
import { runFaiss } from './faiss-oracle';

export const d = 32;

/** Uniform values in [-0.5, 0.5) from a seeded LCG, plus a per-seed cluster structure so IVF lists are uneven. */
export function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return x;
}

/** n vectors of d around 20 fixed centres (clustered data, as real embeddings). */
export function clustered(n: number, seed: number): Float32Array {
  const centres = rand(20 * d, 7);
  const noise = rand(n * d, seed);
  const pick = rand(n, seed + 1);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor((pick[i] + 0.5) * 20) % 20;
    for (let j = 0; j < d; j++) x[i * d + j] = 2 * centres[c * d + j] + 0.35 * noise[i * d + j];
  }
  return x;
}

/** deserialize_index, returning the @metalfaiss/indexes object behind the compat class. */
export function load<T extends ix.Index = ix.Index>(bytes: Uint8Array): T {
  return faiss.deserialize_index(bytes).impl as T;
}

/** serialize_index of an @metalfaiss/indexes object (through its compat class). */
export function save(index: ix.Index): Uint8Array {
  return faiss.serialize_index(faiss.wrapIndex(index));
}

/** runFaiss with FAISS on one OpenMP thread (its threads spin on a busy 2-core machine: 20x slower). */
export function runFaiss1(script: string, inputs: Record<string, ArrayBufferView>, outputs: string[]): Record<string, Buffer> {
  return runFaiss(`faiss.omp_set_num_threads(1)\n${script}`, inputs, outputs);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Our search results equal FAISS's: distances within `tol` (relative to
 * max(1, |d|)), labels equal except where two candidates tie (a label may
 * differ from FAISS's only if FAISS ranks it at a tied distance, or if it sits
 * at a distance tied with the k-th, where FAISS may have kept another).
 * Returns the number of positions that differed through ties (at most 5%).
 */
export function expectSameResults(
  D: Float32Array,
  I: BigInt64Array,
  FD: Float32Array,
  FI: BigInt64Array,
  k: number,
  tol = 1e-5,
  what = '',
): number {
  expect(D.length, what).toBe(FD.length);
  expect(I.length, what).toBe(FI.length);
  const close = (a: number, b: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
  let tied = 0;
  for (let q = 0; q < D.length / k; q++) {
    for (let j = 0; j < k; j++) {
      const p = q * k + j;
      if (FI[p] === -1n || I[p] === -1n) {
        expect(I[p], `${what} query ${q} rank ${j}`).toBe(FI[p]);
        continue;
      }
      if (!close(D[p], FD[p])) expect(D[p], `${what} query ${q} rank ${j} distance`).toBe(FD[p]);
      if (I[p] === FI[p]) continue;
      let ok = close(D[p], D[q * k + k - 1]);
      for (let t = 0; t < k && !ok; t++) ok = FI[q * k + t] === I[p] && close(FD[q * k + t], D[p]);
      if (!ok) expect(I[p], `${what} query ${q} rank ${j} label (distance ${D[p]}, FAISS ${FD[p]})`).toBe(FI[p]);
      tied++;
    }
  }
  // ties are exceptions: a mapping that lost data would show as many "ties"
  expect(tied, `${what}: positions that differ through ties`).toBeLessThanOrEqual(Math.max(2, D.length / 20));
  if (process.env.IO_TEST_VERBOSE) console.log(`${what}: ${tied} tied positions of ${D.length}`);
  return tied;
}
