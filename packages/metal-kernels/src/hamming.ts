/**
 * Hamming-distance kernels over packed binary codes (layout and padding:
 * ./hamming-types.ts): k-NN with FAISS's tie order, range search by radius,
 * and all-pairs distances. Popcounts use AVX-512 VPOPCNTDQ where the CPU has
 * it, POPCNT (x86-64-v3) or a portable SWAR count otherwise.
 */
import type { HammingKnnArgs, HammingPairwiseArgs, HammingRangeArgs, HammingRangeOutput } from './hamming-types';
import { graphKernels } from './hnsw';

export * from './hamming-types';

/** The k nearest codes of each query (the k smallest (distance, index) pairs). */
export function hammingKnn(args: HammingKnnArgs): void {
  graphKernels().hammingKnn(args);
}

export function hammingKnnAsync(args: HammingKnnArgs): Promise<void> {
  return graphKernels().hammingKnnAsync(args);
}

/** Every code at distance < radius of each query, in increasing index order. */
export function hammingRangeSearch(args: HammingRangeArgs): HammingRangeOutput {
  return graphKernels().hammingRangeSearch(args);
}

export function hammingRangeSearchAsync(args: HammingRangeArgs): Promise<HammingRangeOutput> {
  return graphKernels().hammingRangeSearchAsync(args);
}

/** out[i * nb + j] = Hamming distance of query i to code j. */
export function hammingPairwise(args: HammingPairwiseArgs): void {
  graphKernels().hammingPairwise(args);
}

export function hammingPairwiseAsync(args: HammingPairwiseArgs): Promise<void> {
  return graphKernels().hammingPairwiseAsync(args);
}

/** The popcount level in use: 'avx512-vpopcntdq' | 'avx2' | 'scalar'. */
export function hammingSimdLevel(): string {
  return graphKernels().simd();
}
