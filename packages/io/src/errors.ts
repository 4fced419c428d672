/**
 * The one error type of metalfaiss. Every package throws it (io carries a
 * structurally identical copy so that it can stand alone); `instanceof`
 * works across packages and duplicated installs because it checks a
 * `Symbol.for` marker rather than the prototype chain.
 */
export type MetalFaissErrorCode =
  | 'INVALID_ARGUMENT'
  | 'DIMENSION_MISMATCH'
  | 'NOT_TRAINED'
  | 'UNSUPPORTED'
  | 'IO_FORMAT'
  | 'BACKEND_UNAVAILABLE'
  | 'NATIVE'
  | 'ABORTED';

const MARKER = Symbol.for('metalfaiss.error');

export class MetalFaissError extends Error {
  readonly code: MetalFaissErrorCode;
  readonly [MARKER] = true;

  constructor(code: MetalFaissErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetalFaissError';
    this.code = code;
  }

  /** True for any MetalFaissError, from this copy of the package or another. */
  static isInstance(value: unknown): value is MetalFaissError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return MetalFaissError.isInstance(value);
  }
}

/** Describes a value for an error message: its type and, for arrays, its length. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor?.name ?? 'TypedArray';
    const len = (value as unknown as { length?: number }).length;
    return len === undefined ? name : `${name} of length ${len}`;
  }
  if (Array.isArray(value)) return `Array of length ${value.length}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

/** Builds the standard message: "expected <what> for <param>, received <value>". */
export function invalidArgument(
  param: string,
  expected: string,
  received: unknown,
  code: MetalFaissErrorCode = 'INVALID_ARGUMENT',
): MetalFaissError {
  return new MetalFaissError(code, `expected ${expected} for ${param}, received ${describeValue(received)}`);
}
