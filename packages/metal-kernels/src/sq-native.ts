/**
 * Glue between the quantizer kernel modules (sq.ts, pq.ts) and the native
 * addon: whether the native backend runs them, and native errors rethrown as
 * MetalFaissError. These kernels are not part of KernelBackend; they follow
 * the module-level backend choice of index.ts (METALFAISS_BACKEND, reference
 * fallback when the addon does not load).
 */
import { MetalFaissError } from './errors';
import { activeBackend } from './index';
import { loadAddon } from './loader';

const warned = new Set<string>();

/**
 * The addon when the native backend is active and it exports `probe`; null
 * means "use the reference implementation" (with one warning when the addon
 * is loaded but stale).
 */
export function quantizerAddon<T>(probe: string, family: string): T | null {
  if (activeBackend().name !== 'native') return null;
  const addon = loadAddon().addon as unknown as Record<string, unknown> | null;
  if (!addon || typeof addon[probe] !== 'function') {
    if (!warned.has(family)) {
      warned.add(family);
      process.emitWarning(
        `@metalfaiss/metal-kernels: the native addon has no ${family} kernels (stale build?); they run on the ` +
          'TypeScript reference implementation. Rebuild with `pnpm --filter @metalfaiss/metal-kernels build`.',
        { code: 'METALFAISS_REFERENCE_BACKEND', type: 'MetalFaissWarning' },
      );
    }
    return null;
  }
  return addon as unknown as T;
}

export function nativeError(kernel: string, error: unknown): MetalFaissError {
  if (MetalFaissError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MetalFaissError('NATIVE', `native kernel ${kernel} failed: ${message}`, { cause: error });
}

export function guard<T>(kernel: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw nativeError(kernel, error);
  }
}

export async function guardAsync<T>(kernel: string, fn: () => Promise<T>): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = fn();
  } catch (error) {
    throw nativeError(kernel, error);
  }
  try {
    return await promise;
  } catch (error) {
    throw nativeError(kernel, error);
  }
}

/** Runs fn on a later turn of the event loop (the reference implementation's degraded async form). */
export function deferred<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    });
  });
}
