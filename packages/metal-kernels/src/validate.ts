/**
 * Argument validation shared by every backend. Each check throws a
 * MetalFaissError ("expected X for Y, received Z") before any kernel runs, so
 * bad input never reaches native code and never leaves outputs half written.
 */
import { MetalFaissError, describeValue, invalidArgument } from './errors';
import type { KnnArgs, PairwiseArgs, RangeArgs, TopkArgs } from './backend';

/** The largest thread count `setNumThreads` accepts. */
export const MAX_THREADS = 256;

export function checkArgsObject(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Array.isArray(value)) {
    throw invalidArgument(name, 'an arguments object', value);
  }
}

/** An integer in [min, max] (a safe integer, not NaN, not fractional). */
export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw invalidArgument(name, `an integer ${range}`, value);
  }
  return value;
}

function lengthText(expected: number, formula?: string): string {
  return formula ? `${expected} (${formula})` : String(expected);
}

/** A Float32Array of exactly `expected` elements. */
export function checkFloat32(name: string, value: unknown, expected: number, formula?: string): Float32Array {
  const want = `Float32Array of length ${lengthText(expected, formula)}`;
  if (!(value instanceof Float32Array)) throw invalidArgument(name, want, value);
  if (value.length !== expected) throw invalidArgument(name, want, value, 'DIMENSION_MISMATCH');
  return value;
}

/** A BigInt64Array of exactly `expected` elements. */
export function checkBigInt64(name: string, value: unknown, expected: number, formula?: string): BigInt64Array {
  const want = `BigInt64Array of length ${lengthText(expected, formula)}`;
  if (!(value instanceof BigInt64Array)) throw invalidArgument(name, want, value);
  if (value.length !== expected) throw invalidArgument(name, want, value, 'DIMENSION_MISMATCH');
  return value;
}

export function checkMetric(value: unknown): 0 | 1 {
  if (value !== 0 && value !== 1) {
    throw invalidArgument('metric', 'metric 0 (inner product) or 1 (squared L2)', value);
  }
  return value;
}

/** n * d as a number, refusing products that are not exact integers. */
function product(aName: string, a: number, bName: string, b: number): { value: number; text: string } {
  const value = a * b;
  if (!Number.isSafeInteger(value)) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected ${aName} * ${bName} to be a safe integer for the array size, received ${a} * ${b}`,
    );
  }
  return { value, text: `${aName} * ${bName} = ${a} * ${b}` };
}

type AnyView = ArrayBufferView;

/** Outputs must not share memory with inputs or with each other. */
export function checkNoOverlap(outputs: Array<[string, AnyView]>, inputs: Array<[string, AnyView]>): void {
  const all = [...outputs, ...inputs];
  for (let i = 0; i < outputs.length; i++) {
    const [oName, o] = outputs[i];
    for (let j = 0; j < all.length; j++) {
      if (j === i) continue;
      const [xName, x] = all[j];
      if (j < outputs.length && j < i) continue; // output pairs checked once
      if (o.buffer !== x.buffer || o.byteLength === 0 || x.byteLength === 0) continue;
      const oEnd = o.byteOffset + o.byteLength;
      const xEnd = x.byteOffset + x.byteLength;
      if (o.byteOffset < xEnd && x.byteOffset < oEnd) {
        throw new MetalFaissError(
          'INVALID_ARGUMENT',
          `expected ${oName} not to share memory with ${xName}, received overlapping views of one ArrayBuffer ` +
            `(bytes ${o.byteOffset}..${oEnd} and ${x.byteOffset}..${xEnd})`,
        );
      }
    }
  }
}

export function validateNorms(x: unknown, n: unknown, d: unknown, out: unknown): void {
  const nn = checkInteger('n', n, 0);
  const dd = checkInteger('d', d, 1);
  const size = product('n', nn, 'd', dd);
  const xs = checkFloat32('x', x, size.value, size.text);
  const os = checkFloat32('out', out, nn, `n = ${nn}`);
  checkNoOverlap([['out', os]], [['x', xs]]);
}

interface Shape {
  nq: number;
  nb: number;
  d: number;
}

function checkShape(args: { xq: unknown; xb: unknown; nq: unknown; nb: unknown; d: unknown }): Shape {
  const nq = checkInteger('nq', args.nq, 0);
  const nb = checkInteger('nb', args.nb, 0);
  const d = checkInteger('d', args.d, 1);
  const qs = product('nq', nq, 'd', d);
  const bs = product('nb', nb, 'd', d);
  checkFloat32('xq', args.xq, qs.value, qs.text);
  checkFloat32('xb', args.xb, bs.value, bs.text);
  return { nq, nb, d };
}

function checkLabelOffset(value: unknown): void {
  if (value === undefined) return;
  checkInteger('labelOffset', value, Number.MIN_SAFE_INTEGER);
}

export function validatePairwise(args: PairwiseArgs): void {
  checkArgsObject('args', args);
  const { nq, nb } = checkShape(args);
  checkMetric(args.metric);
  const os = product('nq', nq, 'nb', nb);
  checkFloat32('out', args.out, os.value, os.text);
  checkNoOverlap([['out', args.out]], [['xq', args.xq], ['xb', args.xb]]);
}

export function validateKnn(args: KnnArgs): void {
  checkArgsObject('args', args);
  const { nq, nb } = checkShape(args);
  const k = checkInteger('k', args.k, 1);
  checkMetric(args.metric);
  const os = product('nq', nq, 'k', k);
  checkFloat32('distances', args.distances, os.value, os.text);
  checkBigInt64('labels', args.labels, os.value, os.text);
  const inputs: Array<[string, AnyView]> = [['xq', args.xq], ['xb', args.xb]];
  if (args.xbNorms !== undefined && args.xbNorms !== null) {
    checkFloat32('xbNorms', args.xbNorms, nb, `nb = ${nb}`);
    inputs.push(['xbNorms', args.xbNorms]);
  }
  checkLabelOffset(args.labelOffset);
  checkNoOverlap([['distances', args.distances], ['labels', args.labels]], inputs);
}

export function validateRange(args: RangeArgs): void {
  checkArgsObject('args', args);
  checkShape(args);
  checkMetric(args.metric);
  if (typeof args.radius !== 'number' || Number.isNaN(args.radius)) {
    throw invalidArgument('radius', 'a number (not NaN)', args.radius);
  }
  checkLabelOffset(args.labelOffset);
}

export function validateTopk(args: TopkArgs): void {
  checkArgsObject('args', args);
  const n = checkInteger('n', args.n, 0);
  const m = checkInteger('m', args.m, 0);
  const k = checkInteger('k', args.k, 1);
  if (typeof args.largest !== 'boolean') throw invalidArgument('largest', 'a boolean', args.largest);
  const vs = product('n', n, 'm', m);
  checkFloat32('values', args.values, vs.value, vs.text);
  const os = product('n', n, 'k', k);
  checkFloat32('outValues', args.outValues, os.value, os.text);
  checkBigInt64('outIndices', args.outIndices, os.value, os.text);
  checkNoOverlap(
    [['outValues', args.outValues], ['outIndices', args.outIndices]],
    [['values', args.values]],
  );
}

export function validateThreads(n: unknown): number {
  return checkInteger('n (thread count)', n, 1, MAX_THREADS);
}

export { describeValue };
