/**
 * Product-quantizer kernels (FAISS's ProductQuantizer): encoding, decoding,
 * distance / inner-product tables, IndexIVFPQ's precomputed table, and
 * asymmetric-distance (ADC) scans with a top-k or a radius over a flat code
 * array (IndexPQ) or over inverted lists (IndexIVFPQ).
 *
 * Layout (FAISS's): a vector of d components splits into M sub-vectors of
 * dsub = d / M; sub-quantizer m has ksub = 2^nbits centroids, stored in
 * `centroids` as [m][ksub][dsub]. A code is M indices packed LSB-first into
 * ceil(M * nbits / 8) bytes (nbits = 8: one byte per sub-quantizer; 16: one
 * little-endian uint16 each). `centroidsT` (optional) is the same values as
 * [m][dsub][ksub], the layout the table kernels read; pass it (see
 * pqTransposeCentroids) to spare a transpose per call.
 *
 * Scores: squared L2 or inner product, best first; ties by the lower index
 * (flat) or id (IVF); padding -1 / +-Infinity. IndexPQ sums table entries in
 * FAISS's order (groups of 4 when M % 4 == 0), IVF scans add them one by one
 * after FAISS's dis0.
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
import { checkArgsObject, checkBigInt64, checkFloat32, checkInteger, checkMetric, checkNoOverlap } from './validate';
import * as ref from './reference/pq';

export interface PqCodecArgs {
  /** vector dimension (a multiple of M) */
  d: number;
  /** sub-quantizers */
  M: number;
  /** bits per sub-quantizer index, 1..16 */
  nbits: number;
  /** Float32Array of M * 2^nbits * (d / M), laid out [m][ksub][dsub] */
  centroids: Float32Array;
  /** optional: the same values laid out [m][dsub][ksub] */
  centroidsT?: Float32Array | null;
}

export interface PqComputeCodesArgs extends PqCodecArgs {
  x: Float32Array;
  n: number;
  /** output, Uint8Array of n * codeSize (fully overwritten) */
  codes: Uint8Array;
}

export interface PqDecodeArgs extends PqCodecArgs {
  codes: Uint8Array;
  n: number;
  /** output, Float32Array of n * d */
  out: Float32Array;
}

export interface PqTablesArgs extends PqCodecArgs {
  x: Float32Array;
  n: number;
  /** 1: squared L2 distances (FAISS's compute_distance_tables); 0: inner products (compute_inner_prod_tables) */
  metric: MetricCode;
  /** output, Float32Array of n * M * ksub */
  out: Float32Array;
}

export interface PqPrecomputeTableArgs extends PqCodecArgs {
  /** coarse centroids, Float32Array of nlist * d */
  coarse: Float32Array;
  nlist: number;
  /** output, Float32Array of nlist * M * ksub */
  out: Float32Array;
}

interface PqFlatCommon extends PqCodecArgs, FlatScanArgs {}

export interface PqSearchArgs extends PqFlatCommon {
  k: number;
  distances: Float32Array;
  labels: BigInt64Array;
}

export interface PqRangeSearchArgs extends PqFlatCommon {
  radius: number;
}

interface PqIvfCommon extends PqCodecArgs, IvfScanArgs {
  /**
   * L2 + byResidual: FAISS's precomputed table (use_precomputed_table = 1,
   * see pqPrecomputeTable), nlist * M * ksub floats; null / absent selects
   * per-(query, list) residual tables (use_precomputed_table = 0).
   */
  precomputed?: Float32Array | null;
  /** coarse centroids, nlist * d: needed with byResidual unless L2 with a precomputed table */
  coarseCentroids?: Float32Array | null;
}

export interface PqIvfSearchArgs extends PqIvfCommon {
  k: number;
  distances: Float32Array;
  labels: BigInt64Array;
}

export interface PqIvfRangeSearchArgs extends PqIvfCommon {
  radius: number;
}

