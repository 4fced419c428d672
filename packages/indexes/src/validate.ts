/** Argument checks shared by the index classes; each throws MetalFaissError. */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';

export function checkDimension(d: unknown, name = 'd'): number {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 1 << 20) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [1, 1048576] for ${name}, received ${describeValue(d)}`);
  }
  return d;
}

export function checkK(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer k > 0 for k, received ${describeValue(k)}`);
  }
  return k;
}

/** Refuses result buffers too large to allocate (nq * k values). */
export function checkResultSize(nq: number, k: number): void {
  if (nq * k > 2 ** 31 - 1) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected nq * k <= 2147483647 result slots for search, received nq = ${nq}, k = ${k} (${nq * k}); search in smaller batches`,
    );
  }
}

export function checkRadius(radius: unknown): number {
  if (typeof radius !== 'number' || Number.isNaN(radius)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a number (not NaN) for radius, received ${describeValue(radius)}`);
  }
  return radius;
}

export type IdsInput = BigInt64Array | ReadonlyArray<bigint | number>;

/** Converts ids (BigInt64Array, bigint[] or integer number[]) to a BigInt64Array of length n. */
export function toIds(ids: IdsInput, n: number, name = 'ids'): BigInt64Array {
  if (ids instanceof BigInt64Array) {
    if (ids.length !== n) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${n} ids (one per vector) for ${name}, received ${describeValue(ids)}`);
    }
    return ids;
  }
  if (!Array.isArray(ids)) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected BigInt64Array, bigint[] or number[] for ${name}, received ${describeValue(ids)}`,
    );
  }
  if (ids.length !== n) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${n} ids (one per vector) for ${name}, received ${describeValue(ids)}`);
  }
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) out[i] = toId(ids[i], `${name}[${i}]`);
  return out;
}

/** Converts one id (bigint or safe integer number) to bigint. */
export function toId(id: unknown, name = 'id'): bigint {
  if (typeof id === 'bigint') {
    if (id < -(2n ** 63n) || id >= 2n ** 63n) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a 64-bit signed id for ${name}, received ${describeValue(id)}`);
    }
    return id;
  }
  if (typeof id === 'number' && Number.isSafeInteger(id)) return BigInt(id);
  throw new MetalFaissError(
    'INVALID_ARGUMENT',
    `expected an integer id (bigint, or a number below 2^53) for ${name}, received ${describeValue(id)}`,
  );
}

/** Converts a position-like key (number or bigint) to a number in [0, n). */
export function checkKey(key: unknown, n: number, name = 'key'): number {
  const v = typeof key === 'bigint' ? Number(key) : key;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [0, ${n}) for ${name}, received ${describeValue(key)}`);
  }
  return v;
}
