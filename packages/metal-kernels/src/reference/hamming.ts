/**
 * Plain-TypeScript Hamming kernels: the oracle of the native ones and the
 * fallback when the addon cannot load (single-threaded; the async forms
 * compute on the JS thread).
 */
import type { HammingKnnArgs, HammingPairwiseArgs, HammingRangeArgs, HammingRangeOutput } from '../hamming-types';
import { HAMMING_PAD_DISTANCE } from '../hamming-types';
import { validateHammingKnn, validateHammingPairwise, validateHammingRange } from '../hnsw-validate';

const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1];

/** Hamming distance of the codes at byte offsets a and b (codeSize bytes each). */
export function hammingDistance(x: Uint8Array, a: number, y: Uint8Array, b: number, codeSize: number): number {
  let s = 0;
  for (let t = 0; t < codeSize; t++) s += POP8[x[a + t] ^ y[b + t]];
  return s;
}

export function referenceHammingKnn(args: HammingKnnArgs): void {
  validateHammingKnn(args);
  const { xq, xb, nq, nb, codeSize: cs, k, distances, labels } = args;
  const offset = BigInt(args.labelOffset ?? 0);
  const keepD = new Int32Array(k);
  const keepI = new Int32Array(k);
  for (let i = 0; i < nq; i++) {
    // the k smallest (distance, index) pairs, kept sorted by insertion
    let n = 0;
    for (let j = 0; j < nb; j++) {
      const dis = hammingDistance(xq, i * cs, xb, j * cs, cs);
      if (n === k && dis >= keepD[k - 1]) continue;
      let p = n < k ? n++ : k - 1;
      while (p > 0 && keepD[p - 1] > dis) {
        keepD[p] = keepD[p - 1];
        keepI[p] = keepI[p - 1];
        p--;
      }
      keepD[p] = dis;
      keepI[p] = j;
    }
    for (let t = 0; t < k; t++) {
      distances[i * k + t] = t < n ? keepD[t] : HAMMING_PAD_DISTANCE;
      labels[i * k + t] = t < n ? BigInt(keepI[t]) + offset : -1n;
    }
  }
}

export function referenceHammingRange(args: HammingRangeArgs): HammingRangeOutput {
  validateHammingRange(args);
  const { xq, xb, nq, nb, codeSize: cs, radius } = args;
  const offset = BigInt(args.labelOffset ?? 0);
  const lims = new BigInt64Array(nq + 1);
  const dis: number[] = [];
  const ids: bigint[] = [];
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < nb; j++) {
      const d = hammingDistance(xq, i * cs, xb, j * cs, cs);
      if (d < radius) {
        dis.push(d);
        ids.push(BigInt(j) + offset);
      }
    }
    lims[i + 1] = BigInt(dis.length);
  }
  return { lims, distances: Int32Array.from(dis), labels: BigInt64Array.from(ids) };
}

export function referenceHammingPairwise(args: HammingPairwiseArgs): void {
  validateHammingPairwise(args);
  const { xq, xb, nq, nb, codeSize: cs, out } = args;
  for (let i = 0; i < nq; i++) for (let j = 0; j < nb; j++) out[i * nb + j] = hammingDistance(xq, i * cs, xb, j * cs, cs);
}