export interface PqAssignArgs {
  /** points, Float32Array of n * d */
  x: Float32Array;
  n: number;
  d: number;
  /** centroids, Float32Array of k * d */
  centroids: Float32Array;
  k: number;
  /** output: nearest centroid of each point, BigInt64Array of n (ties to the lower index) */
  labels: BigInt64Array;
  /** output: its squared L2 distance, Float32Array of n */
  distances: Float32Array;
}

export interface PqKernels {
  readonly name: 'native' | 'reference';
  pqAssign(args: PqAssignArgs): void;
  pqAssignAsync(args: PqAssignArgs): Promise<void>;
  pqComputeCodes(args: PqComputeCodesArgs): void;
  pqComputeCodesAsync(args: PqComputeCodesArgs): Promise<void>;
  pqDecode(args: PqDecodeArgs): void;
  pqTables(args: PqTablesArgs): void;
  pqPrecomputeTable(args: PqPrecomputeTableArgs): void;
  pqPrecomputeTableAsync(args: PqPrecomputeTableArgs): Promise<void>;
  pqSearch(args: PqSearchArgs): void;
  pqSearchAsync(args: PqSearchArgs): Promise<void>;
  pqRangeSearch(args: PqRangeSearchArgs): RangeSearchOutput;
  pqRangeSearchAsync(args: PqRangeSearchArgs): Promise<RangeSearchOutput>;
  pqIvfSearch(args: PqIvfSearchArgs): void;
  pqIvfSearchAsync(args: PqIvfSearchArgs): Promise<void>;
  pqIvfRangeSearch(args: PqIvfRangeSearchArgs): RangeSearchOutput;
  pqIvfRangeSearchAsync(args: PqIvfRangeSearchArgs): Promise<RangeSearchOutput>;
}

export function pqCodeSize(M: number, nbits: number): number {
  return Math.floor((M * nbits + 7) / 8);
}

/** centroids [m][ksub][dsub] -> [m][dsub][ksub] (the table kernels' layout). */
export function pqTransposeCentroids(d: number, M: number, nbits: number, centroids: Float32Array): Float32Array {
  const ksub = 2 ** nbits;
  const dsub = d / M;
  const out = new Float32Array(centroids.length);
  for (let m = 0; m < M; m++)
    for (let j = 0; j < ksub; j++)
      for (let t = 0; t < dsub; t++) out[(m * dsub + t) * ksub + j] = centroids[(m * ksub + j) * dsub + t];
  return out;
}

// ---------------------------------------------------------------- validation

