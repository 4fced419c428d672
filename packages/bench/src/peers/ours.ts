/**
 * Our side: metalfaiss indexes and kernel settings, through the public APIs
 * of @metalfaiss/indexes and @metalfaiss/metal-kernels only.
 */
import { IndexFlat } from '@metalfaiss/indexes';
import { backendInfo, getNumThreads, setNumThreads } from '@metalfaiss/metal-kernels';

export { IndexFlat };

/** What a benchmark needs from one of our indexes. */
export interface BenchIndex {
  readonly d: number;
  readonly ntotal: number;
  addSync(x: Float32Array): void;
  searchSync(xq: Float32Array, k: number): { distances: Float32Array; labels: BigInt64Array };
  search(xq: Float32Array, k: number): Promise<{ distances: Float32Array; labels: BigInt64Array }>;
  memoryBytes(): number;
}

/** A new, empty flat index for the metric. */
export function newFlatIndex(d: number, metric: 'l2' | 'ip'): BenchIndex {
  return new IndexFlat(d, { metric }) as unknown as BenchIndex;
}

/** Sets our kernels' thread count and returns what they report back. */
export function useThreads(n: number): number {
  setNumThreads(n);
  return getNumThreads();
}

/** backendInfo() of our kernels, or the load error as text. */
export function ourBackend(): Record<string, unknown> {
  try {
    return { ...backendInfo() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
