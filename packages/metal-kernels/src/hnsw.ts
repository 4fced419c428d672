/**
 * HNSW graph kernels (module-level functions): greedy descent and
 * best-first level-0 search, range search, and multi-threaded insertion with
 * per-node locks, over graph arrays the caller owns (layout: ./hnsw-types.ts).
 * They follow FAISS 1.7.3's impl/HNSW.cpp step for step.
 *
 * Each function validates its arguments (MetalFaissError INVALID_ARGUMENT /
 * DIMENSION_MISMATCH / UNSUPPORTED) and runs on the native addon, or on the
 * plain-TypeScript reference twin when the addon is unavailable. The async
 * forms compute off the event loop (native) with every array pinned.
 */
import type { GraphKernels, RangeSearchOutput } from './backend';
import type { HnswAddArgs, HnswAddResult, HnswRangeArgs, HnswSearchArgs } from './hnsw-types';
import { nativeGraphKernels, referenceGraphKernels } from './hnsw-native';
import { activeBackend } from './index';

export * from './hnsw-types';
export { referenceGraphKernels, allocLargeArrayBuffer } from './hnsw-native';
export { validateGraph as validateHnswGraph, validateStorage as validateHnswStorage } from './hnsw-validate';

/** The graph / Hamming kernels of the active backend (native when it loads). */
export function graphKernels(): GraphKernels {
  const backend = activeBackend();
  if (backend.name === 'native') return nativeGraphKernels() ?? referenceGraphKernels;
  return referenceGraphKernels;
}

/** k nearest neighbours of nq queries through the graph (results into args.distances / args.labels). */
export function hnswSearch(args: HnswSearchArgs): void {
  graphKernels().hnswSearch(args);
}

/** Like hnswSearch, off the event loop. */
export function hnswSearchAsync(args: HnswSearchArgs): Promise<void> {
  return graphKernels().hnswSearchAsync(args);
}

/** Every node the level-0 walk meets within the radius (FAISS's IndexHNSW::range_search). */
export function hnswRangeSearch(args: HnswRangeArgs): RangeSearchOutput {
  return graphKernels().hnswRangeSearch(args);
}

export function hnswRangeSearchAsync(args: HnswRangeArgs): Promise<RangeSearchOutput> {
  return graphKernels().hnswRangeSearchAsync(args);
}

/**
 * Inserts the nodes of args.order into the graph, writing its neighbour slots
 * in place; returns the new entry point and max level.
 */
export function hnswAdd(args: HnswAddArgs): HnswAddResult {
  return graphKernels().hnswAdd(args);
}

/** Like hnswAdd, off the event loop: the arrays must not be touched until it resolves. */
export function hnswAddAsync(args: HnswAddArgs): Promise<HnswAddResult> {
  return graphKernels().hnswAddAsync(args);
}
