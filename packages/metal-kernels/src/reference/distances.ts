/**
 * Plain distance computations in float64, rounded to float32 once at the
 * end: the oracle the native kernels are tested against.
 */

/** Squared L2 norm of row i of x (float64 accumulation). */
export function rowNormSqr(x: Float32Array, i: number, d: number): number {
  let s = 0;
  const o = i * d;
  for (let j = 0; j < d; j++) {
    const v = x[o + j];
    s += v * v;
  }
  return s;
}

/** Squared L2 distance between row i of a and row j of b. */
export function l2Sqr(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const oa = i * d;
  const ob = j * d;
  for (let t = 0; t < d; t++) {
    const v = a[oa + t] - b[ob + t];
    s += v * v;
  }
  return s;
}

/** Inner product between row i of a and row j of b. */
export function innerProduct(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  const oa = i * d;
  const ob = j * d;
  for (let t = 0; t < d; t++) s += a[oa + t] * b[ob + t];
  return s;
}

/**
 * The float32 "score" of a pair: smaller is better. Squared L2 as is, inner
 * product negated. Rounded to float32 first so that ordering and the
 * reported distances agree exactly.
 */
export function pairScore(metric: 0 | 1, a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  return metric === 1 ? Math.fround(l2Sqr(a, i, b, j, d)) : -Math.fround(innerProduct(a, i, b, j, d));
}
