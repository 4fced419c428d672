/** Bad input: a MetalFaissError with the right code, never a crash, outputs untouched. */
import { describe, expect, it } from 'vitest';
import {
  MetalFaissError,
  getNativeBackend,
  knn,
  knnAsync,
  normsL2Sqr,
  pairwiseDistances,
  rangeSearch,
  rangeSearchAsync,
  referenceBackend,
  setNumThreads,
  topk,
  type KernelBackend,
  type KnnArgs,
} from '../src/index';
import { loadAddon } from '../src/loader';
import { createNativeBackend } from '../src/native-backend';
import type { NativeAddon } from '../src/loader';

function expectError(fn: () => unknown, code: string, message?: RegExp | string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a throw').toBeDefined();
  expect(MetalFaissError.isInstance(caught)).toBe(true);
  expect(caught).toBeInstanceOf(MetalFaissError);
  expect((caught as MetalFaissError).code).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}

function goodKnn(): KnnArgs {
  return {
    xq: new Float32Array(10 * 300),
    xb: new Float32Array(20 * 300),
    nq: 10,
    nb: 20,
    d: 300,
    k: 4,
    metric: 1,
    distances: new Float32Array(40).fill(7),
    labels: new BigInt64Array(40).fill(7n),
  };
}

const backends: Array<[string, KernelBackend]> = [['reference', referenceBackend]];
const native = getNativeBackend();
if (native) backends.push(['native', native]);

describe('module-level validation', () => {
  it('reports the exact expected length and formula', () => {
    const a = goodKnn();
    a.xq = new Float32Array(2999);
    expectError(
      () => knn(a),
      'DIMENSION_MISMATCH',
      'expected Float32Array of length 3000 (nq * d = 10 * 300) for xq, received Float32Array of length 2999',
    );
  });

  it('rejects wrong array types, sizes and enums', () => {
    const cases: Array<[Partial<KnnArgs> | Record<string, unknown>, string, RegExp]> = [
      [{ xq: new Float64Array(3000) }, 'INVALID_ARGUMENT', /Float32Array.*for xq, received Float64Array/],
      [{ xq: [1, 2, 3] }, 'INVALID_ARGUMENT', /for xq, received Array of length 3/],
      [{ labels: new Float32Array(40) }, 'INVALID_ARGUMENT', /BigInt64Array of length 40.*for labels/],
      [{ labels: new BigInt64Array(39) }, 'DIMENSION_MISMATCH', /for labels/],
      [{ distances: new Float32Array(41) }, 'DIMENSION_MISMATCH', /nq \* k = 10 \* 4/],
      [{ nq: 1.5 }, 'INVALID_ARGUMENT', /integer >= 0 for nq, received number 1.5/],
      [{ nq: -1 }, 'INVALID_ARGUMENT', /for nq/],
      [{ nb: NaN }, 'INVALID_ARGUMENT', /for nb/],
      [{ d: 0 }, 'INVALID_ARGUMENT', /integer >= 1 for d/],
      [{ k: 0 }, 'INVALID_ARGUMENT', /integer >= 1 for k/],
      [{ k: 2.5 }, 'INVALID_ARGUMENT', /for k/],
      [{ metric: 2 }, 'INVALID_ARGUMENT', /metric 0 \(inner product\) or 1 \(squared L2\)/],
      [{ metric: '1' }, 'INVALID_ARGUMENT', /for metric, received string/],
      [{ xbNorms: new Float32Array(19) }, 'DIMENSION_MISMATCH', /for xbNorms/],
      [{ labelOffset: 0.5 }, 'INVALID_ARGUMENT', /for labelOffset/],
      [{ nq: 1e300 }, 'INVALID_ARGUMENT', /for nq/],
    ];
    for (const [override, code, message] of cases) {
      const a = { ...goodKnn(), ...override } as KnnArgs;
      for (const [, backend] of backends) {
        expectError(() => backend.knn(a), code, message);
      }
      expectError(() => knn(a), code, message);
      // outputs untouched (when they are the real ones)
      if (a.distances instanceof Float32Array && a.distances.length === 40) expect(a.distances[0]).toBe(7);
    }
  });

  it('rejects non-object arguments', () => {
    expectError(() => knn(undefined as unknown as KnnArgs), 'INVALID_ARGUMENT', /arguments object for args/);
    expectError(() => knn(new Float32Array(3) as unknown as KnnArgs), 'INVALID_ARGUMENT', /arguments object/);
  });

  it('rejects outputs that overlap inputs or each other', () => {
    const buf = new ArrayBuffer(4 * 100);
    const a = goodKnn();
    a.nq = 1;
    a.d = 10;
    a.nb = 2;
    a.k = 4;
    a.xq = new Float32Array(buf, 0, 10);
    a.xb = new Float32Array(20);
    a.distances = new Float32Array(buf, 4 * 8, 4); // overlaps xq's last two floats
    a.labels = new BigInt64Array(4);
    expectError(() => knn(a), 'INVALID_ARGUMENT', /distances not to share memory with xq/);
    a.distances = new Float32Array(buf, 4 * 10, 4); // adjacent, fine
    expect(() => knn(a)).not.toThrow();
    const values = new Float32Array(50);
    expectError(
      () => topk({ values, n: 5, m: 10, k: 2, largest: true, outValues: values.subarray(0, 10), outIndices: new BigInt64Array(10) }),
      'INVALID_ARGUMENT',
      /outValues not to share memory with values/,
    );
  });

  it('validates every other kernel', () => {
    expectError(() => normsL2Sqr(new Float32Array(6), 2, 3, new Float32Array(3)), 'DIMENSION_MISMATCH', /for out/);
    expectError(() => normsL2Sqr(new Float32Array(6), 2, 0, new Float32Array(2)), 'INVALID_ARGUMENT', /for d/);
    expectError(
      () => pairwiseDistances({ xq: new Float32Array(6), xb: new Float32Array(9), nq: 2, nb: 3, d: 3, metric: 1, out: new Float32Array(5) }),
      'DIMENSION_MISMATCH',
      /nq \* nb = 2 \* 3/,
    );
    expectError(
      () => rangeSearch({ xq: new Float32Array(6), xb: new Float32Array(9), nq: 2, nb: 3, d: 3, metric: 1, radius: NaN }),
      'INVALID_ARGUMENT',
      /not NaN\) for radius/,
    );
    expectError(
      () => topk({ values: new Float32Array(6), n: 2, m: 3, k: 1, largest: 1 as unknown as boolean, outValues: new Float32Array(2), outIndices: new BigInt64Array(2) }),
      'INVALID_ARGUMENT',
      /a boolean for largest/,
    );
    expectError(() => setNumThreads(0), 'INVALID_ARGUMENT', /in \[1, 256\]/);
    expectError(() => setNumThreads(257), 'INVALID_ARGUMENT', /in \[1, 256\]/);
    expectError(() => setNumThreads(1.5), 'INVALID_ARGUMENT');
  });

  it('async forms reject (not throw) with the same errors', async () => {
    const a = goodKnn();
    a.k = -3;
    await expect(knnAsync(a)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    for (const [, backend] of backends) {
      await expect(backend.knnAsync(a)).rejects.toBeInstanceOf(MetalFaissError);
    }
    await expect(
      rangeSearchAsync({ xq: new Float32Array(5), xb: new Float32Array(9), nq: 2, nb: 3, d: 3, metric: 1, radius: 1 }),
    ).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
  });
});

