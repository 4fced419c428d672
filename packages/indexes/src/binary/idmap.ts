/**
 * IndexBinaryIDMap / IndexBinaryIDMap2 (FAISS's names): any binary index
 * plus a table mapping its sequential labels to caller-chosen 64-bit ids;
 * IDMap2 keeps the reverse map too, so codes can be reconstructed by id.
 *
 * Same contract as IndexIDMap: the id table is copy-on-write for removals
 * (appends go past the end), so an async search maps its labels through the
 * table as it was when it started; async adds run one at a time, staging
 * their ids before the wrapped index makes the codes visible.
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { type IDSelector, toSelector } from '../selector';
import { type IdsInput, toId, toIds } from '../validate';
import { type AsyncOptions, signalOf, throwIfAborted } from '../abort';
import {
  IndexBinary,
  type BinaryRangeSearchResult,
  type BinarySearchParameters,
  type BinarySearchResult,
  type CodesInput,
  asCodes,
} from './index-binary';

let adopting = false;

export class IndexBinaryIDMap<Sub extends IndexBinary = IndexBinary> extends IndexBinary {
  /** the wrapped index (FAISS's `index`) */
  readonly index: Sub;
  #ids: BigInt64Array = new BigInt64Array(0);
  #n = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(index: Sub) {
    if (!(index instanceof IndexBinary)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an IndexBinary for IndexBinaryIDMap's index, received ${typeof index}`);
    }
    if (index.ntotal !== 0 && !adopting) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an empty index for IndexBinaryIDMap (FAISS requires ntotal == 0), received ntotal = ${index.ntotal}`);
    }
    super(index.d);
    this.index = index;
  }

  /** An IDMap (IDMap2 with `withReverse`) over an index already holding codes, with their ids (deserialisation). */
  static fromParts<S extends IndexBinary>(index: S, idMap: BigInt64Array, withReverse = false): IndexBinaryIDMap<S> {
    if (!(idMap instanceof BigInt64Array) || idMap.length !== index.ntotal) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected a BigInt64Array of ${index.ntotal} ids (the index's ntotal) for idMap`);
    }
    adopting = true;
    let m: IndexBinaryIDMap<S>;
    try {
      m = withReverse ? new IndexBinaryIDMap2(index) : new IndexBinaryIDMap(index);
    } finally {
      adopting = false;
    }
    m.beforeAdd(idMap);
    m.#stage(idMap);
    m.#commit(idMap.length);
    return m;
  }

  get ntotal(): number {
    return this.#n;
  }
  get isTrained(): boolean {
    return this.index.isTrained;
  }
  /** The id of every stored code, in storage order (FAISS's id_map). */
  get idMap(): BigInt64Array {
    return this.#ids.subarray(0, this.#n);
  }

  trainSync(x: CodesInput): void {
    this.index.trainSync(x);
  }
  async train(x: CodesInput, options?: AsyncOptions): Promise<void> {
    await this.index.train(x, options);
  }

  addSync(_x: CodesInput): void {
    throw this.unsupported('add', 'an IndexBinaryIDMap needs ids: use addWithIds');
  }

  addWithIdsSync(x: CodesInput, ids: IdsInput): void {
    const c = asCodes(x, this.codeSize);
    const idArr = toIds(ids, c.rows);
    this.beforeAdd(idArr);
    this.index.addSync(c.data);
    this.#stage(idArr);
    this.#commit(idArr.length);
  }

  async addWithIds(x: CodesInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    const method = `${this.typeName}.addWithIds`;
    const signal = signalOf(options, method);
    throwIfAborted(signal, method);
    const c = asCodes(x, this.codeSize);
    const idArr = toIds(ids, c.rows);
    const turn = this.#queue.then(async () => {
      throwIfAborted(signal, method);
      this.beforeAdd(idArr);
      this.#stage(idArr);
      const n0 = this.#n;
      await this.index.add(c.data, options);
      if (this.index.ntotal === n0 + idArr.length) this.#commit(idArr.length);
      else if (this.index.ntotal !== n0) {
        throw new MetalFaissError('NATIVE', `${method}: the wrapped index holds ${this.index.ntotal} codes, expected ${n0 + idArr.length}; it was mutated directly while the add ran`);
      }
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Hook for IDMap2 (duplicate checks); throws to refuse the add. */
  protected beforeAdd(_ids: BigInt64Array): void {}
  protected afterAdd(_ids: BigInt64Array, _first: number): void {}
  protected afterRemove(): void {}

  #stage(ids: BigInt64Array): void {
    const need = this.#n + ids.length;
    if (need > this.#ids.length) {
      const next = new BigInt64Array(Math.max(need, this.#ids.length * 2));
      next.set(this.#ids.subarray(0, this.#n));
      this.#ids = next;
    }
    this.#ids.set(ids, this.#n);
  }

  #commit(n: number): void {
    const first = this.#n;
    this.#n += n;
    this.afterAdd(this.#ids.subarray(first, first + n), first);
  }

  #mapLabels(labels: BigInt64Array, table: BigInt64Array): void {
    for (let i = 0; i < labels.length; i++) if (labels[i] >= 0n) labels[i] = table[Number(labels[i])];
  }

  #inner(params: BinarySearchParameters | undefined, table: BigInt64Array): BinarySearchParameters | undefined {
    if (!params?.selector) return params;
    const sel = params.selector;
    return { ...params, selector: { isMember: (pos: bigint) => sel.isMember(table[Number(pos)]) } };
  }

  searchSync(xq: CodesInput, k: number, params?: BinarySearchParameters): BinarySearchResult {
    const table = this.#ids;
    const r = this.index.searchSync(xq, k, this.#inner(params, table));
    this.#mapLabels(r.labels, table);
    return r;
  }

  async search(xq: CodesInput, k: number, params?: BinarySearchParameters): Promise<BinarySearchResult> {
    const table = this.#ids;
    const r = await this.index.search(xq, k, this.#inner(params, table));
    this.#mapLabels(r.labels, table);
    return r;
  }

  rangeSearchSync(xq: CodesInput, radius: number, params?: BinarySearchParameters): BinaryRangeSearchResult {
    const table = this.#ids;
    const r = this.index.rangeSearchSync(xq, radius, this.#inner(params, table));
    this.#mapLabels(r.labels, table);
    return r;
  }

  async rangeSearch(xq: CodesInput, radius: number, params?: BinarySearchParameters): Promise<BinaryRangeSearchResult> {
    const table = this.#ids;
    const r = await this.index.rangeSearch(xq, radius, this.#inner(params, table));
    this.#mapLabels(r.labels, table);
    return r;
  }

  /** Removes the codes whose ids the selector names (the wrapped index must support removal, compacting in order). */
  removeIds(sel: IDSelector | IdsInput): number {
    const selector = toSelector(sel);
    const table = this.#ids;
    const n = this.#n;
    const removed = this.index.removeIds({ isMember: (pos: bigint) => selector.isMember(table[Number(pos)]) });
    if (removed === 0) return 0;
    const next = new BigInt64Array(n - removed);
    let j = 0;
    for (let i = 0; i < n; i++) if (!selector.isMember(table[i])) next[j++] = table[i];
    this.#ids = next;
    this.#n = j;
    this.afterRemove();
    return removed;
  }

  reset(): void {
    this.index.reset();
    this.#ids = new BigInt64Array(0);
    this.#n = 0;
    this.afterRemove();
  }

  memoryBytes(): number {
    return this.index.memoryBytes() + this.#n * 8;
  }
}

/** IndexBinaryIDMap that also maps ids back to positions, so `reconstruct(id)` works. */
export class IndexBinaryIDMap2<Sub extends IndexBinary = IndexBinary> extends IndexBinaryIDMap<Sub> {
  #rev = new Map<bigint, number>();

  protected beforeAdd(ids: BigInt64Array): void {
    const seen = new Set<bigint>();
    for (let i = 0; i < ids.length; i++) {
      if (this.#rev.has(ids[i]) || seen.has(ids[i])) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected ids not yet in the index for IndexBinaryIDMap2.addWithIds, received duplicate id ${ids[i]}`);
      }
      seen.add(ids[i]);
    }
  }

  protected afterAdd(ids: BigInt64Array, first: number): void {
    for (let i = 0; i < ids.length; i++) this.#rev.set(ids[i], first + i);
  }

  protected afterRemove(): void {
    this.#rev = new Map();
    const ids = this.idMap;
    for (let i = 0; i < ids.length; i++) this.#rev.set(ids[i], i);
  }

  reconstruct(key: number | bigint): Uint8Array {
    const id = toId(key, 'key');
    const pos = this.#rev.get(id);
    if (pos === undefined) throw new MetalFaissError('INVALID_ARGUMENT', `expected an id present in the index for reconstruct, received ${id}`);
    return this.index.reconstruct(pos);
  }

  reconstructN(_i0: number, _n: number): Uint8Array {
    throw this.unsupported('reconstructN', 'ids of an IndexBinaryIDMap2 are not sequential; call reconstruct(id) per id');
  }
}
