/**
 * Grouped and bounded (pruned) k-means assignment, squared L2 only.
 *
 * Centroid groups: `groups` is an Int32Array of t rows of g slots; each slot
 * holds a centroid number in [0, k) or -1 (empty), and a centroid appears in
 * at most one slot.
 *
 * - `kmeansAssignGroups`: per point and group, the nearest centroid of the
 *   group, its distance and the second nearest distance. One group holding
 *   every centroid gives the top-2 assignment. An optional mask skips
 *   (point, group) pairs.
 * - `kmeansAssignBounded`: one k-means assignment that skips, exactly, the
 *   centroid groups that cannot hold a point's nearest centroid (Yinyang
 *   group bounds: a lower bound per point and group on the distance to the
 *   group's centroids other than the assigned one, lowered every call by how
 *   far the group's centroids moved). The bounds carry a margin for the
 *   float32 rounding of the distances, so labels and distances equal those of
 *   `kmeansAssign` (L2) over the same centroids and point norms, ties to the
 *   lower centroid number included, bit for bit.
 *
 * The native scores are the fused GEMM's (the same per-pair arithmetic as
 * kmeansAssign); the TypeScript reference computes every distance in float64
 * rounded once, as the kmeansAssign reference does.
 */
import { MetalFaissError, describeValue, invalidArgument } from './errors';
import { checkArgsObject, checkBigInt64, checkFloat32, checkInteger, checkNoOverlap } from './validate';
import { ivfAddon } from './ivf-native';
import { kmeansAssignBoundedReference, kmeansAssignGroupsReference } from './reference/kmeans-bounded';
import { type KernelPair, nativePair, referencePair } from './sq-native';

export interface KmeansAssignGroupsArgs {
  /** points, Float32Array of length n * d */
  x: Float32Array;
  n: number;
  d: number;
  /** centroids, Float32Array of length k * d */
  centroids: Float32Array;
  k: number;
  /** Int32Array of length t * g: the centroid numbers of each group, -1 for an empty slot */
  groups: Int32Array;
  /** number of groups, >= 1 */
  t: number;
  /** slots per group, >= 1 */
  g: number;
  /** optional squared norms of the points, Float32Array of length n; computed when absent */
  xNorms?: Float32Array | null;
  /** optional Uint8Array of length n * t: 0 skips the pair (its outputs stay untouched) */
  mask?: Uint8Array | null;
  /** output, Float32Array of length n * t: squared L2 distance to the group's nearest centroid (+Infinity: none) */
  best: Float32Array;
  /** output, BigInt64Array of length n * t: that centroid's number (ties: the lower), -1 when none */
  labels: BigInt64Array;
  /** output, Float32Array of length n * t: squared L2 distance to the group's second nearest centroid (+Infinity: none) */
  second: Float32Array;
}

export interface KmeansAssignBoundedArgs {
  /** points, Float32Array of length n * d */
  x: Float32Array;
  n: number;
  d: number;
  /**
   * optional squared norms of the points, Float32Array of length n (as
   * normsL2Sqr computes them: the bounds assume float32 accuracy); computed
   * when absent
   */
  xNorms?: Float32Array | null;
  /** the current centroids, Float32Array of length k * d */
  centroids: Float32Array;
  k: number;
  /** Int32Array of length t * g: the centroid numbers of each group, -1 for an empty slot; every centroid exactly once */
  groups: Int32Array;
  t: number;
  g: number;
  /**
   * Float64Array of length t: for each group, an upper bound on the L2
   * distance (not squared) any of its centroids moved since the last call
   * (>= 0, +Infinity allowed); null on the first call (no bounds yet: every
   * point is compared with every centroid)
   */
  drift: Float64Array | null;
  /** in/out, BigInt64Array of length n: the last call's assignment (read unless first), then the nearest centroid */
  labels: BigInt64Array;
  /**
   * in/out, Float32Array of length n * t: per point and group, a lower bound
   * on the L2 distance to the group's centroids other than the assigned one
   * (written by the first call, kept by the caller between calls)
   */
  lower: Float32Array;
  /** output, Float32Array of length n: squared L2 distance to the assigned centroid */
  distances: Float32Array;
}

