/**
 * The direct map of an IVF index (FAISS's faiss/invlists/DirectMap.h): id ->
 * (list, offset), so that a vector can be found by id for reconstruction and
 * removal. Positions are packed as FAISS does: lo = listNo << 32 | offset.
 *
 * - 'none' (FAISS NoMap): no map; reconstruct is unavailable, removal scans
 *   every list.
 * - 'array' (FAISS Array): array[id] = lo. Requires sequential ids
 *   0..ntotal-1 (plain `add`, never `addWithIds`); removal is refused, as in
 *   FAISS, because it would leave holes in the id range.
 * - 'hashtable' (FAISS Hashtable): a Map from any id to lo; removal updates it.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import type { InvertedLists } from './inverted-lists';

export type DirectMapType = 'none' | 'array' | 'hashtable';

/** FAISS's DirectMap::Type codes (NoMap = 0, Array = 1, Hashtable = 2). */
export const DirectMapTypeCode = { none: 0, array: 1, hashtable: 2 } as const;

export function parseDirectMapType(type: unknown): DirectMapType {
  if (type === 'none' || type === 0) return 'none';
  if (type === 'array' || type === 1) return 'array';
  if (type === 'hashtable' || type === 2) return 'hashtable';
  throw new MetalFaissError(
    'INVALID_ARGUMENT',
    `expected 'none', 'array' or 'hashtable' (or FAISS's DirectMap codes 0, 1, 2) for the direct map type, received ${describeValue(type)}`,
  );
}

/** lo_build(listNo, offset) */
export function loBuild(listNo: number, offset: number): bigint {
  return (BigInt(listNo) << 32n) | BigInt(offset);
}
export function loListNo(lo: bigint): number {
  return Number(lo >> 32n);
}
export function loOffset(lo: bigint): number {
  return Number(lo & 0xffffffffn);
}

export class DirectMap {
  #type: DirectMapType = 'none';
  #array: BigInt64Array = new BigInt64Array(0);
  #arraySize = 0;
  #hash = new Map<bigint, bigint>();

  get type(): DirectMapType {
    return this.#type;
  }

  /** FAISS's DirectMap::no(): true when there is no map. */
  get isNone(): boolean {
    return this.#type === 'none';
  }

  /** The Array map (lo per id, -1 for none), length ntotal; empty for other types. */
  get array(): BigInt64Array {
    return this.#array.subarray(0, this.#arraySize);
  }

  /** The Hashtable map's entries (id -> lo); empty for other types. */
  get hashtable(): ReadonlyMap<bigint, bigint> {
    return this.#hash;
  }

