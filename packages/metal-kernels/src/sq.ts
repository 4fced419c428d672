/**
 * Scalar-quantizer kernels (FAISS 1.7.3's ScalarQuantizer): encode, decode,
 * and fused decode-and-score scans with a top-k or a radius, over a flat code
 * array (IndexScalarQuantizer) or over inverted lists (IndexIVFScalarQuantizer).
 *
 * Codes are byte-identical to FAISS's for the same trained parameters:
 * - QT_8bit / QT_4bit / QT_6bit (non-uniform, `trained` = [vmin(d), vdiff(d)])
 *   and QT_8bit_uniform / QT_4bit_uniform (`trained` = [vmin, vdiff]):
 *   level = trunc(S * clamp((x - vmin) / vdiff, 0, 1)) with S = 255 (float
 *   arithmetic) or 15 / 63 (double), packed like FAISS (4 bits: component i in
 *   the low nibble of byte i/2 when i is even; 6 bits: 4 components per 3 bytes,
 *   little-endian); decoded as vmin + ((level + 0.5) / S) * vdiff.
 * - QT_fp16: FAISS's float-to-half (round half away from zero), 2 bytes little-endian.
 * - QT_8bit_direct: the byte (uint8_t)x as FAISS's x86-64 build computes it
 *   (truncated to int32, low byte kept); when d % 16 == 0 FAISS scores these
 *   codes in integers with the query truncated the same way, and so do we.
 *
 * Scans never decode a vector to memory: the native kernels expand code
 * bytes in SIMD registers. Scores: squared L2 or inner product, best first,
 * ties by the lower index (flat) or id (IVF), padding -1 / +-Infinity.
 */
import type { MetricCode, RangeSearchOutput } from './backend';
import { MetalFaissError, describeValue } from './errors';
import { deferred, guard, guardAsync, quantizerAddon } from './sq-native';
import {
  checkArgsObject,
  checkBigInt64,
  checkFloat32,
  checkInteger,
  checkMetric,
  checkNoOverlap,
} from './validate';
import * as ref from './reference/sq';

/** FAISS's ScalarQuantizer::QuantizerType values (also the numbers in FAISS files). */
export const SqQuantizerType = {
  QT_8bit: 0,
  QT_4bit: 1,
  QT_8bit_uniform: 2,
  QT_4bit_uniform: 3,
  QT_fp16: 4,
  QT_8bit_direct: 5,
  QT_6bit: 6,
} as const;
export type SqQtype = (typeof SqQuantizerType)[keyof typeof SqQuantizerType];

const QTYPE_NAMES = ['QT_8bit', 'QT_4bit', 'QT_8bit_uniform', 'QT_4bit_uniform', 'QT_fp16', 'QT_8bit_direct', 'QT_6bit'];

export function sqQtypeName(qtype: SqQtype): string {
  return QTYPE_NAMES[qtype];
}

/** Bytes per code: d (8-bit kinds), ceil(d / 2) (4-bit), ceil(6d / 8) (6-bit), 2d (fp16). */
export function sqCodeSize(qtype: SqQtype, d: number): number {
  switch (qtype) {
    case 1:
    case 3:
      return Math.floor((d + 1) / 2);
    case 6:
      return Math.floor((d * 6 + 7) / 8);
    case 4:
      return 2 * d;
    default:
      return d;
  }
}

/** Floats of trained parameters: 2d for QT_8bit / QT_4bit / QT_6bit, 2 for the uniform kinds, 0 for fp16 / direct. */
export function sqTrainedSize(qtype: SqQtype, d: number): number {
  if (qtype === 0 || qtype === 1 || qtype === 6) return 2 * d;
  if (qtype === 2 || qtype === 3) return 2;
  return 0;
}

/** Bits per component level (16 for fp16). */
export function sqBits(qtype: SqQtype): number {
  if (qtype === 1 || qtype === 3) return 4;
  if (qtype === 6) return 6;
  if (qtype === 4) return 16;
  return 8;
}

export interface SqCodecArgs {
  qtype: SqQtype;
  /** components per vector */
  d: number;
  /** trained parameters, Float32Array of sqTrainedSize(qtype, d) floats */
  trained: Float32Array;
}

export interface SqEncodeArgs extends SqCodecArgs {
  /** vectors, Float32Array of n * d */
  x: Float32Array;
  n: number;
  /** output codes, Uint8Array of n * codeSize (fully overwritten) */
  codes: Uint8Array;
}

