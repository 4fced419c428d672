/**
 * IVF-Flat list scanning: the second stage of an IndexIVFFlat search. Every
 * query scans the inverted lists its coarse assignment names; codes are raw
 * float32 vectors of d components.
 *
 * Native form: the (query, list) pairs are grouped by list, so each probed
 * list is read once for all the queries probing it (a small GEMM per list,
 * on the same SIMD micro-kernel as `knn`), split into tasks over both
 * threads, with per-thread top-k heaps merged at the end.
 *
 * Conventions (shared with the reference): distances are squared L2 or inner
 * products; results best first; ties broken by the lower (list, offset)
 * position; padding label -1 with distance +Infinity (L2) / -Infinity (IP).
 * A coarse entry of -1 means "no list": it is skipped.
 */
import type { MetricCode, RangeSearchOutput } from './backend';
import { MetalFaissError, describeValue } from './errors';
import { checkArgsObject, checkBigInt64, checkFloat32, checkInteger, checkMetric, checkNoOverlap } from './validate';
import { deferred, guard, guardAsync, ivfAddon } from './ivf-native';
import { ivfRangeSearchFlatReference, ivfSearchFlatReference } from './reference/ivf';

/** The inverted lists a scan reads (an InvertedListsSnapshot fits). */
export interface IvfListsInput {
  /** per list: a Uint8Array (4-byte aligned) whose first sizes[l] * d * 4 bytes are the float32 vectors */
  readonly codes: readonly Uint8Array[];
  /** per list: a BigInt64Array whose first sizes[l] entries are the ids */
  readonly ids: readonly BigInt64Array[];
  /** entries per list, Int32Array of length nlist */
  readonly sizes: Int32Array;
}

interface IvfScanCommon {
  /** queries, Float32Array of length nq * d */
  xq: Float32Array;
  nq: number;
  d: number;
  metric: MetricCode;
  /** the lists each query scans, in probe order: BigInt64Array of length nq * nprobe, values in [-1, nlist) */
  coarse: BigInt64Array;
  nprobe: number;
  lists: IvfListsInput;
  /** report positions (listNo << 32 | offset) instead of ids (FAISS's store_pairs) */
  storePairs?: boolean;
}

export interface IvfSearchFlatArgs extends IvfScanCommon {
  k: number;
  /** output, Float32Array of length nq * k */
  distances: Float32Array;
  /** output, BigInt64Array of length nq * k */
  labels: BigInt64Array;
}

export interface IvfRangeSearchFlatArgs extends IvfScanCommon {
  /** L2: keep distance < radius; inner product: keep similarity > radius */
  radius: number;
}

function validateCommon(args: IvfScanCommon): { nlist: number } {
  checkArgsObject('args', args);
  const nq = checkInteger('nq', args.nq, 0);
  const d = checkInteger('d', args.d, 1, 2 ** 24);
  const nprobe = checkInteger('nprobe', args.nprobe, 1, 2 ** 31 - 1);
  checkMetric(args.metric);
  if (!Number.isSafeInteger(nq * d) || !Number.isSafeInteger(nq * nprobe)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected nq * d and nq * nprobe to be safe integers, received nq = ${nq}`);
  }
  checkFloat32('xq', args.xq, nq * d, `nq * d = ${nq} * ${d}`);
  const coarse = checkBigInt64('coarse', args.coarse, nq * nprobe, `nq * nprobe = ${nq} * ${nprobe}`);
  if (args.storePairs !== undefined && typeof args.storePairs !== 'boolean') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for storePairs, received ${describeValue(args.storePairs)}`);
  }
  const lists = args.lists;
  if (typeof lists !== 'object' || lists === null) throw new MetalFaissError('INVALID_ARGUMENT', `expected an object {codes, ids, sizes} for lists, received ${describeValue(lists)}`);
  if (!(lists.sizes instanceof Int32Array)) throw new MetalFaissError('INVALID_ARGUMENT', `expected Int32Array for lists.sizes, received ${describeValue(lists.sizes)}`);
  const nlist = lists.sizes.length;
  if (!Array.isArray(lists.codes) || lists.codes.length !== nlist) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected an array of ${nlist} Uint8Arrays (one per list) for lists.codes, received ${describeValue(lists.codes)}`);
  }
  if (!Array.isArray(lists.ids) || lists.ids.length !== nlist) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected an array of ${nlist} BigInt64Arrays (one per list) for lists.ids, received ${describeValue(lists.ids)}`);
  }
  const codeBytes = d * 4;
  for (let l = 0; l < nlist; l++) {
    const size = lists.sizes[l];
    if (size < 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected sizes >= 0 in lists.sizes, received ${size} for list ${l}`);
    const c = lists.codes[l];
    const ids = lists.ids[l];
    if (!(c instanceof Uint8Array) || c.byteLength < size * codeBytes || c.byteOffset % 4 !== 0) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected a 4-byte aligned Uint8Array of at least ${size * codeBytes} bytes (sizes[${l}] * d * 4) for lists.codes[${l}], received ${describeValue(c)}`,
      );
    }
    if (!(ids instanceof BigInt64Array) || ids.length < size) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a BigInt64Array of at least ${size} entries for lists.ids[${l}], received ${describeValue(ids)}`);
    }
  }
  const nl = BigInt(nlist);
  for (let i = 0; i < coarse.length; i++) {
    const key = coarse[i];
    if (key < -1n || key >= nl) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected list numbers in [-1, ${nlist}) in coarse, received ${key} at coarse[${i}]`);
    }
  }
  return { nlist };
}