/** What one bounded assignment skipped. */
export interface KmeansBoundedStats {
  /** points compared with no centroid but their own */
  pruned: number;
  /** (point, group) pairs computed (n * t for a full search) */
  evaluated: number;
}

interface KmeansBoundedAddon {
  kmeansAssignGroups(
    x: Float32Array, n: number, d: number, centroids: Float32Array, k: number, groups: Int32Array, t: number, g: number,
    xNorms: Float32Array | null, mask: Uint8Array | null, best: Float32Array, labels: BigInt64Array, second: Float32Array,
  ): void;
  kmeansAssignGroupsAsync(
    x: Float32Array, n: number, d: number, centroids: Float32Array, k: number, groups: Int32Array, t: number, g: number,
    xNorms: Float32Array | null, mask: Uint8Array | null, best: Float32Array, labels: BigInt64Array, second: Float32Array,
  ): Promise<void>;
  kmeansAssignBounded(
    x: Float32Array, n: number, d: number, xNorms: Float32Array | null, centroids: Float32Array, k: number, groups: Int32Array,
    t: number, g: number, drift: Float64Array | null, labels: BigInt64Array, lower: Float32Array, distances: Float32Array,
  ): KmeansBoundedStats;
  kmeansAssignBoundedAsync(
    x: Float32Array, n: number, d: number, xNorms: Float32Array | null, centroids: Float32Array, k: number, groups: Int32Array,
    t: number, g: number, drift: Float64Array | null, labels: BigInt64Array, lower: Float32Array, distances: Float32Array,
  ): Promise<KmeansBoundedStats>;
}

let staleWarned = false;

function boundedAddon(): KmeansBoundedAddon | null {
  const addon = ivfAddon() as unknown as Partial<KmeansBoundedAddon> | null;
  if (!addon) return null;
  if (typeof addon.kmeansAssignBounded !== 'function' || typeof addon.kmeansAssignGroups !== 'function') {
    if (!staleWarned) {
      staleWarned = true;
      process.emitWarning(
        '@metalfaiss/metal-kernels: the native addon has no bounded k-means kernels (stale build?); ' +
          'they run on the TypeScript reference implementation. Rebuild with `pnpm --filter @metalfaiss/metal-kernels build`.',
        { code: 'METALFAISS_REFERENCE_BACKEND', type: 'MetalFaissWarning' },
      );
    }
    return null;
  }
  return addon as KmeansBoundedAddon;
}

function checkShape(args: { n: unknown; d: unknown; k: unknown; t: unknown; g: unknown; x: unknown; centroids: unknown; groups: unknown }) {
  const n = checkInteger('n', args.n, 0);
  const d = checkInteger('d', args.d, 1, 2 ** 24);
  const k = checkInteger('k', args.k, 1, 2 ** 31 - 1);
  const t = checkInteger('t', args.t, 1, 2 ** 31 - 1);
  const g = checkInteger('g', args.g, 1, 2 ** 31 - 1);
  for (const [name, v] of [['n * d', n * d], ['k * d', k * d], ['n * t', n * t], ['t * g', t * g]] as const) {
    if (!Number.isSafeInteger(v)) throw new MetalFaissError('INVALID_ARGUMENT', `expected ${name} to be a safe integer, received ${v}`);
  }
  if (t * g > 2 ** 31 - 1) throw invalidArgument('t * g', 'at most 2147483647 group slots', t * g);
  checkFloat32('x', args.x, n * d, `n * d = ${n} * ${d}`);
  checkFloat32('centroids', args.centroids, k * d, `k * d = ${k} * ${d}`);
  if (!(args.groups instanceof Int32Array)) throw invalidArgument('groups', `Int32Array of length t * g = ${t} * ${g}`, args.groups);
  if (args.groups.length !== t * g) throw invalidArgument('groups', `Int32Array of length t * g = ${t} * ${g}`, args.groups, 'DIMENSION_MISMATCH');
  return { n, d, k, t, g };
}

