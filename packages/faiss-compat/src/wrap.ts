/**
 * Wrapping `@metalfaiss/indexes` objects in their faiss-compat classes, for
 * objects that were not built through a compat constructor (deserialised
 * indexes, sub-indexes reached through a wrapper, downcasts).
 *
 * Each compat module registers its classes: `registerWrapper(ix.IndexFlat,
 * IndexFlat)`. `wrapIndex(impl)` picks the compat class registered for the
 * nearest class in impl's prototype chain and builds the compat object
 * without running its constructor; `init` fills compat-side fields (such as
 * IndexIDMap's `index`).
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import type * as ix from '@metalfaiss/indexes';
import { Index } from './base';

type AnyClass = abstract new (...args: never[]) => object;

interface Wrapper {
  compat: AnyClass;
  init?: (wrapped: Index, impl: ix.Index) => void;
}

const wrappers = new Map<AnyClass, Wrapper>();

export function registerWrapper<T extends object>(
  implClass: abstract new (...args: never[]) => T,
  compatClass: AnyClass,
  init?: (wrapped: { impl: T }, impl: T) => void,
): void {
  wrappers.set(implClass, { compat: compatClass, init: init as unknown as Wrapper['init'] });
}

/** Wraps a float index object. */
export function wrapIndex<T extends ix.Index>(impl: T): Index<T> {
  return wrapObject(impl) as Index<T>;
}

/** Wraps any index object (float or binary) in its registered compat class. */
export function wrapObject(impl: object): { impl: object } {
  let proto: object | null = Object.getPrototypeOf(impl);
  while (proto && proto !== Object.prototype) {
    const w = wrappers.get((proto as { constructor: AnyClass }).constructor);
    if (w) {
      const obj = Object.create(w.compat.prototype) as Index;
      Object.defineProperty(obj, 'impl', { value: impl, enumerable: true });
      w.init?.(obj, impl as ix.Index);
      return obj;
    }
    proto = Object.getPrototypeOf(proto);
  }
  throw new MetalFaissError('UNSUPPORTED', `no faiss-compat class wraps ${impl.constructor.name}`);
}