export function validateIvfSearchFlat(args: IvfSearchFlatArgs): void {
  validateCommon(args);
  const k = checkInteger('k', args.k, 1, 2 ** 31 - 1);
  const out = args.nq * k;
  if (!Number.isSafeInteger(out)) throw new MetalFaissError('INVALID_ARGUMENT', `expected nq * k to be a safe integer, received ${args.nq} * ${k}`);
  checkFloat32('distances', args.distances, out, `nq * k = ${args.nq} * ${k}`);
  checkBigInt64('labels', args.labels, out, `nq * k = ${args.nq} * ${k}`);
  checkNoOverlap(
    [['distances', args.distances], ['labels', args.labels]],
    [['xq', args.xq], ['coarse', args.coarse]],
  );
}

export function validateIvfRangeSearchFlat(args: IvfRangeSearchFlatArgs): void {
  validateCommon(args);
  if (typeof args.radius !== 'number' || Number.isNaN(args.radius)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a number (not NaN) for radius, received ${describeValue(args.radius)}`);
  }
}

/** Top-k of every query over its probed lists (see the module doc). */
export function ivfSearchFlat(args: IvfSearchFlatArgs): void {
  validateIvfSearchFlat(args);
  const addon = ivfAddon();
  if (!addon) {
    ivfSearchFlatReference(args);
    return;
  }
  const { lists: l } = args;
  guard('ivfSearchFlat', () =>
    addon.ivfSearchFlat(args.xq, args.nq, args.d, args.k, args.metric, args.coarse, args.nprobe, l.codes, l.ids, l.sizes,
      args.storePairs ?? false, args.distances, args.labels),
  );
}

/** Like ivfSearchFlat, computed off the JS thread (native backend). The lists must not change until it settles. */
export async function ivfSearchFlatAsync(args: IvfSearchFlatArgs): Promise<void> {
  validateIvfSearchFlat(args);
  const addon = ivfAddon();
  if (!addon) return deferred(() => ivfSearchFlatReference(args));
  const { lists: l } = args;
  return guardAsync('ivfSearchFlatAsync', () =>
    addon.ivfSearchFlatAsync(args.xq, args.nq, args.d, args.k, args.metric, args.coarse, args.nprobe, l.codes, l.ids,
      l.sizes, args.storePairs ?? false, args.distances, args.labels),
  );
}

/**
 * Every entry of the probed lists within `radius` of each query. Within a
 * query, results are in scan order (probe order, then list order), as FAISS
 * returns them.
 */
export function ivfRangeSearchFlat(args: IvfRangeSearchFlatArgs): RangeSearchOutput {
  validateIvfRangeSearchFlat(args);
  const addon = ivfAddon();
  if (!addon) return ivfRangeSearchFlatReference(args);
  const { lists: l } = args;
  return guard('ivfRangeSearchFlat', () =>
    addon.ivfRangeSearchFlat(args.xq, args.nq, args.d, args.radius, args.metric, args.coarse, args.nprobe, l.codes,
      l.ids, l.sizes, args.storePairs ?? false),
  );
}

/** Like ivfRangeSearchFlat, computed off the JS thread (native backend). */
export async function ivfRangeSearchFlatAsync(args: IvfRangeSearchFlatArgs): Promise<RangeSearchOutput> {
  validateIvfRangeSearchFlat(args);
  const addon = ivfAddon();
  if (!addon) return deferred(() => ivfRangeSearchFlatReference(args));
  const { lists: l } = args;
  return guardAsync('ivfRangeSearchFlatAsync', () =>
    addon.ivfRangeSearchFlatAsync(args.xq, args.nq, args.d, args.radius, args.metric, args.coarse, args.nprobe,
      l.codes, l.ids, l.sizes, args.storePairs ?? false),
  );
}
