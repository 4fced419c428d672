/**
 * Row-major matrix views over typed arrays. A view never copies: `data` is
 * the caller's array, `rows * cols === data.length`. Component j of row i sits
 * at `i * cols + j` (FAISS's layout).
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';

export type VectorsInput = Float32Array | ReadonlyArray<ArrayLike<number>>;

export class Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;

  constructor(data: Float32Array, rows: number, cols: number) {
    if (!(data instanceof Float32Array)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected Float32Array for matrix data, received ${describeValue(data)}`);
    }
    checkCount(rows, 'rows');
    checkCount(cols, 'cols', 1);
    if (data.length !== rows * cols) {
      throw new MetalFaissError(
        'DIMENSION_MISMATCH',
        `expected Float32Array of length ${rows * cols} (rows * cols = ${rows} * ${cols}) for matrix data, received ${describeValue(data)}`,
      );
    }
    this.data = data;
    this.rows = rows;
    this.cols = cols;
  }

  static zeros(rows: number, cols: number): Matrix {
    return new Matrix(new Float32Array(rows * cols), rows, cols);
  }

  /** A view of row i (no copy). */
  row(i: number): Float32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [0, ${this.rows}) for row index, received ${describeValue(i)}`);
    }
    return this.data.subarray(i * this.cols, (i + 1) * this.cols);
  }

  /** A view of rows [start, end) (no copy). */
  rowRange(start: number, end: number): Matrix {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > this.rows) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected 0 <= start <= end <= ${this.rows} for row range, received [${String(start)}, ${String(end)})`,
      );
    }
    return new Matrix(this.data.subarray(start * this.cols, end * this.cols), end - start, this.cols);
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  transpose(): Matrix {
    const out = Matrix.zeros(this.cols, this.rows);
    for (let i = 0; i < this.rows; i++) {
      for (let j = 0; j < this.cols; j++) out.data[j * this.rows + i] = this.data[i * this.cols + j];
    }
    return out;
  }

  clone(): Matrix {
    return new Matrix(this.data.slice(), this.rows, this.cols);
  }
}

function checkCount(value: number, name: string, min = 0): void {
  if (!Number.isInteger(value) || value < min) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= ${min} for ${name}, received ${describeValue(value)}`);
  }
}

export interface AsMatrixOptions {
  /** the parameter name used in error messages (default "x") */
  name?: string;
  /** reject NaN and +/-Infinity (default true) */
  finite?: boolean;
  /** accept zero rows (default true) */
  allowEmpty?: boolean;
}

/**
 * Validates a batch of d-dimensional vectors and returns it as a row-major
 * matrix. A Float32Array is viewed without copying; an array of rows is
 * packed into a new Float32Array. Throws MetalFaissError for a wrong type,
 * a length that is not a multiple of d, rows of the wrong length, or
 * non-finite values.
 */
export function asMatrix(x: VectorsInput, d: number, options: AsMatrixOptions = {}): Matrix {
  const name = options.name ?? 'x';
  let data: Float32Array;
  if (x instanceof Float32Array) {
    if (x.length % d !== 0) {
      throw new MetalFaissError(
        'DIMENSION_MISMATCH',
        `expected a Float32Array whose length is a multiple of d = ${d} for ${name}, received ${describeValue(x)}`,
      );
    }
    data = x;
  } else if (Array.isArray(x)) {
    data = new Float32Array(x.length * d);
    for (let i = 0; i < x.length; i++) {
      const row = x[i] as ArrayLike<number> | undefined;
      if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected an array of numbers for ${name}[${i}], received ${describeValue(row)}`);
      }
      if (row.length !== d) {
        throw new MetalFaissError(
          'DIMENSION_MISMATCH',
          `expected ${d} components (d) for ${name}[${i}], received ${describeValue(row)}`,
        );
      }
      for (let j = 0; j < d; j++) {
        const v = row[j];
        if (typeof v !== 'number') {
          throw new MetalFaissError('INVALID_ARGUMENT', `expected a number for ${name}[${i}][${j}], received ${describeValue(v)}`);
        }
        data[i * d + j] = v;
      }
    }
  } else if (ArrayBuffer.isView(x)) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected Float32Array (or an array of number arrays) for ${name}, received ${describeValue(x)}; convert it with Float32Array.from(...)`,
    );
  } else {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected Float32Array of n * ${d} values or an array of ${d}-component rows for ${name}, received ${describeValue(x)}`,
    );
  }
  const n = data.length / d;
  if (options.allowEmpty === false && n === 0) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected at least one vector for ${name}, received none`);
  }
  if (options.finite !== false) assertFinite(data, d, name);
  return new Matrix(data, n, d);
}

/** Throws INVALID_ARGUMENT naming the first NaN/Infinity (row, column) in x. */
export function assertFinite(data: Float32Array, d: number, name = 'x'): void {
  // Summing is a fast screen: the sum of finite float32s (as float64) is
  // finite unless a value is NaN/Infinity.
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * 0;
  if (s === 0) return;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const row = Math.floor(i / d);
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected finite values in ${name}, received ${data[i]} at row ${row}, component ${i - row * d}`,
      );
    }
  }
}
