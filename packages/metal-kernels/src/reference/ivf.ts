/**
 * Reference IVF-Flat scans: per query, per probed list, per entry, the
 * distance in float64 rounded to float32 (the same score as the `knn`
 * reference), kept with the (score, position) tie rule of the native kernel.
 */
import type { RangeSearchOutput } from '../backend';
import type { IvfRangeSearchFlatArgs, IvfSearchFlatArgs } from '../ivf';
import { TopKSelector } from './heap';

const TWO32 = 4294967296;

function floats(codes: Uint8Array, size: number, d: number): Float32Array {
  return new Float32Array(codes.buffer, codes.byteOffset, size * d);
}

function score(metric: 0 | 1, xq: Float32Array, qo: number, v: Float32Array, vo: number, d: number): number {
  let s = 0;
  if (metric === 1) {
    for (let t = 0; t < d; t++) {
      const diff = xq[qo + t] - v[vo + t];
      s += diff * diff;
    }
    return Math.fround(s);
  }
  for (let t = 0; t < d; t++) s += xq[qo + t] * v[vo + t];
  return -Math.fround(s);
}

/** Assumes validated arguments (see validateIvfSearchFlat). */
export function ivfSearchFlatReference(args: IvfSearchFlatArgs): void {
  const { xq, nq, d, k, metric, coarse, nprobe, lists, distances, labels } = args;
  const storePairs = args.storePairs ?? false;
  const selector = new TopKSelector(k);
  const dist = new Float32Array(k);
  const positions = new BigInt64Array(k);
  // positions (listNo * 2^32 + offset) stay exact in float64 for listNo < 2^21
  for (let q = 0; q < nq; q++) {
    for (let p = 0; p < nprobe; p++) {
      const key = Number(coarse[q * nprobe + p]);
      if (key < 0) continue;
      const size = lists.sizes[key];
      if (size === 0) continue;
      const v = floats(lists.codes[key], size, d);
      for (let j = 0; j < size; j++) selector.push(score(metric, xq, q * d, v, j * d, d), key * TWO32 + j);
    }
    if (metric === 1) selector.drain(dist, positions, 0, 1, Infinity, 0);
    else selector.drain(dist, positions, 0, -1, -Infinity, 0);
    distances.set(dist, q * k);
    for (let e = 0; e < k; e++) {
      const pos = positions[e];
      if (pos < 0n) {
        labels[q * k + e] = -1n;
        continue;
      }
      if (storePairs) {
        labels[q * k + e] = pos;
      } else {
        const listNo = Number(pos >> 32n);
        const offset = Number(pos & 0xffffffffn);
        labels[q * k + e] = lists.ids[listNo][offset];
      }
    }
  }
}

/** Assumes validated arguments (see validateIvfRangeSearchFlat). */
export function ivfRangeSearchFlatReference(args: IvfRangeSearchFlatArgs): RangeSearchOutput {
  const { xq, nq, d, metric, coarse, nprobe, lists } = args;
  const storePairs = args.storePairs ?? false;
  const radius = Math.fround(args.radius);
  const lims = new BigInt64Array(nq + 1);
  const dist: number[] = [];
  const out: bigint[] = [];
  for (let q = 0; q < nq; q++) {
    for (let p = 0; p < nprobe; p++) {
      const key = Number(coarse[q * nprobe + p]);
      if (key < 0) continue;
      const size = lists.sizes[key];
      if (size === 0) continue;
      const v = floats(lists.codes[key], size, d);
      for (let j = 0; j < size; j++) {
        const s = score(metric, xq, q * d, v, j * d, d);
        const keep = metric === 1 ? s < radius : -s > radius;
        if (!keep) continue;
        dist.push(metric === 1 ? s : -s);
        out.push(storePairs ? (BigInt(key) << 32n) | BigInt(j) : lists.ids[key][j]);
      }
    }
    lims[q + 1] = BigInt(dist.length);
  }
  return { lims, distances: Float32Array.from(dist), labels: BigInt64Array.from(out) };
}