function checkCodec(a: PqCodecArgs): { d: number; M: number; nbits: number; ksub: number; codeSize: number } {
  checkArgsObject('args', a);
  const d = checkInteger('d', a.d, 1, 2 ** 24);
  const M = checkInteger('M', a.M, 1, d);
  if (d % M !== 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected M to divide d (d % M == 0) for M, received M = ${M} with d = ${d}`);
  const nbits = checkInteger('nbits', a.nbits, 1, 16);
  const ksub = 2 ** nbits;
  const n = size(d, ksub, 'd * ksub');
  checkFloat32('centroids', a.centroids, n, `M * ksub * dsub = d * 2^nbits = ${n}`);
  if (a.centroidsT !== undefined && a.centroidsT !== null) checkFloat32('centroidsT', a.centroidsT, n, `d * 2^nbits = ${n}`);
  return { d, M, nbits, ksub, codeSize: pqCodeSize(M, nbits) };
}

export function validatePqAssign(a: PqAssignArgs): void {
  checkArgsObject('args', a);
  const n = checkInteger('n', a.n, 0);
  const d = checkInteger('d', a.d, 1, 2 ** 24);
  const k = checkInteger('k', a.k, 1, 2 ** 24);
  checkFloat32('x', a.x, size(n, d, 'n * d'), `n * d = ${n} * ${d}`);
  checkFloat32('centroids', a.centroids, size(k, d, 'k * d'), `k * d = ${k} * ${d}`);
  checkBigInt64('labels', a.labels, n, `n = ${n}`);
  checkFloat32('distances', a.distances, n, `n = ${n}`);
  checkNoOverlap([['labels', a.labels], ['distances', a.distances]], [['x', a.x], ['centroids', a.centroids]]);
}

export function validatePqComputeCodes(a: PqComputeCodesArgs): void {
  const { d, codeSize } = checkCodec(a);
  const n = checkInteger('n', a.n, 0);
  checkFloat32('x', a.x, size(n, d, 'n * d'), `n * d = ${n} * ${d}`);
  checkUint8('codes', a.codes, size(n, codeSize, 'n * codeSize'), `n * codeSize = ${n} * ${codeSize}`);
  checkNoOverlap([['codes', a.codes]], [['x', a.x], ['centroids', a.centroids]]);
}

export function validatePqDecode(a: PqDecodeArgs): void {
  const { d, codeSize } = checkCodec(a);
  const n = checkInteger('n', a.n, 0);
  checkUint8('codes', a.codes, size(n, codeSize, 'n * codeSize'), `n * codeSize = ${n} * ${codeSize}`);
  checkFloat32('out', a.out, size(n, d, 'n * d'), `n * d = ${n} * ${d}`);
  checkNoOverlap([['out', a.out]], [['codes', a.codes], ['centroids', a.centroids]]);
}

export function validatePqTables(a: PqTablesArgs): void {
  const { d, M, ksub } = checkCodec(a);
  const n = checkInteger('n', a.n, 0);
  checkMetric(a.metric);
  checkFloat32('x', a.x, size(n, d, 'n * d'), `n * d = ${n} * ${d}`);
  checkFloat32('out', a.out, size(size(n, M, 'n * M'), ksub, 'n * M * ksub'), `n * M * ksub = ${n} * ${M} * ${ksub}`);
  checkNoOverlap([['out', a.out]], [['x', a.x], ['centroids', a.centroids]]);
}

export function validatePqPrecomputeTable(a: PqPrecomputeTableArgs): void {
  const { d, M, ksub } = checkCodec(a);
  const nlist = checkInteger('nlist', a.nlist, 0);
  checkFloat32('coarse', a.coarse, size(nlist, d, 'nlist * d'), `nlist * d = ${nlist} * ${d}`);
  checkFloat32('out', a.out, size(size(nlist, M, 'nlist * M'), ksub, 'nlist * M * ksub'), `nlist * M * ksub = ${nlist} * ${M} * ${ksub}`);
  checkNoOverlap([['out', a.out]], [['coarse', a.coarse], ['centroids', a.centroids]]);
}

function checkFlat(a: PqFlatCommon): void {
  const { d, codeSize } = checkCodec(a);
  checkFlatScan(a, d, codeSize);
}

export function validatePqSearch(a: PqSearchArgs): void {
  checkFlat(a);
  checkTopk(a, [['xq', a.xq], ['codes', a.codes]]);
}

export function validatePqRangeSearch(a: PqRangeSearchArgs): void {
  checkFlat(a);
  checkRadius(a.radius);
}

function checkIvf(a: PqIvfCommon): void {
  const { d, M, ksub, codeSize } = checkCodec(a);
  const nlist = checkIvfScan(a, d, codeSize);
  const withTable = a.metric === 1 && a.byResidual && a.precomputed !== undefined && a.precomputed !== null;
  if (withTable) checkFloat32('precomputed', a.precomputed, size(nlist, M * ksub, 'nlist * M * ksub'), `nlist * M * ksub = ${nlist} * ${M} * ${ksub}`);
  if (a.byResidual && !withTable) checkFloat32('coarseCentroids', a.coarseCentroids, size(nlist, d, 'nlist * d'), `nlist * d = ${nlist} * ${d}`);
}

export function validatePqIvfSearch(a: PqIvfSearchArgs): void {
  checkIvf(a);
  checkTopk(a, [['xq', a.xq], ['coarse', a.coarse], ['coarseDis', a.coarseDis]]);
}

export function validatePqIvfRangeSearch(a: PqIvfRangeSearchArgs): void {
  checkIvf(a);
  checkRadius(a.radius);
}

// ---------------------------------------------------------------- implementations

type Fn = (...args: unknown[]) => unknown;
type PqAddon = Record<string, Fn>;

const codecArgs = (a: PqCodecArgs): unknown[] => [a.d, a.M, a.nbits, a.centroids, a.centroidsT ?? null];
const ivfArgs = (a: PqIvfCommon): unknown[] => [
  ...codecArgs(a), a.metric, a.byResidual, a.precomputed ?? null, a.coarseCentroids ?? null, a.lists.codes, a.lists.ids,
  a.lists.sizes, a.masks ?? null, a.xq, a.nq, a.nprobe, a.coarse, a.coarseDis,
];
const searchArgs = (a: PqSearchArgs): unknown[] => [
  ...codecArgs(a), a.codes, a.nb, a.xq, a.nq, a.k, a.metric, a.distances, a.labels, a.mask ?? null, a.labelOffset ?? 0,
];
const rangeArgs = (a: PqRangeSearchArgs): unknown[] => [
  ...codecArgs(a), a.codes, a.nb, a.xq, a.nq, a.radius, a.metric, a.mask ?? null, a.labelOffset ?? 0,
];

const assignArgs = (a: PqAssignArgs): unknown[] => [a.x, a.n, a.d, a.centroids, a.k, a.labels, a.distances];
const codesArgs = (a: PqComputeCodesArgs): unknown[] => [...codecArgs(a), a.x, a.n, a.codes];
const decodeArgs = (a: PqDecodeArgs): unknown[] => [...codecArgs(a), a.codes, a.n, a.out];
const tablesArgs = (a: PqTablesArgs): unknown[] => [...codecArgs(a), a.x, a.n, a.metric, a.out];
const precomputeArgs = (a: PqPrecomputeTableArgs): unknown[] => [...codecArgs(a), a.coarse, a.nlist, a.out];
const ivfSearchArgs = (a: PqIvfSearchArgs): unknown[] => [...ivfArgs(a), a.k, a.distances, a.labels];
const ivfRangeArgs = (a: PqIvfRangeSearchArgs): unknown[] => [...ivfArgs(a), a.radius];

function createNative(addon: PqAddon): PqKernels {
  // pqDecode and pqTables have no async form
  const { pqDecode } = nativePair(addon, 'pqDecode', validatePqDecode, decodeArgs);
  const { pqTables } = nativePair(addon, 'pqTables', validatePqTables, tablesArgs);
  return {
    name: 'native',
    ...nativePair(addon, 'pqAssign', validatePqAssign, assignArgs),
    ...nativePair(addon, 'pqComputeCodes', validatePqComputeCodes, codesArgs),
    pqDecode,
    pqTables,
    ...nativePair(addon, 'pqPrecomputeTable', validatePqPrecomputeTable, precomputeArgs),
    ...nativePair(addon, 'pqSearch', validatePqSearch, searchArgs),
    ...nativePair<'pqRangeSearch', PqRangeSearchArgs, RangeSearchOutput>(addon, 'pqRangeSearch', validatePqRangeSearch, rangeArgs),
    ...nativePair(addon, 'pqIvfSearch', validatePqIvfSearch, ivfSearchArgs),
    ...nativePair<'pqIvfRangeSearch', PqIvfRangeSearchArgs, RangeSearchOutput>(addon, 'pqIvfRangeSearch', validatePqIvfRangeSearch, ivfRangeArgs),
  };
}

/** The plain-TypeScript oracle (float64 tables rounded to float32, FAISS's summation order). */
export const pqReference: PqKernels = {
  name: 'reference',
  ...referencePair('pqAssign', validatePqAssign, ref.pqAssignReference),
  ...referencePair('pqComputeCodes', validatePqComputeCodes, ref.pqComputeCodesReference),
  pqDecode: referencePair('pqDecode', validatePqDecode, ref.pqDecodeReference).pqDecode,
  pqTables: referencePair('pqTables', validatePqTables, ref.pqTablesReference).pqTables,
  ...referencePair('pqPrecomputeTable', validatePqPrecomputeTable, ref.pqPrecomputeTableReference),
  ...referencePair('pqSearch', validatePqSearch, ref.pqSearchReference),
  ...referencePair('pqRangeSearch', validatePqRangeSearch, ref.pqRangeSearchReference),
  ...referencePair('pqIvfSearch', validatePqIvfSearch, ref.pqIvfSearchReference),
  ...referencePair('pqIvfRangeSearch', validatePqIvfRangeSearch, ref.pqIvfRangeSearchReference),
};

/** The native product-quantizer kernels, or null when the native backend is not in use. */
export const pqNative: () => PqKernels | null = cachedNative('pqSearch', 'product-quantizer', (addon) => createNative(addon as PqAddon));

/** The implementation the module-level functions use (native when available). */
export function pqKernels(): PqKernels {
  return pqNative() ?? pqReference;
}

/** Nearest of k centroids for each point (k-means assignment for small d). */
export function pqAssign(args: PqAssignArgs): void {
  pqKernels().pqAssign(args);
}
export function pqAssignAsync(args: PqAssignArgs): Promise<void> {
  return pqKernels().pqAssignAsync(args);
}
/** Nearest centroid per sub-vector (ties to the lower index), packed like FAISS. */
export function pqComputeCodes(args: PqComputeCodesArgs): void {
  pqKernels().pqComputeCodes(args);
}
export function pqComputeCodesAsync(args: PqComputeCodesArgs): Promise<void> {
  return pqKernels().pqComputeCodesAsync(args);
}
/** The centroids a code names, concatenated. */
export function pqDecode(args: PqDecodeArgs): void {
  pqKernels().pqDecode(args);
}
/** Distance (metric 1) or inner-product (metric 0) tables, n * M * ksub. */
export function pqTables(args: PqTablesArgs): void {
  pqKernels().pqTables(args);
}
/** IndexIVFPQ's precomputed table: ||y_R||^2 + 2 <y_C, y_R> per list and sub-quantizer entry. */
export function pqPrecomputeTable(args: PqPrecomputeTableArgs): void {
  pqKernels().pqPrecomputeTable(args);
}
export function pqPrecomputeTableAsync(args: PqPrecomputeTableArgs): Promise<void> {
  return pqKernels().pqPrecomputeTableAsync(args);
}
/** ADC top-k over a flat code array. */
export function pqSearch(args: PqSearchArgs): void {
  pqKernels().pqSearch(args);
}
export function pqSearchAsync(args: PqSearchArgs): Promise<void> {
  return pqKernels().pqSearchAsync(args);
}
export function pqRangeSearch(args: PqRangeSearchArgs): RangeSearchOutput {
  return pqKernels().pqRangeSearch(args);
}
export function pqRangeSearchAsync(args: PqRangeSearchArgs): Promise<RangeSearchOutput> {
  return pqKernels().pqRangeSearchAsync(args);
}
/** ADC top-k over the probed inverted lists (labels = stored ids). */
export function pqIvfSearch(args: PqIvfSearchArgs): void {
  pqKernels().pqIvfSearch(args);
}
export function pqIvfSearchAsync(args: PqIvfSearchArgs): Promise<void> {
  return pqKernels().pqIvfSearchAsync(args);
}
export function pqIvfRangeSearch(args: PqIvfRangeSearchArgs): RangeSearchOutput {
  return pqKernels().pqIvfRangeSearch(args);
}
export function pqIvfRangeSearchAsync(args: PqIvfRangeSearchArgs): Promise<RangeSearchOutput> {
  return pqKernels().pqIvfRangeSearchAsync(args);
}
