import { checkInteger, invalidArgument } from '../errors';
import { Prng } from './prng';
import type { Dataset } from './types';

export interface SyntheticOptions {
  /** dimension */
  d: number;
  /** training vectors */
  nt: number;
  /** database vectors */
  nb: number;
  /** query vectors */
  nq: number;
  /** PRNG seed (default 1338) */
  seed?: number;
  /** dimension of the hidden gaussian before the projection (default 10) */
  intrinsicDim?: number;
  metric?: 'l2' | 'ip';
}

/**
 * A seeded synthetic dataset in the spirit of FAISS's contrib/datasets.py
 * SyntheticDataset: points drawn from a low-dimensional gaussian (intrinsicDim
 * dims), pushed into d dims by a random non-negative projection, each output
 * dimension scaled by a random frequency in [0.1, 4.1) and passed through
 * sin(). The result lies near a curved low-dimensional manifold, which makes it
 * hard to index, yet it is fully deterministic given the seed (our own PRNG, so
 * it does not reproduce FAISS's numbers bit for bit).
 *
 * Vectors are drawn in one stream and split in the order train, base, queries,
 * so changing nq does not change xb.
 */
export function syntheticDataset(options: SyntheticOptions): Dataset {
  const d = checkInteger('d', options.d, 1, 1 << 16);
  const nt = checkInteger('nt', options.nt, 0);
  const nb = checkInteger('nb', options.nb, 1);
  const nq = checkInteger('nq', options.nq, 0);
  const seed = checkInteger('seed', options.seed ?? 1338, 0, 0xffffffff);
  const d1 = checkInteger('intrinsicDim', options.intrinsicDim ?? 10, 1, 4096);
  const metric = options.metric ?? 'l2';
  const n = nt + nb + nq;
  if (n * d > 2 ** 31) {
    throw invalidArgument('nt + nb + nq', `at most ${Math.floor(2 ** 31 / d)} vectors of d=${d}`, n);
  }
  const rng = new Prng(seed);
  // projection d1 x d, uniform [0, 1); per-dimension frequency
  const proj = new Float64Array(d1 * d);
  for (let i = 0; i < proj.length; i++) proj[i] = rng.uniform();
  const freq = new Float64Array(d);
  for (let j = 0; j < d; j++) freq[j] = rng.uniform() * 4 + 0.1;

  const all = new Float32Array(n * d);
  const z = new Float64Array(d1);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d1; t++) z[t] = rng.normal();
    row.fill(0);
    for (let t = 0; t < d1; t++) {
      const zt = z[t];
      const off = t * d;
      for (let j = 0; j < d; j++) row[j] += zt * proj[off + j];
    }
    const base = i * d;
    for (let j = 0; j < d; j++) all[base + j] = Math.sin(row[j] * freq[j]);
  }
  return {
    name: `synthetic-d${d}-nt${nt}-nb${nb}-nq${nq}-s${seed}` + (d1 !== 10 ? `-i${d1}` : ''),
    description: `synthetic (seed ${seed}): ${nb} base, ${nq} queries, ${nt} train, d=${d}, sin of a random projection of a ${d1}-d gaussian`,
    d,
    xt: all.subarray(0, nt * d),
    nt,
    xb: all.subarray(nt * d, (nt + nb) * d),
    nb,
    xq: all.subarray((nt + nb) * d, n * d),
    nq,
    metric,
    notes: [],
  };
}