const addon = loadAddon().addon;

describe.skipIf(!addon)('native argument checks (second line of defence)', () => {
  it('the addon itself rejects wrong byte lengths and types without crashing', () => {
    const xq = new Float32Array(6);
    const xb = new Float32Array(9);
    const D = new Float32Array(4);
    const L = new BigInt64Array(4);
    expect(() => addon!.knn(xq, xb, 2, 3, 3, 2, 1, D, L, null, 0)).not.toThrow();
    expect(() => addon!.knn(xq, xb, 2, 3, 3, 3, 1, D, L, null, 0)).toThrow(/bytes/);
    expect(() => addon!.knn(xq, xb, 2, 4, 3, 2, 1, D, L, null, 0)).toThrow(/xb/);
    expect(() => addon!.knn(xq, xb, 2, 3, 3, 2, 1, D, new Float32Array(4) as unknown as BigInt64Array, null, 0)).toThrow(
      /BigInt64Array/,
    );
    expect(() => addon!.knn(xq, xb, 2, 3, 3, 2, 5, D, L, null, 0)).toThrow(/metric/);
    expect(() => addon!.knn(xq, xb, -2, 3, 3, 2, 1, D, L, null, 0)).toThrow(/nq/);
    expect(() => addon!.knn(xq, xb, 2 ** 40, 3, 2 ** 40, 2, 1, D, L, null, 0)).toThrow();
    expect(() => addon!.topk(xq, 2, 3, 2, 'yes' as unknown as boolean, D, L)).toThrow(/boolean/);
    expect(() => addon!.rangeSearch(xq, xb, 2, 3, 3, NaN, 1, 0)).toThrow(/radius/);
    expect(() => addon!.pairwise(xq, xb, 2, 3, 3, 1, new Float32Array(5))).toThrow(/out/);
    expect(() => addon!.setSimd('avx9000')).toThrow(/expected one of/);
    expect(() => addon!.setNumThreads(0)).toThrow();
  });

  it('async addon calls reject on bad arguments', async () => {
    await expect(
      Promise.resolve().then(() =>
        addon!.knnAsync(new Float32Array(6), new Float32Array(9), 2, 3, 3, 2, 1, new Float32Array(3), new BigInt64Array(4), null, 0),
      ),
    ).rejects.toThrow(/distances/);
  });

  it('errors raised inside native code surface as MetalFaissError NATIVE', async () => {
    const failing = new Proxy(addon!, {
      get(target, prop) {
        if (prop === 'knn') return () => { throw new Error('boom'); };
        if (prop === 'knnAsync') return () => Promise.reject(new Error('async boom'));
        return Reflect.get(target, prop);
      },
    }) as NativeAddon;
    const backend = createNativeBackend(failing);
    const a = goodKnn();
    expectError(() => backend.knn(a), 'NATIVE', /native kernel knn failed: boom/);
    await expect(backend.knnAsync(a)).rejects.toMatchObject({ code: 'NATIVE', message: /async boom/ });
  });
});
