/** Wraps the raw addon as a KernelBackend: validation first, native errors rethrown as MetalFaissError. */
import type { BackendInfo, KernelBackend, KnnArgs, PairwiseArgs, RangeArgs, RangeSearchOutput, TopkArgs } from './backend';
import type { NativeAddon } from './loader';
import { guard, guardAsync, nativePair } from './sq-native';
import { validateKnn, validateNorms, validatePairwise, validateRange, validateThreads, validateTopk } from './validate';
import { packageVersion } from './version';

export function createNativeBackend(addon: NativeAddon): KernelBackend {
  return {
    name: 'native',
    normsL2Sqr(x: Float32Array, n: number, d: number, out: Float32Array): void {
      validateNorms(x, n, d, out);
      guard('normsL2Sqr', () => addon.normsL2Sqr(x, n, d, out));
    },
    async normsL2SqrAsync(x: Float32Array, n: number, d: number, out: Float32Array): Promise<void> {
      validateNorms(x, n, d, out);
      return guardAsync('normsL2SqrAsync', () => addon.normsL2SqrAsync(x, n, d, out));
    },
    // the addon's pairwise under the backend's name pairwiseDistances (errors name the latter)
    pairwiseDistances(args: PairwiseArgs): void {
      validatePairwise(args);
      guard('pairwiseDistances', () => addon.pairwise(...pairwiseArgs(args)));
    },
    async pairwiseDistancesAsync(args: PairwiseArgs): Promise<void> {
      validatePairwise(args);
      return guardAsync('pairwiseDistancesAsync', () => addon.pairwiseAsync(...pairwiseArgs(args)));
    },
    ...nativePair(addon, 'knn', validateKnn, (a: KnnArgs) => [
      a.xq, a.xb, a.nq, a.nb, a.d, a.k, a.metric, a.distances, a.labels, a.xbNorms ?? null, a.labelOffset ?? 0,
    ]),
    ...nativePair<'rangeSearch', RangeArgs, RangeSearchOutput>(addon, 'rangeSearch', validateRange, (a) => [
      a.xq, a.xb, a.nq, a.nb, a.d, a.radius, a.metric, a.labelOffset ?? 0,
    ]),
    ...nativePair(addon, 'topk', validateTopk, (a: TopkArgs) => [
      a.values, a.n, a.m, a.k, a.largest, a.outValues, a.outIndices,
    ]),
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

function pairwiseArgs(a: PairwiseArgs): Parameters<NativeAddon['pairwise']> {
  return [a.xq, a.xb, a.nq, a.nb, a.d, a.metric, a.out];
}
