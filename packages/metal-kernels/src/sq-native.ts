/**
 * Glue between the kernel modules outside KernelBackend (sq.ts, pq.ts, and
 * through ivf-native.ts kmeans.ts, ivf.ts) and the native addon: whether the
 * native backend runs them, native errors rethrown as MetalFaissError, and
 * the sync + async kernel pairs (validation first) of the native and the
 * reference implementations. These kernels follow the module-level backend
 * choice of index.ts (METALFAISS_BACKEND, reference fallback when the addon
 * does not load).
 */
import type { MetricCode } from './backend';
import { MetalFaissError, describeValue } from './errors';
import { activeBackend } from './index';
import { loadAddon } from './loader';
import type { QuantizerListsInput } from './sq';
import { checkBigInt64, checkFloat32, checkInteger, checkMetric, checkNoOverlap } from './validate';

// ---------------------------------------------------------------- validation shared by the quantizer kernels

/** a * b, checked to be a safe integer. */
export function size(a: number, b: number, what: string): number {
  const v = a * b;
  if (!Number.isSafeInteger(v)) throw new MetalFaissError('INVALID_ARGUMENT', `expected ${what} to be a safe integer, received ${a} * ${b}`);
  return v;
}

export function checkUint8(name: string, value: unknown, expected: number, formula: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new MetalFaissError('INVALID_ARGUMENT', `expected Uint8Array of length ${expected} (${formula}) for ${name}, received ${describeValue(value)}`);
  if (value.length !== expected) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected Uint8Array of length ${expected} (${formula}) for ${name}, received ${describeValue(value)}`);
  }
  return value;
}

/** The flat scans' arguments past the codec (pq.ts and sq.ts). */
export interface FlatScanArgs {
  /** database codes, Uint8Array of nb * codeSize */
  codes: Uint8Array;
  nb: number;
  /** queries, Float32Array of nq * d */
  xq: Float32Array;
  nq: number;
  metric: MetricCode;
  /** optional, Uint8Array of nb: rows with 0 are skipped (an IDSelector over positions) */
  mask?: Uint8Array;
  /** label = labelOffset + row */
  labelOffset?: number;
}

export function checkFlatScan(a: FlatScanArgs, d: number, codeSize: number): { nq: number; nb: number } {
  const nb = checkInteger('nb', a.nb, 0);
  const nq = checkInteger('nq', a.nq, 0);
  checkMetric(a.metric);
  checkUint8('codes', a.codes, size(nb, codeSize, 'nb * codeSize'), `nb * codeSize = ${nb} * ${codeSize}`);
  checkFloat32('xq', a.xq, size(nq, d, 'nq * d'), `nq * d = ${nq} * ${d}`);
  if (a.mask !== undefined && a.mask !== null) checkUint8('mask', a.mask, nb, `nb = ${nb}`);
  if (a.labelOffset !== undefined) checkInteger('labelOffset', a.labelOffset, Number.MIN_SAFE_INTEGER);
  return { nq, nb };
}

/** The IVF scans' arguments past the codec (pq.ts and sq.ts): the queries' probed lists. */
export interface IvfScanArgs {
  metric: MetricCode;
  /** codes encode x - centroid(list) (FAISS's by_residual) */
  byResidual: boolean;
  lists: QuantizerListsInput;
  /** optional per-list masks (Uint8Array of >= sizes[l] bytes, 0 = skip entry) or null entries */
  masks?: ReadonlyArray<Uint8Array | null>;
  xq: Float32Array;
  nq: number;
  nprobe: number;
  /** probed lists per query, BigInt64Array of nq * nprobe (-1 = none) */
  coarse: BigInt64Array;
  /** the coarse quantizer's scores of those lists, Float32Array of nq * nprobe (IP + byResidual adds them) */
  coarseDis: Float32Array;
}

/** Validates an IVF scan's queries, probes and lists; returns nlist. */
export function checkIvfScan(a: IvfScanArgs, d: number, codeSize: number): number {
  checkMetric(a.metric);
  if (typeof a.byResidual !== 'boolean') throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for byResidual, received ${describeValue(a.byResidual)}`);
  const nq = checkInteger('nq', a.nq, 0);
  const nprobe = checkInteger('nprobe', a.nprobe, 1, 2 ** 31 - 1);
  checkFloat32('xq', a.xq, size(nq, d, 'nq * d'), `nq * d = ${nq} * ${d}`);
  const np = size(nq, nprobe, 'nq * nprobe');
  checkBigInt64('coarse', a.coarse, np, `nq * nprobe = ${nq} * ${nprobe}`);
  checkFloat32('coarseDis', a.coarseDis, np, `nq * nprobe = ${nq} * ${nprobe}`);
  return checkQuantizerLists(a.lists, codeSize, a.coarse, a.masks);
}

