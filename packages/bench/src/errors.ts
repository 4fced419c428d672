/**
 * The bench throws the project's one error type, MetalFaissError from
 * @metalfaiss/metal-kernels, with the standard message shape
 * "expected X for Y, received Z" plus what to do about it.
 */
import { MetalFaissError, invalidArgument } from '@metalfaiss/metal-kernels';

export { MetalFaissError, invalidArgument };

/** An IO_FORMAT error about one file: what was expected, what was found, and a hint. */
export function fileError(file: string, expected: string, received: string, hint?: string, cause?: unknown): MetalFaissError {
  const message = `expected ${expected} for file ${file}, received ${received}` + (hint ? `. ${hint}` : '');
  return new MetalFaissError('IO_FORMAT', message, cause === undefined ? undefined : { cause });
}

/** Checks that value is an integer in [min, max]; throws INVALID_ARGUMENT otherwise. */
export function checkInteger(param: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw invalidArgument(param, range, value);
  }
  return value;
}
