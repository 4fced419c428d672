/**
 * The graph (HNSW) and Hamming kernels' backend choice: the native addon when
 * the active backend is native and the addon exports them, otherwise the
 * plain-TypeScript reference twins (with one process warning when a native
 * addon without them was loaded, e.g. a stale prebuild).
 */
import type { GraphKernels, RangeSearchOutput } from './backend';
import type { HammingKnnArgs, HammingPairwiseArgs, HammingRangeArgs, HammingRangeOutput } from './hamming-types';
import type { HnswAddArgs, HnswAddResult, HnswRangeArgs, HnswSearchArgs } from './hnsw-types';
import {
  validateHammingKnn,
  validateHammingPairwise,
  validateHammingRange,
  validateHnswAdd,
  validateHnswRange,
  validateHnswSearch,
} from './hnsw-validate';
import { loadAddon } from './loader';
import { referenceHammingKnn, referenceHammingPairwise, referenceHammingRange } from './reference/hamming';
import { referenceHnswAdd, referenceHnswRangeSearch, referenceHnswSearch } from './reference/hnsw';
import { deferred, nativePair } from './sq-native';

type Walk = { efSearch: number; boundedQueue: boolean; checkRelativeDistance: boolean; filter: Uint8Array | null };
type GraphArg = HnswSearchArgs['graph'];
type StorageArg = HnswSearchArgs['storage'];

/** The raw addon surface of these kernels (arguments validated in TypeScript first). */
interface GraphAddon {
  hammingKnn(xq: Uint8Array, xb: Uint8Array, nq: number, nb: number, cs: number, k: number, d: Int32Array, l: BigInt64Array, off: number): void;
  hammingKnnAsync(xq: Uint8Array, xb: Uint8Array, nq: number, nb: number, cs: number, k: number, d: Int32Array, l: BigInt64Array, off: number): Promise<void>;
  hammingRangeSearch(xq: Uint8Array, xb: Uint8Array, nq: number, nb: number, cs: number, radius: number, off: number): HammingRangeOutput;
  hammingRangeSearchAsync(xq: Uint8Array, xb: Uint8Array, nq: number, nb: number, cs: number, radius: number, off: number): Promise<HammingRangeOutput>;
  hammingPairwise(xq: Uint8Array, xb: Uint8Array, nq: number, nb: number, cs: number, out: Int32Array): void;
  hammingPairwiseAsync(xq: Uint8Array, xb: Uint8Array, nq: number, nb: number, cs: number, out: Int32Array): Promise<void>;
  hammingLevel(): string;
  hnswSearch(g: GraphArg, s: StorageArg, xq: Float32Array | Uint8Array, nq: number, p: Walk & { k: number }, d: Float32Array, l: BigInt64Array): void;
  hnswSearchAsync(g: GraphArg, s: StorageArg, xq: Float32Array | Uint8Array, nq: number, p: Walk & { k: number }, d: Float32Array, l: BigInt64Array): Promise<void>;
  hnswRangeSearch(g: GraphArg, s: StorageArg, xq: Float32Array | Uint8Array, nq: number, p: Walk, radius: number): RangeSearchOutput;
  hnswRangeSearchAsync(g: GraphArg, s: StorageArg, xq: Float32Array | Uint8Array, nq: number, p: Walk, radius: number): Promise<RangeSearchOutput>;
  hnswAdd(g: GraphArg, s: StorageArg, x: Float32Array | Uint8Array, n0: number, order: Int32Array, efc: number): HnswAddResult;
  hnswAddAsync(g: GraphArg, s: StorageArg, x: Float32Array | Uint8Array, n0: number, order: Int32Array, efc: number): Promise<HnswAddResult>;
  allocLargeBuffer(bytes: number): ArrayBuffer;
}

function walk(a: HnswRangeArgs | HnswSearchArgs): Walk {
  return {
    efSearch: a.efSearch,
    boundedQueue: a.boundedQueue ?? true,
    checkRelativeDistance: a.checkRelativeDistance ?? true,
    filter: a.filter ?? null,
  };
}