/** Every slot in [-1, k), no centroid twice; `complete`: every centroid present. */
function checkGroups(groups: Int32Array, k: number, complete: boolean): void {
  const seen = new Uint8Array(k);
  for (let s = 0; s < groups.length; s++) {
    const id = groups[s];
    if (id === -1) continue;
    if (id < -1 || id >= k) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected centroid numbers in [0, ${k}) or -1 in groups, received ${id} at groups[${s}]`);
    }
    if (seen[id]) throw new MetalFaissError('INVALID_ARGUMENT', `expected every centroid in at most one group slot, received centroid ${id} twice (again at groups[${s}])`);
    seen[id] = 1;
  }
  if (complete) {
    const missing = seen.indexOf(0);
    if (missing >= 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected every centroid in some group, received groups without centroid ${missing}`);
  }
}

/** Validates the arguments; throws MetalFaissError INVALID_ARGUMENT / DIMENSION_MISMATCH. */
export function validateKmeansAssignGroups(args: KmeansAssignGroupsArgs): void {
  checkArgsObject('args', args);
  const { n, k, t } = checkShape(args);
  checkGroups(args.groups, k, false);
  const inputs: Array<[string, ArrayBufferView]> = [['x', args.x], ['centroids', args.centroids], ['groups', args.groups]];
  if (args.xNorms !== undefined && args.xNorms !== null) {
    checkFloat32('xNorms', args.xNorms, n, `n = ${n}`);
    inputs.push(['xNorms', args.xNorms]);
  }
  if (args.mask !== undefined && args.mask !== null) {
    if (!(args.mask instanceof Uint8Array)) throw invalidArgument('mask', `Uint8Array of length n * t = ${n} * ${t}`, args.mask);
    if (args.mask.length !== n * t) throw invalidArgument('mask', `Uint8Array of length n * t = ${n} * ${t}`, args.mask, 'DIMENSION_MISMATCH');
    inputs.push(['mask', args.mask]);
  }
  checkFloat32('best', args.best, n * t, `n * t = ${n} * ${t}`);
  checkBigInt64('labels', args.labels, n * t, `n * t = ${n} * ${t}`);
  checkFloat32('second', args.second, n * t, `n * t = ${n} * ${t}`);
  checkNoOverlap([['best', args.best], ['labels', args.labels], ['second', args.second]], inputs);
}

