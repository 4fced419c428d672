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
import { MetalFaissError } from './errors';
import {
  type FlatScanArgs,
  type IvfScanArgs,
  cachedNative,
  checkFlatScan,
  checkIvfScan,
  checkRadius,
  checkTopk,
  checkUint8,
  nativePair,
  referencePair,
  size,
} from './sq-native';
import { checkArgsObject, checkFloat32, checkInteger, checkNoOverlap } from './validate';
import * as ref from './reference/sq';

export { checkQuantizerLists } from './sq-native';

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

interface SqFlatCommon extends SqCodecArgs, FlatScanArgs {}

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

interface SqIvfCommon extends SqCodecArgs, IvfScanArgs {
  /** coarse centroids, Float32Array of nlist * d (needed for L2 with byResidual) */
  centroids?: Float32Array;
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
  return checkFlatScan(args, d, codeSize);
}

export function validateSqSearch(args: SqSearchArgs): void {
  checkFlat(args);
  checkTopk(args, [['xq', args.xq], ['codes', args.codes]]);
}

export function validateSqRangeSearch(args: SqRangeSearchArgs): void {
  checkFlat(args);
  checkRadius(args.radius);
}

function checkIvf(args: SqIvfCommon): void {
  const { d, codeSize } = checkCodec(args);
  const nlist = checkIvfScan(args, d, codeSize);
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

const encodeArgs = (a: SqEncodeArgs): unknown[] => [a.qtype, a.d, a.trained, a.x, a.n, a.codes];
const decodeArgs = (a: SqDecodeArgs): unknown[] => [a.qtype, a.d, a.trained, a.codes, a.n, a.out];
const ivfSearchArgs = (a: SqIvfSearchArgs): unknown[] => [...ivfArgs(a), a.k, a.distances, a.labels];
const ivfRangeArgs = (a: SqIvfRangeSearchArgs): unknown[] => [...ivfArgs(a), a.radius];

function createNative(addon: SqAddon): SqKernels {
  return {
    name: 'native',
    ...nativePair(addon, 'sqEncode', validateSqEncode, encodeArgs),
    sqDecode: nativePair(addon, 'sqDecode', validateSqDecode, decodeArgs).sqDecode, // no async form
    ...nativePair(addon, 'sqSearch', validateSqSearch, searchArgs),
    ...nativePair<'sqRangeSearch', SqRangeSearchArgs, RangeSearchOutput>(addon, 'sqRangeSearch', validateSqRangeSearch, rangeArgs),
    ...nativePair(addon, 'sqIvfSearch', validateSqIvfSearch, ivfSearchArgs),
    ...nativePair<'sqIvfRangeSearch', SqIvfRangeSearchArgs, RangeSearchOutput>(addon, 'sqIvfRangeSearch', validateSqIvfRangeSearch, ivfRangeArgs),
  };
}

/** The plain-TypeScript oracle (FAISS's scalar formulas, float32 arithmetic emulated). */
export const sqReference: SqKernels = {
  name: 'reference',
  ...referencePair('sqEncode', validateSqEncode, ref.sqEncodeReference),
  sqDecode: referencePair('sqDecode', validateSqDecode, ref.sqDecodeReference).sqDecode,
  ...referencePair('sqSearch', validateSqSearch, ref.sqSearchReference),
  ...referencePair('sqRangeSearch', validateSqRangeSearch, ref.sqRangeSearchReference),
  ...referencePair('sqIvfSearch', validateSqIvfSearch, ref.sqIvfSearchReference),
  ...referencePair('sqIvfRangeSearch', validateSqIvfRangeSearch, ref.sqIvfRangeSearchReference),
};

/** The native scalar-quantizer kernels, or null when the native backend is not in use. */
export const sqNative: () => SqKernels | null = cachedNative('sqSearch', 'scalar-quantizer', (addon) => createNative(addon as SqAddon));

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