/** The reference twins as GraphKernels (async forms run on the JS thread). */
export const referenceGraphKernels: GraphKernels = {
  name: 'reference',
  simd: () => 'scalar',
  hammingKnn: referenceHammingKnn,
  hammingKnnAsync: (a) => deferred(() => referenceHammingKnn(a)),
  hammingRangeSearch: referenceHammingRange,
  hammingRangeSearchAsync: (a) => deferred(() => referenceHammingRange(a)),
  hammingPairwise: referenceHammingPairwise,
  hammingPairwiseAsync: (a) => deferred(() => referenceHammingPairwise(a)),
  hnswSearch: referenceHnswSearch,
  hnswSearchAsync: (a) => deferred(() => referenceHnswSearch(a)),
  hnswRangeSearch: referenceHnswRangeSearch,
  hnswRangeSearchAsync: (a) => deferred(() => referenceHnswRangeSearch(a)),
  hnswAdd: referenceHnswAdd,
  hnswAddAsync: (a) => deferred(() => referenceHnswAdd(a)),
};

/**
 * Wraps the addon's graph and Hamming functions as GraphKernels: each pair
 * validates first, then calls the addon (native errors become MetalFaissError NATIVE).
 */
export function createNativeGraphKernels(addon: GraphAddon): GraphKernels {
  return {
    name: 'native',
    simd: () => addon.hammingLevel(),
    ...nativePair(addon, 'hammingKnn', validateHammingKnn, (a: HammingKnnArgs) => [
      a.xq, a.xb, a.nq, a.nb, a.codeSize, a.k, a.distances, a.labels, a.labelOffset ?? 0,
    ]),
    ...nativePair<'hammingRangeSearch', HammingRangeArgs, HammingRangeOutput>(addon, 'hammingRangeSearch', validateHammingRange, (a) => [
      a.xq, a.xb, a.nq, a.nb, a.codeSize, a.radius, a.labelOffset ?? 0,
    ]),
    ...nativePair(addon, 'hammingPairwise', validateHammingPairwise, (a: HammingPairwiseArgs) => [
      a.xq, a.xb, a.nq, a.nb, a.codeSize, a.out,
    ]),
    ...nativePair(addon, 'hnswSearch', validateHnswSearch, (a: HnswSearchArgs) => [
      a.graph, a.storage, a.xq, a.nq, { ...walk(a), k: a.k }, a.distances, a.labels,
    ]),
    ...nativePair<'hnswRangeSearch', HnswRangeArgs, RangeSearchOutput>(addon, 'hnswRangeSearch', validateHnswRange, (a) => [
      a.graph, a.storage, a.xq, a.nq, walk(a), a.radius,
    ]),
    ...nativePair<'hnswAdd', HnswAddArgs, HnswAddResult>(addon, 'hnswAdd', validateHnswAdd, (a) => [
      a.graph, a.storage, a.x, a.n0, a.order, a.efConstruction,
    ]),
  };
}

let nativeGraph: GraphKernels | null | undefined;
let warned = false;

/**
 * A zeroed ArrayBuffer for a large array read at random by the graph kernels:
 * from the addon, 2 MiB-aligned and advised for transparent huge pages (fewer
 * TLB misses); a plain ArrayBuffer without the addon or below 4 MiB.
 */
export function allocLargeArrayBuffer(bytes: number): ArrayBuffer {
  if (bytes >= 4 << 20 && nativeGraphKernels()) {
    const addon = loadAddon().addon as unknown as Partial<GraphAddon>;
    if (typeof addon.allocLargeBuffer === 'function') return addon.allocLargeBuffer(bytes);
  }
  return new ArrayBuffer(bytes);
}

/** The native graph kernels, or null when the addon is missing or lacks them. */
export function nativeGraphKernels(): GraphKernels | null {
  if (nativeGraph !== undefined) return nativeGraph;
  const loaded = loadAddon();
  const addon = loaded.addon as unknown as Partial<GraphAddon> | null;
  if (addon && typeof addon.hnswSearch === 'function' && typeof addon.hammingKnn === 'function') {
    nativeGraph = createNativeGraphKernels(addon as GraphAddon);
  } else {
    nativeGraph = null;
    if (addon && !warned) {
      warned = true;
      process.emitWarning(
        '@metalfaiss/metal-kernels: the loaded native addon has no HNSW / Hamming kernels (stale build?); ' +
          'using their plain TypeScript reference versions',
        { code: 'METALFAISS_REFERENCE_BACKEND', type: 'MetalFaissWarning' },
      );
    }
  }
  return nativeGraph;
}