/** Validates the arguments; throws MetalFaissError INVALID_ARGUMENT / DIMENSION_MISMATCH. */
export function validateKmeansAssignBounded(args: KmeansAssignBoundedArgs): void {
  checkArgsObject('args', args);
  const { n, k, t } = checkShape(args);
  checkGroups(args.groups, k, true);
  const inputs: Array<[string, ArrayBufferView]> = [['x', args.x], ['centroids', args.centroids], ['groups', args.groups]];
  if (args.xNorms !== undefined && args.xNorms !== null) {
    checkFloat32('xNorms', args.xNorms, n, `n = ${n}`);
    inputs.push(['xNorms', args.xNorms]);
  }
  if (args.drift !== null) {
    if (!(args.drift instanceof Float64Array)) throw invalidArgument('drift', `Float64Array of length t = ${t}, or null`, args.drift);
    if (args.drift.length !== t) throw invalidArgument('drift', `Float64Array of length t = ${t}, or null`, args.drift, 'DIMENSION_MISMATCH');
    for (let j = 0; j < t; j++) {
      const v = args.drift[j];
      if (!(v >= 0)) throw new MetalFaissError('INVALID_ARGUMENT', `expected drifts >= 0 (or +Infinity) in drift, received ${describeValue(v)} at drift[${j}]`);
    }
    inputs.push(['drift', args.drift]);
  }
  const labels = checkBigInt64('labels', args.labels, n, `n = ${n}`);
  if (args.drift !== null) {
    // read the 64-bit labels through their 32-bit words (little-endian): no BigInts
    const w = new Int32Array(labels.buffer, labels.byteOffset, 2 * n);
    for (let i = 0; i < n; i++) {
      const lo = w[2 * i];
      if (w[2 * i + 1] !== 0 || lo < 0 || lo >= k) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected centroid numbers in [0, ${k}) in labels (the last assignment), received ${labels[i]} at labels[${i}]`);
      }
    }
  }
  checkFloat32('lower', args.lower, n * t, `n * t = ${n} * ${t}`);
  checkFloat32('distances', args.distances, n, `n = ${n}`);
  checkNoOverlap([['labels', labels], ['lower', args.lower], ['distances', args.distances]], inputs);
}

type BoundedKernels = KernelPair<'kmeansAssignGroups', KmeansAssignGroupsArgs, void> &
  KernelPair<'kmeansAssignBounded', KmeansAssignBoundedArgs, KmeansBoundedStats>;

let referenceKernels: BoundedKernels | undefined;
let nativeKernels: { addon: KmeansBoundedAddon; kernels: BoundedKernels } | undefined;

/** The native pairs (validation first) when the addon has them, otherwise the reference pairs. */
function boundedKernels(): BoundedKernels {
  const addon = boundedAddon();
  if (!addon) {
    referenceKernels ??= {
      ...referencePair('kmeansAssignGroups', validateKmeansAssignGroups, kmeansAssignGroupsReference),
      ...referencePair('kmeansAssignBounded', validateKmeansAssignBounded, kmeansAssignBoundedReference),
    };
    return referenceKernels;
  }
  if (nativeKernels?.addon !== addon) {
    const kernels: BoundedKernels = {
      ...nativePair(addon, 'kmeansAssignGroups', validateKmeansAssignGroups, (a: KmeansAssignGroupsArgs) => [
        a.x, a.n, a.d, a.centroids, a.k, a.groups, a.t, a.g, a.xNorms ?? null, a.mask ?? null, a.best, a.labels, a.second,
      ]),
      ...nativePair<'kmeansAssignBounded', KmeansAssignBoundedArgs, KmeansBoundedStats>(
        addon, 'kmeansAssignBounded', validateKmeansAssignBounded, (a) => [
          a.x, a.n, a.d, a.xNorms ?? null, a.centroids, a.k, a.groups, a.t, a.g, a.drift, a.labels, a.lower, a.distances,
        ]),
    };
    nativeKernels = { addon, kernels };
  }
  return nativeKernels.kernels;
}

/** Per point and group, the nearest and second nearest centroid (see KmeansAssignGroupsArgs). */
export function kmeansAssignGroups(args: KmeansAssignGroupsArgs): void {
  boundedKernels().kmeansAssignGroups(args);
}

/** Like kmeansAssignGroups, computed off the JS thread (native backend). */
export async function kmeansAssignGroupsAsync(args: KmeansAssignGroupsArgs): Promise<void> {
  return boundedKernels().kmeansAssignGroupsAsync(args);
}

/** One bounded k-means assignment (see KmeansAssignBoundedArgs); returns what it skipped. */
export function kmeansAssignBounded(args: KmeansAssignBoundedArgs): KmeansBoundedStats {
  return boundedKernels().kmeansAssignBounded(args);
}

/** Like kmeansAssignBounded, computed off the JS thread (native backend). */
export async function kmeansAssignBoundedAsync(args: KmeansAssignBoundedArgs): Promise<KmeansBoundedStats> {
  return boundedKernels().kmeansAssignBoundedAsync(args);
}