export function checkTopk(a: { nq: number; k: number; distances: Float32Array; labels: BigInt64Array }, inputs: Array<[string, ArrayBufferView]>): void {
  const k = checkInteger('k', a.k, 1, 2 ** 31 - 1);
  const out = size(a.nq, k, 'nq * k');
  checkFloat32('distances', a.distances, out, `nq * k = ${a.nq} * ${k}`);
  checkBigInt64('labels', a.labels, out, `nq * k = ${a.nq} * ${k}`);
  checkNoOverlap([['distances', a.distances], ['labels', a.labels]], inputs);
}

export function checkRadius(radius: unknown): void {
  if (typeof radius !== 'number' || Number.isNaN(radius)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a number (not NaN) for radius, received ${describeValue(radius)}`);
  }
}

/** Validates the lists an IVF scan may read; returns nlist. */
export function checkQuantizerLists(
  lists: QuantizerListsInput,
  codeSize: number,
  coarse: BigInt64Array,
  masks?: ReadonlyArray<Uint8Array | null>,
): number {
  if (typeof lists !== 'object' || lists === null) throw new MetalFaissError('INVALID_ARGUMENT', `expected an object {codes, ids, sizes} for lists, received ${describeValue(lists)}`);
  if (!(lists.sizes instanceof Int32Array)) throw new MetalFaissError('INVALID_ARGUMENT', `expected Int32Array for lists.sizes, received ${describeValue(lists.sizes)}`);
  const nlist = lists.sizes.length;
  if (!Array.isArray(lists.codes) || lists.codes.length !== nlist) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected an array of ${nlist} Uint8Arrays (one per list) for lists.codes, received ${describeValue(lists.codes)}`);
  }
  if (!Array.isArray(lists.ids) || lists.ids.length !== nlist) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected an array of ${nlist} BigInt64Arrays (one per list) for lists.ids, received ${describeValue(lists.ids)}`);
  }
  if (masks !== undefined && masks !== null && (!Array.isArray(masks) || masks.length !== nlist)) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected an array of ${nlist} masks (Uint8Array or null) for masks, received ${describeValue(masks)}`);
  }
  const seen = new Uint8Array(nlist);
  for (let i = 0; i < coarse.length; i++) {
    const key = coarse[i];
    if (key < -1n || key >= BigInt(nlist)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected list numbers in [-1, ${nlist}) in coarse, received ${key} at coarse[${i}]`);
    }
    if (key < 0n) continue;
    const l = Number(key);
    if (seen[l]) continue;
    seen[l] = 1;
    const n = lists.sizes[l];
    if (n < 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected sizes >= 0 in lists.sizes, received ${n} for list ${l}`);
    const c = lists.codes[l];
    const ids = lists.ids[l];
    if (!(c instanceof Uint8Array) || c.byteLength < n * codeSize) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a Uint8Array of at least ${n * codeSize} bytes (sizes[${l}] * codeSize) for lists.codes[${l}], received ${describeValue(c)}`);
    }
    if (!(ids instanceof BigInt64Array) || ids.length < n) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a BigInt64Array of at least ${n} entries for lists.ids[${l}], received ${describeValue(ids)}`);
    }
    const m = masks ? masks[l] : null;
    if (m !== null && m !== undefined && (!(m instanceof Uint8Array) || m.length < n)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected null or a Uint8Array of at least ${n} entries for masks[${l}], received ${describeValue(m)}`);
    }
  }
  return nlist;
}

// ---------------------------------------------------------------- native glue

const warned = new Set<string>();

/**
 * The addon when the native backend is active and it exports every function
 * in `probes`; null means "use the reference implementation" (with one
 * warning per kernel family when the addon is loaded but stale).
 */
export function familyAddon<T>(probes: string | readonly string[], family: string): T | null {
  if (activeBackend().name !== 'native') return null;
  const addon = loadAddon().addon as unknown as Record<string, unknown> | null;
  const names = typeof probes === 'string' ? [probes] : probes;
  if (!addon || names.some((name) => typeof addon[name] !== 'function')) {
    if (!warned.has(family)) {
      warned.add(family);
      process.emitWarning(
        `@metalfaiss/metal-kernels: the native addon has no ${family} kernels (stale build?); they run on the ` +
          'TypeScript reference implementation. Rebuild with `pnpm --filter @metalfaiss/metal-kernels build`.',
        { code: 'METALFAISS_REFERENCE_BACKEND', type: 'MetalFaissWarning' },
      );
    }
    return null;
  }
  return addon as unknown as T;
}

export function nativeError(kernel: string, error: unknown): MetalFaissError {
  if (MetalFaissError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MetalFaissError('NATIVE', `native kernel ${kernel} failed: ${message}`, { cause: error });
}

export function guard<T>(kernel: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw nativeError(kernel, error);
  }
}

export async function guardAsync<T>(kernel: string, fn: () => Promise<T>): Promise<T> {
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

/** Runs fn on a later turn of the event loop (the reference implementation's degraded async form). */
export function deferred<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** A kernel `K` and its async form `${K}Async`, taking the same arguments. */
export type KernelPair<K extends string, A, R> = { [P in K]: (args: A) => R } & { [P in `${K}Async`]: (args: A) => Promise<R> };

/**
 * `name` and `nameAsync` on the native addon: the arguments validated, then
 * passed as `toArgs` lists them; native errors become MetalFaissError NATIVE.
 * R is the kernel's result (void, or the range-search output).
 */
export function nativePair<K extends string, A, R = void>(
  addon: object,
  name: K,
  validate: (args: A) => void,
  toArgs: (args: A) => unknown[],
): KernelPair<K, A, NoInfer<R>> {
  const fns = addon as Record<string, (...args: unknown[]) => unknown>;
  const sync = fns[name] as (...args: unknown[]) => R;
  const async = fns[`${name}Async`] as (...args: unknown[]) => Promise<R>;
  return {
    [name]: (a: A): R => {
      validate(a);
      return guard(name, () => sync.apply(addon, toArgs(a)));
    },
    [`${name}Async`]: async (a: A): Promise<R> => {
      validate(a);
      return guardAsync(`${name}Async`, () => async.apply(addon, toArgs(a)));
    },
  } as KernelPair<K, A, R>;
}

/**
 * `name` and `nameAsync` on the reference implementation `run`: the
 * arguments validated (the async form rejects), then run now or on a later
 * turn of the event loop.
 */
export function referencePair<K extends string, A, R>(name: K, validate: (args: A) => void, run: (args: A) => R): KernelPair<K, A, R> {
  return {
    [name]: (a: A): R => {
      validate(a);
      return run(a);
    },
    [`${name}Async`]: async (a: A): Promise<R> => {
      validate(a);
      return deferred(() => run(a));
    },
  } as KernelPair<K, A, R>;
}

/**
 * The native kernels of one family, built by `create` from the addon on
 * first use; null while the native backend does not run them (familyAddon).
 */
export function cachedNative<T>(probe: string, family: string, create: (addon: object) => T): () => T | null {
  let cache: T | undefined;
  return () => {
    const addon = familyAddon<object>(probe, family);
    if (!addon) return null;
    cache ??= create(addon);
    return cache;
  };
}
