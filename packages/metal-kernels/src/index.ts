/**
 * @metalfaiss/metal-kernels: stateless CPU kernels over row-major typed
 * arrays (layout and conventions: see ./backend.ts).
 *
 * The module-level functions validate their arguments (throwing
 * MetalFaissError INVALID_ARGUMENT / DIMENSION_MISMATCH) and dispatch to the
 * active backend: the native C++ addon when it loads, otherwise the plain
 * TypeScript reference backend (with one process warning).
 */
import type {
  BackendInfo,
  KernelBackend,
  KnnArgs,
  PairwiseArgs,
  RangeArgs,
  RangeSearchOutput,
  TopkArgs,
} from './backend';
import { MetalFaissError } from './errors';
import { candidatePaths, loadAddon } from './loader';
import { createNativeBackend } from './native-backend';
import { referenceBackend, setReferenceLoadError } from './reference/index';

export * from './errors';
export * from './backend';
export { referenceBackend };
export * from './hnsw';
export * from './hamming';
export { denseKernels } from './dense';
export type { DenseKernels } from './dense';
export * from './sq';
export * from './pq';
export * from './kmeans';
export * from './ivf';

interface BackendState {
  native: KernelBackend | null;
  active: KernelBackend;
  /** set when METALFAISS_BACKEND=native but the addon cannot load */
  unavailable?: MetalFaissError;
}

let state: BackendState | undefined;
const WARNING_CODE = 'METALFAISS_REFERENCE_BACKEND';

function warn(message: string, code = WARNING_CODE): void {
  process.emitWarning(message, { code, type: 'MetalFaissWarning' });
}

function resolveState(): BackendState {
  if (state) return state;
  const mode = process.env.METALFAISS_BACKEND ?? '';
  if (mode !== '' && mode !== 'reference' && mode !== 'native' && mode !== 'auto') {
    warn(`METALFAISS_BACKEND=${mode} is not one of reference|native|auto; using auto`, 'METALFAISS_ENV');
  }
  if (mode === 'reference') {
    const why = 'METALFAISS_BACKEND=reference is set';
    setReferenceLoadError(why);
    warn(
      `@metalfaiss/metal-kernels: ${why}, so the native addon was not loaded (searched: ${candidatePaths().join(', ')}). ` +
        'Using the plain TypeScript reference backend: it is much slower, single-threaded, and its async ' +
        'functions compute on the JS thread (they block the event loop).',
    );
    state = { native: null, active: referenceBackend };
    return state;
  }
  const loaded = loadAddon();
  if (loaded.addon) {
    const native = createNativeBackend(loaded.addon);
    if (loaded.simdWarning) warn(`@metalfaiss/metal-kernels: ${loaded.simdWarning}`, 'METALFAISS_ENV');
    state = { native, active: native };
    return state;
  }
  const error = loaded.error ?? 'unknown error';
  setReferenceLoadError(error);
  if (mode === 'native') {
    state = {
      native: null,
      active: referenceBackend,
      unavailable: new MetalFaissError(
        'BACKEND_UNAVAILABLE',
        `METALFAISS_BACKEND=native is set but the native addon did not load (searched: ${loaded.tried.join(', ')}): ${error}`,
      ),
    };
    return state;
  }
  warn(
    `@metalfaiss/metal-kernels: the native addon could not be loaded, falling back to the plain TypeScript ` +
      `reference backend (much slower, single-threaded; async functions compute on the JS thread and block the ` +
      `event loop). Searched: ${loaded.tried.join(', ')}. Error: ${error}`,
  );
  state = { native: null, active: referenceBackend };
  return state;
}

/** The backend the module-level functions use. */
export function activeBackend(): KernelBackend {
  const s = resolveState();
  if (s.unavailable) throw s.unavailable;
  return s.active;
}

/** The native C++ backend, or null when the addon could not load (or METALFAISS_BACKEND=reference). */
export function getNativeBackend(): KernelBackend | null {
  return resolveState().native;
}

/**
 * Squared L2 norms of the rows of x.
 * @param x Float32Array of length n * d; @param out Float32Array of length n.
 * @throws MetalFaissError INVALID_ARGUMENT, DIMENSION_MISMATCH
 */
export function normsL2Sqr(x: Float32Array, n: number, d: number, out: Float32Array): void {
  activeBackend().normsL2Sqr(x, n, d, out);
}

/** Like normsL2Sqr, computed off the JS thread (native backend). */
export function normsL2SqrAsync(x: Float32Array, n: number, d: number, out: Float32Array): Promise<void> {
  return activeBackend().normsL2SqrAsync(x, n, d, out);
}

/** All nq x nb distances (squared L2 or inner product) into args.out (length nq * nb). */
export function pairwiseDistances(args: PairwiseArgs): void {
  activeBackend().pairwiseDistances(args);
}

/** Like pairwiseDistances, computed off the JS thread (native backend). */
export function pairwiseDistancesAsync(args: PairwiseArgs): Promise<void> {
  return activeBackend().pairwiseDistancesAsync(args);
}

/** Exact k nearest neighbours of each query (sorted best first, ties by lower index, padded with -1). */
export function knn(args: KnnArgs): void {
  activeBackend().knn(args);
}

/** Like knn, computed off the JS thread (native backend). */
export function knnAsync(args: KnnArgs): Promise<void> {
  return activeBackend().knnAsync(args);
}

/** All database rows within `radius` of each query (L2: dist < radius; IP: ip > radius). */
export function rangeSearch(args: RangeArgs): RangeSearchOutput {
  return activeBackend().rangeSearch(args);
}

/** Like rangeSearch, computed off the JS thread (native backend). */
export function rangeSearchAsync(args: RangeArgs): Promise<RangeSearchOutput> {
  return activeBackend().rangeSearchAsync(args);
}

/** The k largest (or smallest) values of each row of an n x m matrix, with their column indices. */
export function topk(args: TopkArgs): void {
  activeBackend().topk(args);
}

/** Like topk, computed off the JS thread (native backend). */
export function topkAsync(args: TopkArgs): Promise<void> {
  return activeBackend().topkAsync(args);
}

/** Worker threads of the active backend (1..256; native default: the CPUs this process may use). */
export function setNumThreads(n: number): void {
  activeBackend().setNumThreads(n);
}

export function getNumThreads(): number {
  return activeBackend().getNumThreads();
}

/** Which backend runs, its SIMD level and thread count. */
export function backendInfo(): BackendInfo {
  return activeBackend().info();
}
