/**
 * Inverted lists (FAISS's faiss/invlists/InvertedLists.h): `nlist` lists of
 * entries, each entry an opaque code of `codeSize` bytes plus a 64-bit id.
 * The IVF index decides what a code means (raw float32 vector for
 * IndexIVFFlat, PQ/SQ bytes for the other codecs); the lists only store bytes.
 *
 * Thread-safety / consistency contract (JS is single threaded, but async
 * searches run native code on other threads while the JS thread mutates):
 * - `snapshot()` returns an immutable view of every list (buffers + sizes) as
 *   it is now. A snapshot stays valid and unchanged forever: later
 *   mutations never write into bytes a snapshot can see. They append past the
 *   sizes it recorded, or copy the list to a fresh buffer first
 *   (copy-on-write). Kernels may read a snapshot from any thread.
 * - `codes(l)` / `ids(l)` return views that are valid until the next mutation
 *   of list l; callers must not write through them.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';

/** A consistent, immutable view of all lists, taken by `InvertedLists.snapshot()`. */
export interface InvertedListsSnapshot {
  readonly nlist: number;
  readonly codeSize: number;
  /** entries per list (length nlist) */
  readonly sizes: Int32Array;
  /** per list: a buffer whose first sizes[l] * codeSize bytes are the codes (may be longer) */
  readonly codes: readonly Uint8Array[];
  /** per list: a buffer whose first sizes[l] entries are the ids (may be longer) */
  readonly ids: readonly BigInt64Array[];
  /** sum of sizes */
  readonly ntotal: number;
}

/** Storage of an IVF index: lists of (id, code) entries. */
export interface InvertedLists {
  readonly nlist: number;
  /** bytes per code */
  readonly codeSize: number;
  /** number of entries in list `listNo` */
  listSize(listNo: number): number;
  /** the codes of a list: Uint8Array of listSize * codeSize bytes (read-only view) */
  codes(listNo: number): Uint8Array;
  /** the ids of a list: BigInt64Array of listSize entries (read-only view) */
  ids(listNo: number): BigInt64Array;
  getSingleId(listNo: number, offset: number): bigint;
  /** a copy of one code (codeSize bytes) */
  getSingleCode(listNo: number, offset: number): Uint8Array;
  /**
   * Appends n entries to a list: ids (length n) and codes (n * codeSize bytes).
   * Returns the offset of the first new entry.
   */
  addEntries(listNo: number, ids: BigInt64Array, codes: Uint8Array): number;
  addEntry(listNo: number, id: bigint, code: Uint8Array): number;
  /** Overwrites entries [offset, offset + ids.length) of a list. */
  updateEntries(listNo: number, offset: number, ids: BigInt64Array, codes: Uint8Array): void;
  /** Truncates (or, with garbage entries, extends) a list to newSize entries. */
  resize(listNo: number, newSize: number): void;
  /** Empties every list. */
  reset(): void;
  /**
   * Appends every list of `other` to the same list here, adding `addId` to
   * its ids, then empties `other` (FAISS's InvertedLists::merge_from).
   */
  mergeFrom(other: InvertedLists, addId: bigint): void;
  /** sum of the list sizes */
  computeNtotal(): number;
  /** FAISS's imbalance factor of the list sizes (1 = perfectly balanced) */
  imbalanceFactor(): number;
  /** bytes held by the lists' buffers (capacity, not just the used part) */
  memoryBytes(): number;
  /** An immutable view of every list for a search (see the contract above). */
  snapshot(): InvertedListsSnapshot;
}

