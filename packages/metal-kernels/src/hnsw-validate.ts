/**
 * Argument validation of the graph (HNSW) and Hamming kernels, shared by the
 * native and reference backends: every check throws MetalFaissError before a
 * kernel runs, so bad input never reaches native code and leaves outputs and
 * graph arrays untouched.
 */
import { MetalFaissError, describeValue, invalidArgument } from './errors';
import { checkArgsObject, checkBigInt64, checkInteger, checkNoOverlap } from './validate';
import type { HammingKnnArgs, HammingPairwiseArgs, HammingRangeArgs } from './hamming-types';
import {
  HNSW_MAX_SLOTS_PER_LEVEL,
  HNSW_STORAGE_BINARY,
  HNSW_STORAGE_FLAT,
  HNSW_STORAGE_PQ,
  HNSW_STORAGE_SQ,
  type HnswAddArgs,
  type HnswGraphArrays,
  type HnswRangeArgs,
  type HnswSearchArgs,
  type HnswStorageArrays,
  type HnswWalkOptions,
} from './hnsw-types';

const MAX_CODE_SIZE = 1 << 17;

function safeProduct(aName: string, a: number, bName: string, b: number): number {
  const v = a * b;
  if (!Number.isSafeInteger(v)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected ${aName} * ${bName} to be a safe integer, received ${a} * ${b}`);
  }
  return v;
}

function checkTyped<T extends ArrayBufferView>(
  name: string,
  value: unknown,
  ctor: { new (n: number): T; name: string },
  length: number,
  exact: boolean,
): T {
  const want = `${ctor.name} of ${exact ? '' : 'at least '}length ${length}`;
  if (!(value instanceof ctor)) throw invalidArgument(name, want, value);
  const len = (value as unknown as { length: number }).length;
  if (exact ? len !== length : len < length) throw invalidArgument(name, want, value, 'DIMENSION_MISMATCH');
  return value;
}

export function checkUint8(name: string, value: unknown, length: number, exact = true): Uint8Array {
  return checkTyped(name, value, Uint8Array, length, exact);
}
export function checkInt32(name: string, value: unknown, length: number, exact = true): Int32Array {
  return checkTyped(name, value, Int32Array, length, exact);
}
export function checkFloat32Len(name: string, value: unknown, length: number, exact = true): Float32Array {
  return checkTyped(name, value, Float32Array, length, exact);
}

// ------------------------------------------------------------------ Hamming

function checkLabelOffset(value: unknown): void {
  if (value !== undefined) checkInteger('labelOffset', value, Number.MIN_SAFE_INTEGER);
}

function checkCodes(args: { xq: unknown; xb: unknown; nq: unknown; nb: unknown; codeSize: unknown }): {
  nq: number;
  nb: number;
  codeSize: number;
} {
  const nq = checkInteger('nq', args.nq, 0);
  const nb = checkInteger('nb', args.nb, 0);
  const codeSize = checkInteger('codeSize', args.codeSize, 1, MAX_CODE_SIZE);
  checkUint8('xq', args.xq, safeProduct('nq', nq, 'codeSize', codeSize));
  checkUint8('xb', args.xb, safeProduct('nb', nb, 'codeSize', codeSize));
  return { nq, nb, codeSize };
}

export function validateHammingKnn(args: HammingKnnArgs): void {
  checkArgsObject('args', args);
  const { nq } = checkCodes(args);
  const k = checkInteger('k', args.k, 1, 1 << 30);
  const out = safeProduct('nq', nq, 'k', k);
  checkInt32('distances', args.distances, out);
  checkBigInt64('labels', args.labels, out);
  checkLabelOffset(args.labelOffset);
  checkNoOverlap(
    [['distances', args.distances], ['labels', args.labels]],
    [['xq', args.xq], ['xb', args.xb]],
  );
}

export function validateHammingRange(args: HammingRangeArgs): void {
  checkArgsObject('args', args);
  checkCodes(args);
  checkInteger('radius', args.radius, -2147483647, 2147483647);
  checkLabelOffset(args.labelOffset);
}

export function validateHammingPairwise(args: HammingPairwiseArgs): void {
  checkArgsObject('args', args);
  const { nq, nb } = checkCodes(args);
  checkInt32('out', args.out, safeProduct('nq', nq, 'nb', nb));
  checkNoOverlap([['out', args.out]], [['xq', args.xq], ['xb', args.xb]]);
}

// ------------------------------------------------------------------ HNSW

/** Checks sizes and the level table of a graph (not every neighbour id: the walks check those). */
export function validateGraph(graph: HnswGraphArrays): number {
  checkArgsObject('graph', graph);
  const ntotal = checkInteger('graph.ntotal', graph.ntotal, 0, 2147483647);
  const cum = checkInt32('graph.cum', graph.cum, 2, false);
  if (cum.length > 64) throw invalidArgument('graph.cum', 'an Int32Array of 2..64 entries', cum);
  if (cum[0] !== 0) throw invalidArgument('graph.cum[0]', '0', cum[0]);
  for (let l = 0; l + 1 < cum.length; l++) {
    const w = cum[l + 1] - cum[l];
    if (w < 1 || w > HNSW_MAX_SLOTS_PER_LEVEL) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected 1..${HNSW_MAX_SLOTS_PER_LEVEL} neighbour slots per level (M <= 512) for graph.cum, received ${w} at level ${l}`,
      );
    }
  }
  checkInt32('graph.levels', graph.levels, ntotal, false);
  const offsets = checkBigInt64Min('graph.offsets', graph.offsets, ntotal + 1);
  const neighbors = checkInt32('graph.neighbors', graph.neighbors, 0, false);
  const end = offsets[ntotal];
  if (offsets[0] !== 0n || end < 0n || end > BigInt(neighbors.length)) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected graph.offsets[0] = 0 and graph.offsets[ntotal] <= graph.neighbors.length = ${neighbors.length}, received ${offsets[0]} and ${end}`,
    );
  }
  if (graph.edgeDistances !== undefined && graph.edgeDistances !== null) {
    checkFloat32Len('graph.edgeDistances', graph.edgeDistances, neighbors.length);
  }
  const ep = checkInteger('graph.entryPoint', graph.entryPoint, -1, ntotal - 1);
  const ml = checkInteger('graph.maxLevel', graph.maxLevel, -1, cum.length - 2);
  if (ep >= 0 && (ml < 0 || graph.levels[ep] - 1 < ml)) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected the entry point's level to reach graph.maxLevel = ${ml}, received levels[${ep}] = ${graph.levels[ep]}`,
    );
  }
  return ntotal;
}

