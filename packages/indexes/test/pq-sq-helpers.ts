/** Helpers of the quantizer index tests: FAISS as an oracle, seeded data, recall. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from './helpers';
import { ArrayInvertedLists } from '../src/index';

const PY = '/usr/bin/python3';
let available: boolean | undefined;

export function faissAvailable(what: string): boolean {
  if (available === undefined) available = spawnSync(PY, ['-c', 'import faiss, numpy'], { encoding: 'utf8' }).status === 0;
  if (!available) console.warn(`${what}: FAISS oracle tests skipped; install python3-faiss (apt-get install python3-faiss) to enable`);
  return available;
}

export function runFaiss(script: string, inputs: Record<string, ArrayBufferView>, outputs: string[]): Record<string, Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'ix-quant-'));
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

/** Seeded clustered data: `nc` Gaussian-ish blobs with per-dimension scales. */
export function clustered(n: number, d: number, seed: number, nc = 20): Float32Array {
  const r = rng(seed);
  const centers = new Float32Array(nc * d);
  const cr = rng(12345);
  for (let i = 0; i < centers.length; i++) centers[i] = (cr() * 2 - 1) * 4;
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * nc);
    for (let j = 0; j < d; j++) {
      const g = (r() + r() + r() + r() - 2) * (1 + (j % 4) * 0.5);
      x[i * d + j] = centers[c * d + j] + g;
    }
  }
  return x;
}

/** Exact top-k labels (float64) of each query. */
export function groundTruth(xq: Float32Array, xb: Float32Array, d: number, k: number, metric: 'l2' | 'ip'): Int32Array {
  const nq = xq.length / d;
  const nb = xb.length / d;
  const out = new Int32Array(nq * k);
  const s = new Float64Array(nb);
  const idx = new Int32Array(nb);
  for (let q = 0; q < nq; q++) {
    for (let b = 0; b < nb; b++) {
      let acc = 0;
      for (let j = 0; j < d; j++) {
        const u = xq[q * d + j];
        const v = xb[b * d + j];
        acc += metric === 'l2' ? (u - v) * (u - v) : -u * v;
      }
      s[b] = acc;
      idx[b] = b;
    }
    const sorted = Array.from(idx).sort((a, b) => s[a] - s[b] || a - b);
    for (let e = 0; e < k; e++) out[q * k + e] = sorted[e];
  }
  return out;
}

/** recall@k: the fraction of the true top-k found in the returned top-k. */
export function recallAtK(labels: BigInt64Array, gt: Int32Array, nq: number, k: number): number {
  let hit = 0;
  for (let q = 0; q < nq; q++) {
    const truth = new Set(Array.from(gt.subarray(q * k, (q + 1) * k)));
    for (let e = 0; e < k; e++) if (truth.has(Number(labels[q * k + e]))) hit++;
  }
  return hit / (nq * k);
}

/** Float64 score (L2 distance or inner product) of query q against row b of a matrix. */
export function score(metric: 'l2' | 'ip', xq: Float32Array, q: number, xb: Float32Array, b: number, d: number): number {
  let acc = 0;
  for (let j = 0; j < d; j++) {
    const u = xq[q * d + j];
    const v = xb[b * d + j];
    acc += metric === 'l2' ? (u - v) * (u - v) : u * v;
  }
  return acc;
}

/**
 * Labels equal except near-ties: a differing label must score (float64, via
 * `exact`) within tol of the expected distance; distances within tol.
 */
export function expectEqualExceptTies(
  got: { distances: Float32Array; labels: BigInt64Array },
  want: { distances: Float32Array; labels: BigInt64Array },
  nq: number,
  k: number,
  exact: (q: number, label: bigint) => number,
  tol: number,
): number {
  let mismatches = 0;
  for (let q = 0; q < nq; q++) {
    for (let e = 0; e < k; e++) {
      const o = q * k + e;
      if (want.labels[o] === -1n || got.labels[o] === -1n) {
        if (want.labels[o] !== got.labels[o]) throw new Error(`query ${q} rank ${e}: label ${got.labels[o]}, expected ${want.labels[o]}`);
        continue;
      }
      if (!(Math.abs(got.distances[o] - want.distances[o]) <= tol)) {
        throw new Error(`query ${q} rank ${e}: distance ${got.distances[o]}, expected ${want.distances[o]} (tolerance ${tol})`);
      }
      if (got.labels[o] !== want.labels[o]) {
        mismatches++;
        const s = exact(q, got.labels[o]);
        if (!(Math.abs(s - want.distances[o]) <= tol)) {
          throw new Error(`query ${q} rank ${e}: label ${got.labels[o]} (${s}) vs ${want.labels[o]} (${want.distances[o]}) is not a tie`);
        }
      }
    }
  }
  return mismatches;
}

/** Dumps a trained and filled FAISS IVF index: quantizer centroids, per-list codes/ids, search results. */
export const DUMP_IVF = `
ivf = faiss.extract_index_ivf(index)
nlist = ivf.nlist
save('cent', ivf.quantizer.reconstruct_n(0, nlist))
sizes = np.array([ivf.invlists.list_size(l) for l in range(nlist)], dtype='int32'); save('sizes', sizes)
cs = ivf.code_size
codes = [faiss.rev_swig_ptr(ivf.invlists.get_codes(l), int(sizes[l]) * cs).copy() for l in range(nlist) if sizes[l] > 0]
ids = [faiss.rev_swig_ptr(ivf.invlists.get_ids(l), int(sizes[l])).copy() for l in range(nlist) if sizes[l] > 0]
save('codes', np.concatenate(codes) if codes else np.zeros(0, 'uint8')); save('ids', np.concatenate(ids) if ids else np.zeros(0, 'int64'))
`;

export function listsFrom(out: Record<string, Buffer>, nlist: number, codeSize: number): ArrayInvertedLists {
  const sizes = new Int32Array(out.sizes.buffer.slice(out.sizes.byteOffset, out.sizes.byteOffset + out.sizes.byteLength));
  const codes = u8(out.codes);
  const ids = i64(out.ids);
  const lists = new ArrayInvertedLists(nlist, codeSize);
  let o = 0;
  for (let l = 0; l < nlist; l++) {
    const n = sizes[l];
    if (n === 0) continue;
    lists.addEntries(l, ids.slice(o, o + n), codes.slice(o * codeSize, (o + n) * codeSize));
    o += n;
  }
  return lists;
}