export interface SqDecodeArgs extends SqCodecArgs {
  /** codes, Uint8Array of n * codeSize */
  codes: Uint8Array;
  n: number;
  /** output vectors, Float32Array of n * d */
  out: Float32Array;
}

interface SqFlatCommon extends SqCodecArgs {
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

export interface SqSearchArgs extends SqFlatCommon {
  k: number;
  /** output, Float32Array of nq * k */
  distances: Float32Array;
  /** output, BigInt64Array of nq * k */
  labels: BigInt64Array;
}

export interface SqRangeSearchArgs extends SqFlatCommon {
  /** L2: keep distance < radius; inner product: keep similarity > radius */
  radius: number;
}

/** Inverted lists as an IVF index snapshot holds them (buffers may be longer than sizes[l] entries). */
export interface QuantizerListsInput {
  /** per list: the first sizes[l] * codeSize bytes are the codes */
  readonly codes: readonly Uint8Array[];
  /** per list: the first sizes[l] entries are the ids */
  readonly ids: readonly BigInt64Array[];
  /** entries per list, Int32Array of nlist */
  readonly sizes: Int32Array;
}

interface SqIvfCommon extends SqCodecArgs {
  metric: MetricCode;
  /** codes encode x - centroid(list) (FAISS's by_residual) */
  byResidual: boolean;
  lists: QuantizerListsInput;
  /** optional per-list masks (Uint8Array of >= sizes[l] bytes, 0 = skip entry) or null entries */
  masks?: ReadonlyArray<Uint8Array | null>;
  /** coarse centroids, Float32Array of nlist * d (needed for L2 with byResidual) */
  centroids?: Float32Array;
  xq: Float32Array;
  nq: number;
  nprobe: number;
  /** probed lists per query, BigInt64Array of nq * nprobe (-1 = none) */
  coarse: BigInt64Array;
  /** the coarse quantizer's scores of those lists, Float32Array of nq * nprobe (IP + byResidual adds them) */
  coarseDis: Float32Array;
}

export interface SqIvfSearchArgs extends SqIvfCommon {
  k: number;
  distances: Float32Array;
  labels: BigInt64Array;
}

export interface SqIvfRangeSearchArgs extends SqIvfCommon {
  radius: number;
}

/** The scalar-quantizer kernels one implementation provides. */
export interface SqKernels {
  readonly name: 'native' | 'reference';
  sqEncode(args: SqEncodeArgs): void;
  sqEncodeAsync(args: SqEncodeArgs): Promise<void>;
  sqDecode(args: SqDecodeArgs): void;
  sqSearch(args: SqSearchArgs): void;
  sqSearchAsync(args: SqSearchArgs): Promise<void>;
  sqRangeSearch(args: SqRangeSearchArgs): RangeSearchOutput;
  sqRangeSearchAsync(args: SqRangeSearchArgs): Promise<RangeSearchOutput>;
  sqIvfSearch(args: SqIvfSearchArgs): void;
  sqIvfSearchAsync(args: SqIvfSearchArgs): Promise<void>;
  sqIvfRangeSearch(args: SqIvfRangeSearchArgs): RangeSearchOutput;
  sqIvfRangeSearchAsync(args: SqIvfRangeSearchArgs): Promise<RangeSearchOutput>;
}

// ---------------------------------------------------------------- validation

function checkCodec(args: SqCodecArgs): { qtype: SqQtype; d: number; codeSize: number } {
  checkArgsObject('args', args);
  const qtype = checkInteger('qtype', args.qtype, 0, 6) as SqQtype;
  const d = checkInteger('d', args.d, 1, 2 ** 24);
  const t = sqTrainedSize(qtype, d);
  checkFloat32('trained', args.trained, t, `${t} trained floats for ${sqQtypeName(qtype)} with d = ${d}`);
  if (t > 0) {
    for (let i = 0; i < t; i++) {
      if (!Number.isFinite(args.trained[i])) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected finite trained parameters, received ${args.trained[i]} at trained[${i}]`);
      }
    }
  }
  return { qtype, d, codeSize: sqCodeSize(qtype, d) };
}

function size(a: number, b: number, what: string): number {
  const v = a * b;
  if (!Number.isSafeInteger(v)) throw new MetalFaissError('INVALID_ARGUMENT', `expected ${what} to be a safe integer, received ${a} * ${b}`);
  return v;
}

function checkUint8(name: string, value: unknown, expected: number, formula: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new MetalFaissError('INVALID_ARGUMENT', `expected Uint8Array of length ${expected} (${formula}) for ${name}, received ${describeValue(value)}`);
  if (value.length !== expected) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected Uint8Array of length ${expected} (${formula}) for ${name}, received ${describeValue(value)}`);
  }
  return value;
}

export function validateSqEncode(args: SqEncodeArgs): void {
  const { d, codeSize } = checkCodec(args);
  const n = checkInteger('n', args.n, 0);
  checkFloat32('x', args.x, size(n, d, 'n * d'), `n * d = ${n} * ${d}`);
  checkUint8('codes', args.codes, size(n, codeSize, 'n * codeSize'), `n * codeSize = ${n} * ${codeSize}`);
  checkNoOverlap([['codes', args.codes]], [['x', args.x], ['trained', args.trained]]);
}

export function validateSqDecode(args: SqDecodeArgs): void {
  const { d, codeSize } = checkCodec(args);
  const n = checkInteger('n', args.n, 0);
  checkUint8('codes', args.codes, size(n, codeSize, 'n * codeSize'), `n * codeSize = ${n} * ${codeSize}`);
  checkFloat32('out', args.out, size(n, d, 'n * d'), `n * d = ${n} * ${d}`);
  checkNoOverlap([['out', args.out]], [['codes', args.codes], ['trained', args.trained]]);
}

function checkFlat(args: SqFlatCommon): { nq: number; nb: number } {
  const { d, codeSize } = checkCodec(args);
  const nb = checkInteger('nb', args.nb, 0);
  const nq = checkInteger('nq', args.nq, 0);
  checkMetric(args.metric);
  checkUint8('codes', args.codes, size(nb, codeSize, 'nb * codeSize'), `nb * codeSize = ${nb} * ${codeSize}`);
  checkFloat32('xq', args.xq, size(nq, d, 'nq * d'), `nq * d = ${nq} * ${d}`);
  if (args.mask !== undefined && args.mask !== null) checkUint8('mask', args.mask, nb, `nb = ${nb}`);
  if (args.labelOffset !== undefined) checkInteger('labelOffset', args.labelOffset, Number.MIN_SAFE_INTEGER);
  return { nq, nb };
}

function checkTopk(args: { nq: number; k: number; distances: Float32Array; labels: BigInt64Array }, inputs: Array<[string, ArrayBufferView]>): void {
  const k = checkInteger('k', args.k, 1, 2 ** 31 - 1);
  const out = size(args.nq, k, 'nq * k');
  checkFloat32('distances', args.distances, out, `nq * k = ${args.nq} * ${k}`);
  checkBigInt64('labels', args.labels, out, `nq * k = ${args.nq} * ${k}`);
  checkNoOverlap([['distances', args.distances], ['labels', args.labels]], inputs);
}

function checkRadius(radius: unknown): void {
  if (typeof radius !== 'number' || Number.isNaN(radius)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a number (not NaN) for radius, received ${describeValue(radius)}`);
  }
}

export function validateSqSearch(args: SqSearchArgs): void {
  checkFlat(args);
  checkTopk(args, [['xq', args.xq], ['codes', args.codes]]);
}

export function validateSqRangeSearch(args: SqRangeSearchArgs): void {
  checkFlat(args);
  checkRadius(args.radius);
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

function checkIvf(args: SqIvfCommon): void {
  const { d, codeSize } = checkCodec(args);
  checkMetric(args.metric);
  if (typeof args.byResidual !== 'boolean') throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for byResidual, received ${describeValue(args.byResidual)}`);
  const nq = checkInteger('nq', args.nq, 0);
  const nprobe = checkInteger('nprobe', args.nprobe, 1, 2 ** 31 - 1);
  checkFloat32('xq', args.xq, size(nq, d, 'nq * d'), `nq * d = ${nq} * ${d}`);
  const np = size(nq, nprobe, 'nq * nprobe');
  checkBigInt64('coarse', args.coarse, np, `nq * nprobe = ${nq} * ${nprobe}`);
  checkFloat32('coarseDis', args.coarseDis, np, `nq * nprobe = ${nq} * ${nprobe}`);
  const nlist = checkQuantizerLists(args.lists, codeSize, args.coarse, args.masks);
  if (args.byResidual && args.metric === 1) {
    checkFloat32('centroids', args.centroids, size(nlist, d, 'nlist * d'), `nlist * d = ${nlist} * ${d}`);
  }
}

export function validateSqIvfSearch(args: SqIvfSearchArgs): void {
  checkIvf(args);
  checkTopk(args, [['xq', args.xq], ['coarse', args.coarse], ['coarseDis', args.coarseDis]]);
}

export function validateSqIvfRangeSearch(args: SqIvfRangeSearchArgs): void {
  checkIvf(args);
  checkRadius(args.radius);
}

// ---------------------------------------------------------------- implementations

interface SqAddon {
  sqEncode(qtype: number, d: number, trained: Float32Array, x: Float32Array, n: number, codes: Uint8Array): void;
  sqEncodeAsync(qtype: number, d: number, trained: Float32Array, x: Float32Array, n: number, codes: Uint8Array): Promise<void>;
  sqDecode(qtype: number, d: number, trained: Float32Array, codes: Uint8Array, n: number, out: Float32Array): void;
  sqSearch(...args: unknown[]): void;
  sqSearchAsync(...args: unknown[]): Promise<void>;
  sqRangeSearch(...args: unknown[]): RangeSearchOutput;
  sqRangeSearchAsync(...args: unknown[]): Promise<RangeSearchOutput>;
  sqIvfSearch(...args: unknown[]): void;
  sqIvfSearchAsync(...args: unknown[]): Promise<void>;
  sqIvfRangeSearch(...args: unknown[]): RangeSearchOutput;
  sqIvfRangeSearchAsync(...args: unknown[]): Promise<RangeSearchOutput>;
}

function flatArgs(a: SqFlatCommon): unknown[] {
  return [a.qtype, a.d, a.trained, a.codes, a.nb, a.xq, a.nq];
}
function searchArgs(a: SqSearchArgs): unknown[] {
  return [...flatArgs(a), a.k, a.metric, a.distances, a.labels, a.mask ?? null, a.labelOffset ?? 0];
}
function rangeArgs(a: SqRangeSearchArgs): unknown[] {
  return [...flatArgs(a), a.radius, a.metric, a.mask ?? null, a.labelOffset ?? 0];
}
function ivfArgs(a: SqIvfCommon): unknown[] {
  return [
    a.qtype, a.d, a.trained, a.metric, a.byResidual, a.lists.codes, a.lists.ids, a.lists.sizes, a.masks ?? null,
    a.centroids ?? null, a.xq, a.nq, a.nprobe, a.coarse, a.coarseDis,
  ];
}

function createNative(addon: SqAddon): SqKernels {
  return {
    name: 'native',
    sqEncode(a) {
      validateSqEncode(a);
      guard('sqEncode', () => addon.sqEncode(a.qtype, a.d, a.trained, a.x, a.n, a.codes));
    },
    async sqEncodeAsync(a) {
      validateSqEncode(a);
      return guardAsync('sqEncodeAsync', () => addon.sqEncodeAsync(a.qtype, a.d, a.trained, a.x, a.n, a.codes));
    },
    sqDecode(a) {
      validateSqDecode(a);
      guard('sqDecode', () => addon.sqDecode(a.qtype, a.d, a.trained, a.codes, a.n, a.out));
    },
    sqSearch(a) {
      validateSqSearch(a);
      guard('sqSearch', () => addon.sqSearch(...searchArgs(a)));
    },
    async sqSearchAsync(a) {
      validateSqSearch(a);
      return guardAsync('sqSearchAsync', () => addon.sqSearchAsync(...searchArgs(a)));
    },
    sqRangeSearch(a) {
      validateSqRangeSearch(a);
      return guard('sqRangeSearch', () => addon.sqRangeSearch(...rangeArgs(a)));
    },
    async sqRangeSearchAsync(a) {
      validateSqRangeSearch(a);
      return guardAsync('sqRangeSearchAsync', () => addon.sqRangeSearchAsync(...rangeArgs(a)));
    },
    sqIvfSearch(a) {
      validateSqIvfSearch(a);
      guard('sqIvfSearch', () => addon.sqIvfSearch(...ivfArgs(a), a.k, a.distances, a.labels));
    },
    async sqIvfSearchAsync(a) {
      validateSqIvfSearch(a);
      return guardAsync('sqIvfSearchAsync', () => addon.sqIvfSearchAsync(...ivfArgs(a), a.k, a.distances, a.labels));
    },
    sqIvfRangeSearch(a) {
      validateSqIvfRangeSearch(a);
      return guard('sqIvfRangeSearch', () => addon.sqIvfRangeSearch(...ivfArgs(a), a.radius));
    },
    async sqIvfRangeSearchAsync(a) {
      validateSqIvfRangeSearch(a);
      return guardAsync('sqIvfRangeSearchAsync', () => addon.sqIvfRangeSearchAsync(...ivfArgs(a), a.radius));
    },
  };
}

/** The plain-TypeScript oracle (FAISS's scalar formulas, float32 arithmetic emulated). */
export const sqReference: SqKernels = {
  name: 'reference',
  sqEncode(a) {
    validateSqEncode(a);
    ref.sqEncodeReference(a);
  },
  async sqEncodeAsync(a) {
    validateSqEncode(a);
    return deferred(() => ref.sqEncodeReference(a));
  },
  sqDecode(a) {
    validateSqDecode(a);
    ref.sqDecodeReference(a);
  },
  sqSearch(a) {
    validateSqSearch(a);
    ref.sqSearchReference(a);
  },
  async sqSearchAsync(a) {
    validateSqSearch(a);
    return deferred(() => ref.sqSearchReference(a));
  },
  sqRangeSearch(a) {
    validateSqRangeSearch(a);
    return ref.sqRangeSearchReference(a);
  },
  async sqRangeSearchAsync(a) {
    validateSqRangeSearch(a);
    return deferred(() => ref.sqRangeSearchReference(a));
  },
  sqIvfSearch(a) {
    validateSqIvfSearch(a);
    ref.sqIvfSearchReference(a);
  },
  async sqIvfSearchAsync(a) {
    validateSqIvfSearch(a);
    return deferred(() => ref.sqIvfSearchReference(a));
  },
  sqIvfRangeSearch(a) {
    validateSqIvfRangeSearch(a);
    return ref.sqIvfRangeSearchReference(a);
  },
  async sqIvfRangeSearchAsync(a) {
    validateSqIvfRangeSearch(a);
    return deferred(() => ref.sqIvfRangeSearchReference(a));
  },
};

let nativeCache: SqKernels | null | undefined;

/** The native scalar-quantizer kernels, or null when the native backend is not in use. */
export function sqNative(): SqKernels | null {
  const addon = quantizerAddon<SqAddon>('sqSearch', 'scalar-quantizer');
  if (!addon) return null;
  if (!nativeCache) nativeCache = createNative(addon);
  return nativeCache;
}

/** The implementation the module-level functions use (native when available). */
export function sqKernels(): SqKernels {
  return sqNative() ?? sqReference;
}

/** Encodes n vectors (see the module doc for the formulas). */
export function sqEncode(args: SqEncodeArgs): void {
  sqKernels().sqEncode(args);
}
export function sqEncodeAsync(args: SqEncodeArgs): Promise<void> {
  return sqKernels().sqEncodeAsync(args);
}
/** Decodes n codes with FAISS's float formulas (bit for bit). */
export function sqDecode(args: SqDecodeArgs): void {
  sqKernels().sqDecode(args);
}
/** Top-k of every query over a flat code array. */
export function sqSearch(args: SqSearchArgs): void {
  sqKernels().sqSearch(args);
}
export function sqSearchAsync(args: SqSearchArgs): Promise<void> {
  return sqKernels().sqSearchAsync(args);
}
/** Every code within `radius` of each query (ordered by row within a query). */
export function sqRangeSearch(args: SqRangeSearchArgs): RangeSearchOutput {
  return sqKernels().sqRangeSearch(args);
}
export function sqRangeSearchAsync(args: SqRangeSearchArgs): Promise<RangeSearchOutput> {
  return sqKernels().sqRangeSearchAsync(args);
}
/** Top-k of every query over its probed inverted lists (labels = stored ids). */
export function sqIvfSearch(args: SqIvfSearchArgs): void {
  sqKernels().sqIvfSearch(args);
}
export function sqIvfSearchAsync(args: SqIvfSearchArgs): Promise<void> {
  return sqKernels().sqIvfSearchAsync(args);
}
/** Every entry of the probed lists within `radius` (a query's hits come list by list). */
export function sqIvfRangeSearch(args: SqIvfRangeSearchArgs): RangeSearchOutput {
  return sqKernels().sqIvfRangeSearch(args);
}
export function sqIvfRangeSearchAsync(args: SqIvfRangeSearchArgs): Promise<RangeSearchOutput> {
  return sqKernels().sqIvfRangeSearchAsync(args);
}