function checkBigInt64Min(name: string, value: unknown, length: number): BigInt64Array {
  const want = `BigInt64Array of at least length ${length}`;
  if (!(value instanceof BigInt64Array)) throw invalidArgument(name, want, value);
  if (value.length < length) throw invalidArgument(name, want, value, 'DIMENSION_MISMATCH');
  return value;
}

function sqCodeSize(qtype: number, d: number): number {
  switch (qtype) {
    case 0:
    case 2:
    case 5:
      return d;
    case 1:
    case 3:
      return Math.ceil(d / 2);
    case 6:
      return Math.ceil((d * 6) / 8);
    case 4:
      return 2 * d;
    default:
      return -1;
  }
}

function sqTrainedSize(qtype: number, d: number): number {
  if (qtype === 0 || qtype === 1 || qtype === 6) return 2 * d;
  if (qtype === 2 || qtype === 3) return 2;
  return 0;
}

/** Bytes (binary / PQ / SQ) or floats (flat) per stored vector. */
export function storageCodeSize(storage: HnswStorageArrays): number {
  switch (storage.kind) {
    case HNSW_STORAGE_FLAT:
      return storage.d;
    case HNSW_STORAGE_BINARY:
      return storage.d / 8;
    case HNSW_STORAGE_PQ:
      return storage.pqM ?? 0;
    default:
      return sqCodeSize(storage.sqType ?? -1, storage.d);
  }
}

export function validateStorage(storage: HnswStorageArrays, ntotal: number): void {
  checkArgsObject('storage', storage);
  const kind = checkInteger('storage.kind', storage.kind, 0, 3);
  const d = checkInteger('storage.d', storage.d, 1, 1 << 20);
  if (kind !== HNSW_STORAGE_BINARY && storage.metric !== 0 && storage.metric !== 1) {
    throw invalidArgument('storage.metric', 'metric 0 (inner product) or 1 (L2)', storage.metric);
  }
  if (kind === HNSW_STORAGE_FLAT) {
    const c = storage.compact;
    const hasCompact = c !== undefined && c !== null;
    // with an exact byte copy the float array may be omitted (the kernels read the copy)
    if (!hasCompact || (storage.xb !== undefined && storage.xb !== null && storage.xb.length > 0)) {
      checkFloat32Len('storage.xb', storage.xb, safeProduct('ntotal', ntotal, 'd', d), false);
    }
    if (hasCompact) {
      if (!(c instanceof Uint8Array || c instanceof Int8Array)) throw invalidArgument('storage.compact', 'a Uint8Array or Int8Array', c);
      if (c.length < ntotal * d) throw invalidArgument('storage.compact', `at least ${ntotal * d} elements (ntotal * d)`, c, 'DIMENSION_MISMATCH');
      const hasNorms = storage.compactNorms !== undefined && storage.compactNorms !== null;
      const hasSums = storage.compactSums !== undefined && storage.compactSums !== null;
      if (hasNorms !== hasSums) throw new MetalFaissError('INVALID_ARGUMENT', 'expected both storage.compactNorms and storage.compactSums, or neither');
      if (hasNorms) {
        checkInt32('storage.compactNorms', storage.compactNorms, ntotal, false);
        checkInt32('storage.compactSums', storage.compactSums, ntotal, false);
      }
    }
    return;
  }
  if (kind === HNSW_STORAGE_BINARY) {
    if (d % 8 !== 0) throw invalidArgument('storage.d', 'a number of bits that is a multiple of 8', d);
    checkUint8('storage.codes', storage.codes, safeProduct('ntotal', ntotal, 'codeSize', d / 8), false);
    return;
  }
  if (kind === HNSW_STORAGE_PQ) {
    const m = checkInteger('storage.pqM', storage.pqM, 1, d);
    if (d % m !== 0) throw invalidArgument('storage.pqM', `a divisor of d = ${d}`, m);
    if (storage.metric !== 1) {
      throw new MetalFaissError('UNSUPPORTED', `expected metric 1 (L2) for PQ storage (FAISS's IndexHNSWPQ is L2 only), received ${describeValue(storage.metric)}`);
    }
    checkFloat32Len('storage.pqCentroids', storage.pqCentroids, m * 256 * (d / m));
    checkUint8('storage.codes', storage.codes, safeProduct('ntotal', ntotal, 'pqM', m), false);
    return;
  }
  if (kind === HNSW_STORAGE_SQ) {
    const qt = checkInteger('storage.sqType', storage.sqType, 0, 6);
    const ts = sqTrainedSize(qt, d);
    if (ts > 0) checkFloat32Len('storage.sqTrained', storage.sqTrained, ts);
    checkUint8('storage.codes', storage.codes, safeProduct('ntotal', ntotal, 'codeSize', sqCodeSize(qt, d)), false);
  }
}