export function checkListNo(listNo: unknown, nlist: number): number {
  if (typeof listNo !== 'number' || !Number.isInteger(listNo) || listNo < 0 || listNo >= nlist) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a list number in [0, ${nlist}) for listNo, received ${describeValue(listNo)}`);
  }
  return listNo;
}

/** FAISS's imbalance_factor over a histogram: k * sum(h^2) / (sum h)^2. */
export function imbalanceFactorOf(hist: ArrayLike<number>): number {
  let tot = 0;
  let uf = 0;
  for (let i = 0; i < hist.length; i++) {
    tot += hist[i];
    uf += hist[i] * hist[i];
  }
  return tot === 0 ? Number.NaN : (uf * hist.length) / (tot * tot);
}

interface List {
  codes: Uint8Array;
  ids: BigInt64Array;
  size: number;
  /** entries [0, exposed) may be read by a snapshot: never overwrite them in place */
  exposed: number;
}

const EMPTY_CODES = new Uint8Array(0);
const EMPTY_IDS = new BigInt64Array(0);

function emptyList(): List {
  return { codes: EMPTY_CODES, ids: EMPTY_IDS, size: 0, exposed: 0 };
}

/**
 * The default storage (FAISS's ArrayInvertedLists): one growable codes
 * buffer and one ids buffer per list. A list that grows from empty gets
 * exactly the room it needs; a list that outgrows its buffer gets 1/8 more
 * than it needs, so repeated small adds stay amortised O(1) while a bulk add
 * wastes nothing. Codes buffers start at byte 0 of their own ArrayBuffer, so
 * float codes are 4-byte aligned.
 */
export class ArrayInvertedLists implements InvertedLists {
  readonly nlist: number;
  readonly codeSize: number;
  #lists: List[];
  #version = 0;
  #snapshot: InvertedListsSnapshot | null = null;

  constructor(nlist: number, codeSize: number) {
    if (!Number.isInteger(nlist) || nlist < 1 || nlist > 2 ** 31 - 1) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [1, 2147483647] for nlist, received ${describeValue(nlist)}`);
    }
    if (!Number.isInteger(codeSize) || codeSize < 1 || codeSize > 2 ** 30) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [1, 1073741824] for codeSize, received ${describeValue(codeSize)}`);
    }
    this.nlist = nlist;
    this.codeSize = codeSize;
    this.#lists = Array.from({ length: nlist }, emptyList);
  }

  #list(listNo: number): List {
    return this.#lists[checkListNo(listNo, this.nlist)];
  }

  listSize(listNo: number): number {
    return this.#list(listNo).size;
  }

  codes(listNo: number): Uint8Array {
    const l = this.#list(listNo);
    return l.codes.subarray(0, l.size * this.codeSize);
  }

  ids(listNo: number): BigInt64Array {
    const l = this.#list(listNo);
    return l.ids.subarray(0, l.size);
  }

  getSingleId(listNo: number, offset: number): bigint {
    const l = this.#list(listNo);
    checkOffset(offset, l.size);
    return l.ids[offset];
  }

  getSingleCode(listNo: number, offset: number): Uint8Array {
    const l = this.#list(listNo);
    checkOffset(offset, l.size);
    return l.codes.slice(offset * this.codeSize, (offset + 1) * this.codeSize);
  }

  #changed(): void {
    this.#version++;
    this.#snapshot = null;
  }

  /** Makes room for `capacity` entries with entries [keep, ...) writable in place. */
  #prepare(l: List, capacity: number, writeFrom: number): void {
    const cs = this.codeSize;
    const fits = capacity <= l.ids.length;
    if (fits && writeFrom >= l.exposed) return;
    let cap = capacity;
    if (!fits) cap = l.size === 0 ? capacity : Math.max(capacity, Math.ceil(l.size * 1.125));
    else cap = l.ids.length;
    let codes: Uint8Array;
    let ids: BigInt64Array;
    try {
      codes = new Uint8Array(cap * cs);
      ids = new BigInt64Array(cap);
    } catch (cause) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected memory for ${cap} entries of ${cs} bytes in one inverted list, could not allocate`, { cause });
    }
    codes.set(l.codes.subarray(0, l.size * cs));
    ids.set(l.ids.subarray(0, l.size));
    l.codes = codes;
    l.ids = ids;
    l.exposed = 0;
  }

  addEntries(listNo: number, ids: BigInt64Array, codes: Uint8Array): number {
    const l = this.#list(listNo);
    const n = checkEntries(ids, codes, this.codeSize);
    const o = l.size;
    if (n === 0) return o;
    this.#prepare(l, o + n, o);
    l.ids.set(ids, o);
    l.codes.set(codes, o * this.codeSize);
    l.size = o + n;
    this.#changed();
    return o;
  }

  /**
   * Fills an empty list with existing buffers without copying them (e.g.
   * views of the buffer a file was read into). The list never writes into
   * adopted buffers: they count as exposed, so a later add, update or grow
   * copies the list to a fresh buffer first (copy-on-write), and other
   * holders of the same bytes never see a change. Codes whose code size is a
   * multiple of 4 but whose view is not 4-byte aligned (float codes the
   * kernels read in place) are copied once instead.
   * @throws MetalFaissError INVALID_ARGUMENT if the list is not empty or the arrays are not
   *   a BigInt64Array and a Uint8Array; DIMENSION_MISMATCH if codes.length !== ids.length * codeSize
   */
  adoptEntries(listNo: number, ids: BigInt64Array, codes: Uint8Array): void {
    const l = this.#list(listNo);
    const n = checkEntries(ids, codes, this.codeSize);
    if (l.size !== 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an empty list for adoptEntries, received list ${listNo} with ${l.size} entries`);
    }
    if (n === 0) return;
    const fresh: List = {
      codes: this.codeSize % 4 === 0 && codes.byteOffset % 4 !== 0 ? codes.slice() : codes,
      ids,
      size: n,
      exposed: n,
    };
    this.#lists[listNo] = fresh;
    this.#changed();
  }

  addEntry(listNo: number, id: bigint, code: Uint8Array): number {
    return this.addEntries(listNo, BigInt64Array.of(id), code);
  }

  updateEntries(listNo: number, offset: number, ids: BigInt64Array, codes: Uint8Array): void {
    const l = this.#list(listNo);
    const n = checkEntries(ids, codes, this.codeSize);
    if (!Number.isInteger(offset) || offset < 0 || offset + n > l.size) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected 0 <= offset and offset + n <= ${l.size} (list ${listNo} size) for updateEntries, received offset ${describeValue(offset)}, n = ${n}`,
      );
    }
    if (n === 0) return;
    this.#prepare(l, l.size, offset);
    l.ids.set(ids, offset);
    l.codes.set(codes, offset * this.codeSize);
    this.#changed();
  }

  resize(listNo: number, newSize: number): void {
    const l = this.#list(listNo);
    if (!Number.isInteger(newSize) || newSize < 0 || newSize > 2 ** 31 - 1) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= 0 for newSize, received ${describeValue(newSize)}`);
    }
    if (newSize === l.size) return;
    if (newSize === 0) {
      this.#lists[listNo] = emptyList();
    } else if (newSize < l.size) {
      l.size = newSize;
    } else {
      // growing exposes entries past the old size: they must read as zeros, in a buffer no snapshot sees
      this.#prepare(l, newSize, l.size);
      l.codes.fill(0, l.size * this.codeSize, newSize * this.codeSize);
      l.ids.fill(0n, l.size, newSize);
      l.size = newSize;
    }
    this.#changed();
  }

  reset(): void {
    this.#lists = Array.from({ length: this.nlist }, emptyList);
    this.#changed();
  }

  mergeFrom(other: InvertedLists, addId: bigint): void {
    if (other === this) throw new MetalFaissError('INVALID_ARGUMENT', 'expected another InvertedLists for mergeFrom, received the same object');
    if (other.nlist !== this.nlist || other.codeSize !== this.codeSize) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected inverted lists with nlist = ${this.nlist} and codeSize = ${this.codeSize} for mergeFrom, received nlist = ${other.nlist}, codeSize = ${other.codeSize}`,
      );
    }
    for (let i = 0; i < this.nlist; i++) {
      const n = other.listSize(i);
      if (n === 0) continue;
      let ids = other.ids(i);
      if (addId !== 0n) {
        const shifted = new BigInt64Array(n);
        for (let j = 0; j < n; j++) shifted[j] = BigInt.asIntN(64, ids[j] + addId);
        ids = shifted;
      }
      this.addEntries(i, ids, other.codes(i));
    }
    for (let i = 0; i < this.nlist; i++) if (other.listSize(i) > 0) other.resize(i, 0);
  }

  computeNtotal(): number {
    let t = 0;
    for (const l of this.#lists) t += l.size;
    return t;
  }

  imbalanceFactor(): number {
    return imbalanceFactorOf(this.#lists.map((l) => l.size));
  }

  memoryBytes(): number {
    let b = 0;
    for (const l of this.#lists) b += l.codes.byteLength + l.ids.byteLength;
    return b;
  }

  /** How many times the lists changed (a search may compare versions). */
  get version(): number {
    return this.#version;
  }

  snapshot(): InvertedListsSnapshot {
    if (this.#snapshot) return this.#snapshot;
    const n = this.nlist;
    const sizes = new Int32Array(n);
    const codes: Uint8Array[] = new Array(n);
    const ids: BigInt64Array[] = new Array(n);
    let ntotal = 0;
    for (let i = 0; i < n; i++) {
      const l = this.#lists[i];
      sizes[i] = l.size;
      codes[i] = l.codes;
      ids[i] = l.ids;
      if (l.size > l.exposed) l.exposed = l.size;
      ntotal += l.size;
    }
    const snap: InvertedListsSnapshot = Object.freeze({ nlist: n, codeSize: this.codeSize, sizes, codes, ids, ntotal });
    this.#snapshot = snap;
    return snap;
  }
}

function checkOffset(offset: unknown, size: number): void {
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset >= size) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an offset in [0, ${size}) for offset, received ${describeValue(offset)}`);
  }
}

function checkEntries(ids: unknown, codes: unknown, codeSize: number): number {
  if (!(ids instanceof BigInt64Array)) throw new MetalFaissError('INVALID_ARGUMENT', `expected BigInt64Array for ids, received ${describeValue(ids)}`);
  if (!(codes instanceof Uint8Array)) throw new MetalFaissError('INVALID_ARGUMENT', `expected Uint8Array for codes, received ${describeValue(codes)}`);
  if (codes.length !== ids.length * codeSize) {
    throw new MetalFaissError(
      'DIMENSION_MISMATCH',
      `expected Uint8Array of length ${ids.length * codeSize} (n * codeSize = ${ids.length} * ${codeSize}) for codes, received ${describeValue(codes)}`,
    );
  }
  return ids.length;
}
