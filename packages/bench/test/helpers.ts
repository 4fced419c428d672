import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A temp dir removed after the test file. */
export function tempDir(prefix = 'mfbench-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Brute-force k-NN by sorting every distance (a second, simpler oracle for the ground-truth kernel). */
export function bruteForce(xb: Float32Array, nb: number, xq: Float32Array, nq: number, d: number, k: number, metric: 'l2' | 'ip'): { labels: Int32Array; distances: Float64Array } {
  const labels = new Int32Array(nq * k);
  const distances = new Float64Array(nq * k);
  for (let q = 0; q < nq; q++) {
    const all: Array<[number, number]> = [];
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) {
        const a = xq[q * d + t];
        const b = xb[j * d + t];
        s += metric === 'l2' ? (a - b) * (a - b) : a * b;
      }
      all.push([s, j]);
    }
    all.sort((x, y) => (metric === 'l2' ? x[0] - y[0] : y[0] - x[0]) || x[1] - y[1]);
    for (let i = 0; i < k; i++) {
      distances[q * k + i] = all[i][0];
      labels[q * k + i] = all[i][1];
    }
  }
  return { labels, distances };
}

export function randomVectors(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}