  /**
   * Switches type and rebuilds the map from the lists (FAISS's set_type).
   * Throws (leaving the map unchanged) if 'array' is asked and the ids are
   * not exactly 0..ntotal-1.
   */
  setType(type: DirectMapType, invlists: InvertedLists, ntotal: number): void {
    if (type === this.#type) return;
    if (type === 'none') {
      this.#reset('none');
      return;
    }
    if (type === 'array') {
      const array = new BigInt64Array(ntotal).fill(-1n);
      for (let l = 0; l < invlists.nlist; l++) {
        const ids = invlists.ids(l);
        for (let o = 0; o < ids.length; o++) {
          const id = ids[o];
          if (!(id >= 0n && id < BigInt(ntotal))) {
            throw new MetalFaissError(
              'UNSUPPORTED',
              `the 'array' direct map needs sequential ids 0..ntotal-1 (FAISS: "direct map supported only for sequential ids"), but list ${l} holds id ${id}; use 'hashtable'`,
            );
          }
          array[Number(id)] = loBuild(l, o);
        }
      }
      this.#reset('array');
      this.#array = array;
      this.#arraySize = ntotal;
      return;
    }
    const hash = new Map<bigint, bigint>();
    for (let l = 0; l < invlists.nlist; l++) {
      const ids = invlists.ids(l);
      for (let o = 0; o < ids.length; o++) hash.set(ids[o], loBuild(l, o));
    }
    this.#reset('hashtable');
    this.#hash = hash;
  }

  /**
   * Installs a stored map as it is (FAISS's read_direct_map, e.g. from a
   * file): for 'array', `array` holds one position (lo) per id 0..ntotal-1,
   * -1 for a vector stored in no list; for 'hashtable', `pairs` holds
   * flattened (id, lo) pairs, kept in this order. Every position must name an
   * entry of `invlists` holding that id. Throws INVALID_ARGUMENT, leaving
   * the map unchanged, otherwise.
   */
  restore(type: DirectMapType, array: BigInt64Array, pairs: BigInt64Array, invlists: InvertedLists, ntotal: number): void {
    const t = parseDirectMapType(type);
    if (!(array instanceof BigInt64Array) || !(pairs instanceof BigInt64Array)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected BigInt64Arrays for the direct map's array and pairs, received ${describeValue(array)} and ${describeValue(pairs)}`);
    }
    const wantArray = t === 'array' ? ntotal : 0;
    if (array.length !== wantArray) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected ${wantArray} entries in the '${t}' direct map's array (ntotal = ${ntotal}), received ${array.length}`);
    }
    if (t !== 'hashtable' ? pairs.length !== 0 : pairs.length % 2 !== 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected ${t === 'hashtable' ? 'an even number of' : 'no'} entries in the '${t}' direct map's pairs, received ${pairs.length}`);
    }
    const check = (id: bigint, lo: bigint, where: string): void => {
      const l = loListNo(lo);
      const o = loOffset(lo);
      if (lo < 0n || l >= invlists.nlist || o >= invlists.listSize(l) || invlists.getSingleId(l, o) !== id) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected the direct map's ${where} to give the list position of id ${id}, received ${lo} (list ${l}, offset ${o}), which does not hold it`);
      }
    };
    const hash = new Map<bigint, bigint>();
    if (t === 'array') {
      for (let i = 0; i < array.length; i++) if (array[i] !== -1n) check(BigInt(i), array[i], `array[${i}]`);
    } else if (t === 'hashtable') {
      for (let j = 0; j < pairs.length; j += 2) {
        if (hash.has(pairs[j])) throw new MetalFaissError('INVALID_ARGUMENT', `expected distinct ids in the direct map's pairs, received id ${pairs[j]} twice`);
        check(pairs[j], pairs[j + 1], `pair ${j / 2}`);
        hash.set(pairs[j], pairs[j + 1]);
      }
    }
    this.#reset(t);
    if (t === 'array') {
      this.#array = array.slice();
      this.#arraySize = ntotal;
    } else if (t === 'hashtable') {
      this.#hash = hash;
    }
  }

  #reset(type: DirectMapType): void {
    this.#type = type;
    this.#array = new BigInt64Array(0);
    this.#arraySize = 0;
    this.#hash = new Map();
  }

  /** Empties the map, keeping its type. */
  clear(): void {
    this.#reset(this.#type);
  }

  /** FAISS's check_can_add: the array map cannot take caller-chosen ids. */
  checkCanAdd(withIds: boolean): void {
    if (this.#type === 'array' && withIds) {
      throw new MetalFaissError(
        'UNSUPPORTED',
        "addWithIds is not supported with the 'array' direct map (FAISS: \"cannot have array direct map and add with ids\"); use add, or the 'hashtable' direct map",
      );
    }
  }

  /**
   * Records a batch of added entries: ids[i] went to (listNos[i], offsets[i]);
   * listNos[i] < 0 means the vector was not stored (array map keeps -1).
   * For the array map, ids must be ntotal, ntotal+1, ... (checked by the caller).
   */
  addBatch(ids: BigInt64Array, listNos: Int32Array, offsets: Int32Array): void {
    const n = ids.length;
    if (this.#type === 'array') {
      const need = this.#arraySize + n;
      if (need > this.#array.length) {
        const next = new BigInt64Array(Math.max(need, Math.ceil(this.#array.length * 1.5)));
        next.set(this.#array.subarray(0, this.#arraySize));
        this.#array = next;
      }
      for (let i = 0; i < n; i++) this.#array[this.#arraySize + i] = listNos[i] >= 0 ? loBuild(listNos[i], offsets[i]) : -1n;
      this.#arraySize = need;
    } else if (this.#type === 'hashtable') {
      for (let i = 0; i < n; i++) if (listNos[i] >= 0) this.#hash.set(ids[i], loBuild(listNos[i], offsets[i]));
    }
  }

  /** The packed position of an id (FAISS's DirectMap::get); throws INVALID_ARGUMENT when absent. */
  get(id: bigint): bigint {
    if (this.#type === 'array') {
      if (!(id >= 0n && id < BigInt(this.#arraySize))) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected an id in [0, ${this.#arraySize}) for reconstruct, received ${id} (FAISS: "invalid key")`);
      }
      const lo = this.#array[Number(id)];
      if (lo < 0n) throw new MetalFaissError('INVALID_ARGUMENT', `id ${id} was not stored in any list (FAISS: "-1 entry in direct_map")`);
      return lo;
    }
    if (this.#type === 'hashtable') {
      const lo = this.#hash.get(id);
      if (lo === undefined) throw new MetalFaissError('INVALID_ARGUMENT', `expected an id present in the index for reconstruct, received ${id} (FAISS: "key not found")`);
      return lo;
    }
    throw new MetalFaissError(
      'UNSUPPORTED',
      "reconstruct needs a direct map (FAISS: \"direct map not initialized\"); call makeDirectMap() or setDirectMapType('array' | 'hashtable') first",
    );
  }

  /** Hashtable bookkeeping for a removal: `id` left, `movedId` moved to (listNo, offset). */
  onRemoved(id: bigint): void {
    if (this.#type === 'hashtable') this.#hash.delete(id);
  }
  onMoved(id: bigint, listNo: number, offset: number): void {
    if (this.#type === 'hashtable') this.#hash.set(id, loBuild(listNo, offset));
  }

  memoryBytes(): number {
    if (this.#type === 'array') return this.#array.byteLength;
    if (this.#type === 'hashtable') return this.#hash.size * 32; // an estimate: two 64-bit values plus table overhead
    return 0;
  }
}