function checkRows(name: string, value: unknown, storage: HnswStorageArrays, n: number): void {
  if (storage.kind === HNSW_STORAGE_BINARY) checkUint8(name, value, safeProduct('n', n, 'codeSize', storage.d / 8));
  else checkFloat32Len(name, value, safeProduct('n', n, 'd', storage.d));
}

function checkWalk(args: HnswWalkOptions, ntotal: number): void {
  checkInteger('efSearch', args.efSearch, 1, 1 << 30);
  if (args.boundedQueue !== undefined && typeof args.boundedQueue !== 'boolean') {
    throw invalidArgument('boundedQueue', 'a boolean', args.boundedQueue);
  }
  if (args.checkRelativeDistance !== undefined && typeof args.checkRelativeDistance !== 'boolean') {
    throw invalidArgument('checkRelativeDistance', 'a boolean', args.checkRelativeDistance);
  }
  if (args.filter !== undefined && args.filter !== null) checkUint8('filter', args.filter, ntotal);
}

export function validateHnswSearch(args: HnswSearchArgs): void {
  checkArgsObject('args', args);
  const ntotal = validateGraph(args.graph);
  validateStorage(args.storage, ntotal);
  const nq = checkInteger('nq', args.nq, 0);
  checkRows('xq', args.xq, args.storage, nq);
  const k = checkInteger('k', args.k, 1, 1 << 30);
  checkWalk(args, ntotal);
  const out = safeProduct('nq', nq, 'k', k);
  checkFloat32Len('distances', args.distances, out);
  checkBigInt64('labels', args.labels, out);
  checkNoOverlap([['distances', args.distances], ['labels', args.labels]], [['xq', args.xq]]);
}

export function validateHnswRange(args: HnswRangeArgs): void {
  checkArgsObject('args', args);
  const ntotal = validateGraph(args.graph);
  validateStorage(args.storage, ntotal);
  const nq = checkInteger('nq', args.nq, 0);
  checkRows('xq', args.xq, args.storage, nq);
  checkWalk(args, ntotal);
  if (typeof args.radius !== 'number' || Number.isNaN(args.radius)) throw invalidArgument('radius', 'a number (not NaN)', args.radius);
}

export function validateHnswAdd(args: HnswAddArgs): void {
  checkArgsObject('args', args);
  const ntotal = validateGraph(args.graph);
  validateStorage(args.storage, ntotal);
  const n0 = checkInteger('n0', args.n0, 0, ntotal);
  checkRows('x', args.x, args.storage, ntotal - n0);
  checkInteger('efConstruction', args.efConstruction, 1, 1 << 30);
  const order = checkInt32('order', args.order, 0, false);
  const { levels, cum } = args.graph;
  let prev = Infinity;
  for (let i = 0; i < order.length; i++) {
    const id = order[i];
    if (id < n0 || id >= ntotal) throw invalidArgument(`order[${i}]`, `a node id in [n0, ntotal) = [${n0}, ${ntotal})`, id);
    const lv = levels[id];
    if (lv < 1 || lv > cum.length - 1) throw invalidArgument(`levels[${id}]`, `an integer in [1, ${cum.length - 1}]`, lv);
    if (lv > prev) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected order sorted by level (highest first), received level ${lv} after ${prev} at order[${i}]`);
    }
    prev = lv;
  }
  checkNoOverlap([['graph.neighbors', args.graph.neighbors]], [['x', args.x]]);
}
