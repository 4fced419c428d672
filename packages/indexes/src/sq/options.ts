/**
 * Options of the quantizer indexes' long operations (train, add): an
 * AbortSignal (the index is left unchanged when it fires) and a progress
 * callback; and the codes-length check the quantizers share.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { type AsyncOptions, signalOf } from '../abort';

export interface QuantizerProgress {
  /** 'train' or 'add' */
  phase: 'train' | 'add';
  /** what is running, e.g. 'coarse quantizer', 'sub-quantizer 3/16', 'encode' */
  step: string;
  /** units of work done so far (steps, or vectors for add) */
  done: number;
  /** total units of work */
  total: number;
  /** milliseconds since the operation started */
  elapsedMs: number;
}

export interface QuantizerOptions extends AsyncOptions {
  /** called as the operation advances (and once at the end, with done === total) */
  onProgress?: (progress: QuantizerProgress) => void;
}

/** Validated options: the signal and a progress reporter (a no-op when no callback was given). */
export function quantizerOptions(
  options: QuantizerOptions | undefined,
  method: string,
  phase: 'train' | 'add',
): { signal: AbortSignal | undefined; report: (step: string, done: number, total: number) => void } {
  const signal = signalOf(options, method);
  const cb = options?.onProgress;
  if (cb !== undefined && typeof cb !== 'function') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a function for ${method}'s options.onProgress, received ${describeValue(cb)}`);
  }
  const t0 = Date.now();
  return {
    signal,
    report: (step, done, total) => {
      if (cb) cb({ phase, step, done, total, elapsedMs: Date.now() - t0 });
    },
  };
}

/** How many codes of codeSize bytes `codes` holds. @throws MetalFaissError DIMENSION_MISMATCH unless a Uint8Array of a multiple of codeSize bytes */
export function codeCount(codes: unknown, codeSize: number): number {
  if (!(codes instanceof Uint8Array) || codes.length % codeSize !== 0) {
    throw new MetalFaissError('DIMENSION_MISMATCH', `expected a Uint8Array whose length is a multiple of codeSize = ${codeSize} for codes, received ${describeValue(codes)}`);
  }
  return codes.length / codeSize;
}
