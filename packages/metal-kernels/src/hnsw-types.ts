/**
 * Argument types of the HNSW graph kernels.
 *
 * The graph arrays are FAISS's HNSW struct, field for field (impl/HNSW.h):
 * - `levels[i]`: number of levels node i belongs to (its top level + 1);
 * - `offsets[i]`: first neighbour slot of node i (ntotal + 1 entries, int64);
 * - `cum`: cumulative neighbour slots per level, `[0, 2M, 3M, 4M, ...]`;
 * - `neighbors`: node i's neighbours at level l are
 *   `neighbors[offsets[i] + cum[l] .. offsets[i] + cum[l + 1])`; unused slots
 *   hold -1 and a list ends at its first -1;
 * - `entryPoint` (-1 when empty) and `maxLevel`.
 *
 * The kernels hold no state: the caller (an index) owns these arrays. Search
 * only reads them; insertion writes neighbour slots of the arrays it is given
 * and reports the new entry point and max level.
 */

/** Storage kinds: where the vectors the graph links live. */
export const HNSW_STORAGE_FLAT = 0;
export const HNSW_STORAGE_BINARY = 1;
export const HNSW_STORAGE_PQ = 2;
export const HNSW_STORAGE_SQ = 3;
export type HnswStorageKind = 0 | 1 | 2 | 3;

/** Neighbour slots per list the kernels accept (2M at level 0, so M <= 512). */
export const HNSW_MAX_SLOTS_PER_LEVEL = 1024;

export interface HnswGraphArrays {
  /** at least ntotal entries */
  levels: Int32Array;
  /** at least ntotal + 1 entries; offsets[0] = 0 */
  offsets: BigInt64Array;
  /** at least offsets[ntotal] slots */
  neighbors: Int32Array;
  /** cum_nneighbor_per_level: 2..64 entries, cum[0] = 0, 1..1024 slots per level */
  cum: Int32Array;
  ntotal: number;
  entryPoint: number;
  maxLevel: number;
  /**
   * Optional, flat storage only: the distance of every edge, slot for slot
   * with `neighbors` (NaN = unknown). Insertion reads and maintains it instead
   * of recomputing the distances FAISS recomputes; the values are the same.
   */
  edgeDistances?: Float32Array;
}

export interface HnswStorageArrays {
  kind: HnswStorageKind;
  /** 0 inner product, 1 L2 (ignored for binary; PQ is L2 only, as FAISS's IndexHNSWPQ) */
  metric: 0 | 1;
  /** dimension (binary: bits, a multiple of 8) */
  d: number;
  /** flat: ntotal * d floats (at least); may be omitted (or empty) when `compact` holds the values */
  xb?: Float32Array;
  /**
   * flat, optional: the same values as xb held as uint8 or int8 (only valid
   * when every stored value is such an integer). Distances then read it
   * instead of xb, converting in registers: 4x less memory traffic, results
   * bit-identical to reading xb. The caller guarantees the values are equal.
   */
  compact?: Uint8Array | Int8Array;
  /**
   * flat, optional with compact (both or neither): per vector, the exact sum
   * of squares and the sum of its values (ntotal entries each; d <= 32768).
   * Then queries whose values are all integers of the compact type are
   * compared in exact integer arithmetic (byte dot products, AVX-512 VNNI
   * where the CPU has it): their distances are the exact values rounded once
   * to float32. Other queries use the float kernels.
   */
  compactNorms?: Int32Array;
  compactSums?: Int32Array;
  /** binary / PQ / SQ: ntotal * codeSize bytes (at least) */
  codes?: Uint8Array;
  /** PQ: sub-quantizers (8 bits each); d % pqM == 0 */
  pqM?: number;
  /** PQ: centroids [pqM][256][d / pqM] */
  pqCentroids?: Float32Array;
  /** SQ: FAISS's qtype 0..6 (8bit, 4bit, 8bit_uniform, 4bit_uniform, fp16, 8bit_direct, 6bit) */
  sqType?: number;
  /** SQ: trained values ([vmin(d), vdiff(d)] or [vmin, vdiff]; empty for fp16 / direct) */
  sqTrained?: Float32Array;
}

export interface HnswWalkOptions {
  /** FAISS's efSearch (>= 1); the candidate queue holds max(efSearch, k) entries */
  efSearch: number;
  /** FAISS's search_bounded_queue (default true) */
  boundedQueue?: boolean;
  /** FAISS's check_relative_distance (default true) */
  checkRelativeDistance?: boolean;
  /** optional ntotal bytes: non-zero = the node may be returned (it is still traversed) */
  filter?: Uint8Array;
}

export interface HnswSearchArgs extends HnswWalkOptions {
  graph: HnswGraphArrays;
  storage: HnswStorageArrays;
  /** queries: nq * d floats (binary: nq * d / 8 bytes) */
  xq: Float32Array | Uint8Array;
  nq: number;
  k: number;
  /** output nq * k, best first; L2 / Hamming distances, inner-product similarities; padding +/-Infinity */
  distances: Float32Array;
  /** output nq * k; padding -1 */
  labels: BigInt64Array;
}

export interface HnswRangeArgs extends HnswWalkOptions {
  graph: HnswGraphArrays;
  storage: HnswStorageArrays;
  xq: Float32Array | Uint8Array;
  nq: number;
  /** L2 / Hamming: distance < radius; inner product: similarity > radius */
  radius: number;
}

export interface HnswAddArgs {
  /** the graph with the new nodes' levels, offsets and (-1) slots already in place; ntotal counts them */
  graph: HnswGraphArrays;
  /** storage holding every node's vector / code, the new ones included */
  storage: HnswStorageArrays;
  /** the inserted vectors as given (rows for nodes n0 .. ntotal - 1): floats, or codes for binary */
  x: Float32Array | Uint8Array;
  n0: number;
  /** node ids to insert, grouped by level from the highest down, each in [n0, ntotal) */
  order: Int32Array;
  efConstruction: number;
}

export interface HnswAddResult {
  entryPoint: number;
  maxLevel: number;
}
