/**
 * Helpers of the HNSW / binary / LSH tests: data, exact ground truth, recall,
 * and FAISS (the Debian python3-faiss package) as an oracle in a subprocess.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { knn, hammingKnn } from '@metalfaiss/metal-kernels';

export const PY = '/usr/bin/python3';
export const hasFaiss = spawnSync(PY, ['-c', 'import faiss'], { encoding: 'utf8' }).status === 0;
export const FAISS_SKIP = 'FAISS tests skipped: install python3-faiss (apt-get install python3-faiss) to enable';

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

/**
 * Points near a random 8-dimensional linear subspace of R^d (a low intrinsic
 * dimension, like real embeddings; isotropic high-dimensional noise has no
 * meaningful nearest neighbours). The subspace depends on d only, so bases
 * and queries drawn with different seeds share it.
 */
export function clustered(n: number, d: number, seed: number, intrinsic = 8): Float32Array {
  const basis = rng(1000 + d);
  const W = new Float32Array(intrinsic * d).map(() => basis() * 2 - 1);
  const r = rng(seed);
  const x = new Float32Array(n * d);
  const z = new Float32Array(intrinsic);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < intrinsic; t++) z[t] = r() * 2 - 1;
    for (let j = 0; j < d; j++) {
      let s = (r() - 0.5) * 0.02;
      for (let t = 0; t < intrinsic; t++) s += z[t] * W[t * d + j];
      x[i * d + j] = s;
    }
  }
  return x;
}

/** Rows scaled to unit L2 norm (in place), for inner-product (cosine) tests. */
export function normalized(x: Float32Array, d: number): Float32Array {
  for (let i = 0; i < x.length / d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) x[i * d + j] *= inv;
  }
  return x;
}

export function randomCodes(n: number, codeSize: number, seed: number): Uint8Array {
  const r = rng(seed);
  return new Uint8Array(n * codeSize).map(() => Math.floor(r() * 256));
}

/** Exact k-NN labels (L2 or inner product) through the flat kernel. */
export function exactKnn(xq: Float32Array, xb: Float32Array, d: number, k: number, metric: 0 | 1): BigInt64Array {
  const nq = xq.length / d;
  const labels = new BigInt64Array(nq * k);
  knn({ xq, xb, nq, nb: xb.length / d, d, k, metric, distances: new Float32Array(nq * k), labels });
  return labels;
}

export function exactHamming(xq: Uint8Array, xb: Uint8Array, cs: number, k: number): { D: Int32Array; I: BigInt64Array } {
  const nq = xq.length / cs;
  const D = new Int32Array(nq * k);
  const I = new BigInt64Array(nq * k);
  hammingKnn({ xq, xb, nq, nb: xb.length / cs, codeSize: cs, k, distances: D, labels: I });
  return { D, I };
}

export function recallAt(labels: BigInt64Array, gt: BigInt64Array, nq: number, k: number): number {
  let hit = 0;
  for (let i = 0; i < nq; i++) {
    const s = new Set(Array.from(gt.subarray(i * k, (i + 1) * k)));
    for (let j = 0; j < k; j++) if (s.has(labels[i * k + j])) hit++;
  }
  return hit / (nq * k);
}

/** Runs a python FAISS script in a fresh directory holding `files`; returns a reader of what it wrote. */
export function runFaiss(script: string, files: Record<string, ArrayBufferView>, args: string[] = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-hnsw-'));
  try {
    for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const run = spawnSync(PY, ['-c', script, dir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
      maxBuffer: 1 << 28,
    });
    if (run.status !== 0) throw new Error(`FAISS script failed: ${run.stderr}`);
    const out: Record<string, Buffer> = {};
    for (const f of fs.readdirSync(dir)) out[f] = fs.readFileSync(path.join(dir, f));
    return {
      stdout: run.stdout,
      f32: (f: string) => new Float32Array(copy(out[f])),
      f64: (f: string) => new Float64Array(copy(out[f])),
      i32: (f: string) => new Int32Array(copy(out[f])),
      i64: (f: string) => new BigInt64Array(copy(out[f])),
      u8: (f: string) => new Uint8Array(copy(out[f])),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function copy(b: Buffer | undefined): ArrayBuffer {
  if (!b) throw new Error('FAISS script did not write the expected file');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** The python preamble: numpy, faiss, one thread unless told otherwise, the data directory. */
export const PY_HEAD = `
import sys, os, numpy as np, faiss
D = sys.argv[1]
def f32(name, d): return np.fromfile(os.path.join(D, name), dtype=np.float32).reshape(-1, d)
def u8(name, cs): return np.fromfile(os.path.join(D, name), dtype=np.uint8).reshape(-1, cs)
def out(name, a): np.ascontiguousarray(a).tofile(os.path.join(D, name))
`;
