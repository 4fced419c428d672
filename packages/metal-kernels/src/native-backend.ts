/** Wraps the raw addon as a KernelBackend: validation first, native errors rethrown as MetalFaissError. */
import type { BackendInfo, KernelBackend, KnnArgs, PairwiseArgs, RangeArgs, RangeSearchOutput, TopkArgs } from './backend';
import { MetalFaissError } from './errors';
import type { NativeAddon } from './loader';
import { validateKnn, validateNorms, validatePairwise, validateRange, validateThreads, validateTopk } from './validate';
import { packageVersion } from './version';

function nativeError(kernel: string, error: unknown): MetalFaissError {
  if (MetalFaissError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new MetalFaissError('NATIVE', `native kernel ${kernel} failed: ${message}`, { cause: error });
  return wrapped;
}

function guard<T>(kernel: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw nativeError(kernel, error);
  }
}

async function guardAsync<T>(kernel: string, validate: () => void, fn: () => Promise<T>): Promise<T> {
  validate();
  let promise: Promise<T>;
  try {
    promise = fn();
  } catch (error) {
    throw nativeError(kernel, error);
  }
  try {
    return await promise;
  } catch (error) {
    throw nativeError(kernel, error);
  }
}

export function createNativeBackend(addon: NativeAddon): KernelBackend {
  const knnCall = (a: KnnArgs, run: NativeAddon['knn'] | NativeAddon['knnAsync']) =>
    run(a.xq, a.xb, a.nq, a.nb, a.d, a.k, a.metric, a.distances, a.labels, a.xbNorms ?? null, a.labelOffset ?? 0);
  const pairwiseCall = (a: PairwiseArgs, run: NativeAddon['pairwise'] | NativeAddon['pairwiseAsync']) =>
    run(a.xq, a.xb, a.nq, a.nb, a.d, a.metric, a.out);
  const rangeCall = (a: RangeArgs, run: NativeAddon['rangeSearch'] | NativeAddon['rangeSearchAsync']) =>
    run(a.xq, a.xb, a.nq, a.nb, a.d, a.radius, a.metric, a.labelOffset ?? 0);

  return {
    name: 'native',
    normsL2Sqr(x: Float32Array, n: number, d: number, out: Float32Array): void {
      validateNorms(x, n, d, out);
      guard('normsL2Sqr', () => addon.normsL2Sqr(x, n, d, out));
    },
    normsL2SqrAsync(x: Float32Array, n: number, d: number, out: Float32Array): Promise<void> {
      return guardAsync('normsL2SqrAsync', () => validateNorms(x, n, d, out), () => addon.normsL2SqrAsync(x, n, d, out));
    },
    pairwiseDistances(args: PairwiseArgs): void {
      validatePairwise(args);
      guard('pairwiseDistances', () => pairwiseCall(args, addon.pairwise));
    },
    pairwiseDistancesAsync(args: PairwiseArgs): Promise<void> {
      return guardAsync('pairwiseDistancesAsync', () => validatePairwise(args), () =>
        pairwiseCall(args, addon.pairwiseAsync) as Promise<void>,
      );
    },
    knn(args: KnnArgs): void {
      validateKnn(args);
      guard('knn', () => knnCall(args, addon.knn));
    },
    knnAsync(args: KnnArgs): Promise<void> {
      return guardAsync('knnAsync', () => validateKnn(args), () => knnCall(args, addon.knnAsync) as Promise<void>);
    },
    rangeSearch(args: RangeArgs): RangeSearchOutput {
      validateRange(args);
      return guard('rangeSearch', () => rangeCall(args, addon.rangeSearch) as RangeSearchOutput);
    },
    rangeSearchAsync(args: RangeArgs): Promise<RangeSearchOutput> {
      return guardAsync('rangeSearchAsync', () => validateRange(args), () =>
        rangeCall(args, addon.rangeSearchAsync) as Promise<RangeSearchOutput>,
      );
    },
    topk(args: TopkArgs): void {
      validateTopk(args);
      guard('topk', () =>
        addon.topk(args.values, args.n, args.m, args.k, args.largest, args.outValues, args.outIndices),
      );
    },
    topkAsync(args: TopkArgs): Promise<void> {
      return guardAsync('topkAsync', () => validateTopk(args), () =>
        addon.topkAsync(args.values, args.n, args.m, args.k, args.largest, args.outValues, args.outIndices),
      );
    },
    setNumThreads(n: number): void {
      validateThreads(n);
      guard('setNumThreads', () => addon.setNumThreads(n));
    },
    getNumThreads(): number {
      return addon.getNumThreads();
    },
    info(): BackendInfo {
      const i = addon.info();
      return { backend: 'native', simd: i.simd, threads: i.threads, version: packageVersion };
    },
  };
}
