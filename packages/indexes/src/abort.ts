/**
 * Cancelling long async operations (train, add) with an AbortSignal.
 *
 * Contract for every index: `await index.train(x, { signal })` and
 * `await index.add(x, { signal })` reject with MetalFaissError code ABORTED
 * when the signal is aborted before the operation commits, and the index is
 * then exactly as it was before the call (same ntotal, same training, same
 * search results). Long operations work in chunks and call
 * `throwIfAborted(signal, ...)` between them (after `yieldToEventLoop()`, so
 * that an abort() from a timer or an I/O callback can run), building into a
 * copy that is swapped in only at the end.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';

/** Options of the async mutating methods (train, add, addWithIds). */
export interface AsyncOptions {
  /** aborts the operation; the index is left as it was before the call */
  signal?: AbortSignal;
}

/** Validates the options object of an async method; returns its signal. */
export function signalOf(options: AsyncOptions | undefined, method: string): AbortSignal | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an options object ({ signal }) for ${method}, received ${describeValue(options)}`);
  }
  const s = options.signal;
  if (s === undefined) return undefined;
  if (!(s instanceof AbortSignal)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an AbortSignal for ${method}'s options.signal, received ${describeValue(s)}`);
  }
  return s;
}

/** The error an aborted operation rejects with. */
export function abortedError(signal: AbortSignal, method: string): MetalFaissError {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new MetalFaissError('ABORTED', `${method} was aborted${reason}; the index is unchanged`, { cause: signal.reason });
}

/** Throws ABORTED when the signal has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, method: string): void {
  if (signal?.aborted) throw abortedError(signal, method);
}

/** Lets pending callbacks (timers, I/O, an abort()) run before the next chunk of work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
