/**
 * Argument types of the Hamming (binary code) kernels.
 *
 * Binary vectors follow FAISS: d bits packed into codeSize = d / 8 bytes per
 * vector, bit j in bit (j % 8) of byte (j / 8), vectors stored one after the
 * other in a Uint8Array. Distances are Int32Array Hamming distances; labels
 * are BigInt64Array (FAISS's idx_t), padded with -1 (distance 2147483647,
 * INT32_MAX, as FAISS pads) when fewer than k codes exist.
 */

export interface HammingKnnArgs {
  /** queries, nq * codeSize bytes */
  xq: Uint8Array;
  /** database, nb * codeSize bytes */
  xb: Uint8Array;
  nq: number;
  nb: number;
  /** bytes per code, 1..131072 */
  codeSize: number;
  /** k >= 1 (may exceed nb: the tail is padded) */
  k: number;
  /** output, nq * k, best first; ties by the lower index (FAISS's hammings_knn_hc) */
  distances: Int32Array;
  /** output, nq * k */
  labels: BigInt64Array;
  /** label = labelOffset + row index */
  labelOffset?: number;
}

export interface HammingRangeArgs {
  xq: Uint8Array;
  xb: Uint8Array;
  nq: number;
  nb: number;
  codeSize: number;
  /** keeps codes with distance < radius (strict, as FAISS's hamming_range_search) */
  radius: number;
  labelOffset?: number;
}

/** Range results, laid out like FAISS's RangeSearchResult (per query in increasing index order). */
export interface HammingRangeOutput {
  lims: BigInt64Array;
  distances: Int32Array;
  labels: BigInt64Array;
}

export interface HammingPairwiseArgs {
  xq: Uint8Array;
  xb: Uint8Array;
  nq: number;
  nb: number;
  codeSize: number;
  /** output, nq * nb: out[i * nb + j] = distance(xq_i, xb_j) */
  out: Int32Array;
}

/** The distance FAISS reports for a padding slot of a binary k-NN result. */
export const HAMMING_PAD_DISTANCE = 2147483647;
