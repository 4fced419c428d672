/** Id selectors, as FAISS's IDSelector family: which ids an operation applies to. */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { type IdsInput, toId } from './validate';

export interface IDSelector {
  isMember(id: bigint): boolean;
}

/** Ids in [imin, imax). */
export class IDSelectorRange implements IDSelector {
  readonly imin: bigint;
  readonly imax: bigint;
  constructor(imin: bigint | number, imax: bigint | number) {
    this.imin = toId(imin, 'imin');
    this.imax = toId(imax, 'imax');
  }
  isMember(id: bigint): boolean {
    return id >= this.imin && id < this.imax;
  }
}

/** An explicit set of ids. */
export class IDSelectorBatch implements IDSelector {
  readonly #set: Set<bigint>;
  constructor(ids: IdsInput) {
    this.#set = new Set();
    const list = ids instanceof BigInt64Array ? ids : Array.from(ids);
    for (let i = 0; i < list.length; i++) this.#set.add(toId(list[i], `ids[${i}]`));
  }
  isMember(id: bigint): boolean {
    return this.#set.has(id);
  }
  get size(): number {
    return this.#set.size;
  }
}

/** Accepts an IDSelector or a list of ids (FAISS Python's remove_ids accepts both). */
export function toSelector(sel: IDSelector | IdsInput): IDSelector {
  if (sel instanceof BigInt64Array || Array.isArray(sel)) return new IDSelectorBatch(sel as IdsInput);
  if (sel !== null && typeof sel === 'object' && typeof (sel as IDSelector).isMember === 'function') return sel as IDSelector;
  throw new MetalFaissError(
    'INVALID_ARGUMENT',
    `expected an IDSelector or an array of ids for removeIds, received ${describeValue(sel)}`,
  );
}
