/**
 * Test helpers of the quantizer kernels: real FAISS (Debian's python3-faiss
 * through /usr/bin/python3) as an oracle, arrays passed as raw files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PY = '/usr/bin/python3';
let available: boolean | undefined;

export function faissAvailable(what: string): boolean {
  if (available === undefined) available = spawnSync(PY, ['-c', 'import faiss, numpy'], { encoding: 'utf8' }).status === 0;
  if (!available) console.warn(`${what}: FAISS oracle tests skipped; install python3-faiss (apt-get install python3-faiss) to enable`);
  return available;
}

/**
 * Runs a Python script with faiss and numpy imported, `load(name, dtype)`
 * reading the inputs and `save(name, array)` writing outputs; returns the
 * requested outputs as raw bytes.
 */
export function runFaiss(script: string, inputs: Record<string, ArrayBufferView>, outputs: string[]): Record<string, Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'mk-quant-'));
  try {
    for (const [name, a] of Object.entries(inputs)) writeFileSync(join(dir, `${name}.bin`), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    const prelude =
      'import faiss, numpy as np\nfaiss.omp_set_num_threads(1)\n' +
      `D = ${JSON.stringify(dir)}\n` +
      "def load(n, dt): return np.fromfile(D + '/' + n + '.bin', dtype=dt)\n" +
      "def save(n, a): np.ascontiguousarray(a).tofile(D + '/' + n + '.bin')\n";
    const r = spawnSync(PY, ['-c', prelude + script], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`FAISS script failed (${r.status}): ${r.stderr}`);
    const out: Record<string, Buffer> = {};
    for (const name of outputs) out[name] = readFileSync(join(dir, `${name}.bin`));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const f32 = (b: Buffer): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
export const i64 = (b: Buffer): BigInt64Array => new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
export const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

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

/** Gaussian-ish floats with a per-dimension scale and offset (so non-uniform ranges matter). */
export function data(n: number, d: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const g = (r() + r() + r() - 1.5) * 2;
      x[i * d + j] = g * (1 + (j % 5)) + (j % 3) - 1;
    }
  }
  return x;
}

/** Float64 score of a query against a decoded vector (L2 distance or inner product). */
export function exactScore(metric: number, xq: Float32Array, qo: number, v: Float32Array, vo: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const a = xq[qo + t];
    const b = v[vo + t];
    s += metric === 1 ? (a - b) * (a - b) : a * b;
  }
  return s;
}

/**
 * Top-k results equal except for near-ties: each label that differs from the
 * expected one must score (exactly, in float64) within `tol` of the expected
 * distance at that rank; distances within `tol`.
 */
export function expectSameTopk(
  got: { distances: Float32Array; labels: BigInt64Array },
  want: { distances: Float32Array; labels: BigInt64Array },
  nq: number,
  k: number,
  score: (q: number, label: bigint) => number,
  tol: (q: number) => number,
): { mismatches: number } {
  let mismatches = 0;
  for (let q = 0; q < nq; q++) {
    const t = tol(q);
    for (let e = 0; e < k; e++) {
      const o = q * k + e;
      const wl = want.labels[o];
      const gl = got.labels[o];
      if (wl === -1n || gl === -1n) {
        if (wl !== gl) throw new Error(`query ${q} rank ${e}: label ${gl}, expected ${wl}`);
        continue;
      }
      const dd = Math.abs(got.distances[o] - want.distances[o]);
      if (!(dd <= t)) throw new Error(`query ${q} rank ${e}: distance ${got.distances[o]}, expected ${want.distances[o]} (tolerance ${t})`);
      if (gl !== wl) {
        mismatches++;
        const sg = score(q, gl);
        if (!(Math.abs(sg - want.distances[o]) <= t)) {
          throw new Error(`query ${q} rank ${e}: label ${gl} (score ${sg}) vs expected ${wl} (${want.distances[o]}) is not a near-tie`);
        }
      }
    }
  }
  return { mismatches };
}
