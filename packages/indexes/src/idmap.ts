/**
 * IndexIDMap / IndexIDMap2 (FAISS's names): any index plus a table that maps
 * its sequential labels to caller-chosen 64-bit ids. IDMap2 also keeps the
 * reverse map, so vectors can be reconstructed by id.
 *
 * The id table is copy-on-write for removals (appends go past the end), so an
 * async search maps its labels through the table as it was when it started.
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { Index, type RangeSearchResult, type SearchParameters, type SearchResult } from './index-base';
import { type IDSelector, toSelector } from './selector';
import { type IdsInput, toId, toIds } from './validate';
import { type AsyncOptions, signalOf, throwIfAborted } from './abort';

let adopting = false;

export class IndexIDMap<Sub extends Index = Index> extends Index {
  /** the wrapped index (FAISS's `index`) */
  readonly index: Sub;
  #ids: BigInt64Array = new BigInt64Array(0);
  #n = 0;

  constructor(index: Sub) {
    if (!(index instanceof Index)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an Index for IndexIDMap's index, received ${typeof index}`);
    }
    if (index.ntotal !== 0 && !adopting) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an empty index for IndexIDMap (FAISS requires ntotal == 0), received ntotal = ${index.ntotal}`);
    }
    super(index.d, index.metricType);
    this.index = index;
  }

  /**
   * An IndexIDMap (or IndexIDMap2 with `withReverse`) over an index that
   * already holds vectors, with their ids (one per vector, in storage order).
   * Used by deserialisation.
   */
  static fromParts<S extends Index>(index: S, idMap: BigInt64Array, withReverse = false): IndexIDMap<S> {
    if (!(idMap instanceof BigInt64Array) || idMap.length !== index.ntotal) {
      throw new MetalFaissError(
        'DIMENSION_MISMATCH',
        `expected a BigInt64Array of ${index.ntotal} ids (the index's ntotal) for idMap, received ${idMap instanceof BigInt64Array ? `length ${idMap.length}` : typeof idMap}`,
      );
    }
    adopting = true;
    let m: IndexIDMap<S>;
    try {
      m = withReverse ? new IndexIDMap2(index) : new IndexIDMap(index);
    } finally {
      adopting = false;
    }
    m.beforeAdd(idMap);
    m.#append(idMap);
    return m;
  }

  get ntotal(): number {
    return this.#n;
  }
  get isTrained(): boolean {
    return this.index.isTrained;
  }

  /** The id of every stored vector, in storage order (FAISS's id_map). */
  get idMap(): BigInt64Array {
    return this.#ids.subarray(0, this.#n);
  }

  trainSync(x: VectorsInput): void {
    this.index.trainSync(x);
  }
  async train(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    await this.index.train(x, options);
  }

  addSync(_x: VectorsInput): void {
    throw this.unsupported('add', 'an IndexIDMap needs ids: use addWithIds');
  }

  addWithIdsSync(x: VectorsInput, ids: IdsInput): void {
    const m = asMatrix(x, this.d, { name: 'x' });
    const idArr = toIds(ids, m.rows);
    this.beforeAdd(idArr);
    this.index.addSync(m.data);
    this.#append(idArr);
  }

  /**
   * Async adds run one at a time in call order. Each writes its ids into the
   * table past the committed count *before* the wrapped index adds the
   * vectors, so a search that starts once the vectors are visible always
   * finds their ids (the wrapped index may make them visible before this
   * method resumes). An abort or a failure leaves the index as it was.
   */
  async addWithIds(x: VectorsInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    const method = `${this.typeName}.addWithIds`;
    const signal = signalOf(options, method);
    throwIfAborted(signal, method);
    const m = asMatrix(x, this.d, { name: 'x' });
    const idArr = toIds(ids, m.rows);
    const turn = this.#queue.then(async () => {
      throwIfAborted(signal, method);
      this.beforeAdd(idArr);
      this.#stage(idArr);
      await this.index.add(m.data, options); // an abort rejects here, before any id is committed
      this.#commit(idArr);
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  #queue: Promise<void> = Promise.resolve();

  /** Writes ids at positions [n, n + ids.length) without committing them (copy-on-grow). */
  #stage(ids: BigInt64Array): void {
    const need = this.#n + ids.length;
    if (need > this.#ids.length) {
      const next = new BigInt64Array(Math.max(need, this.#ids.length * 2));
      next.set(this.#ids.subarray(0, this.#n));
      this.#ids = next;
    }
    this.#ids.set(ids, this.#n);
  }

  /** Commits staged ids once the wrapped index holds their vectors. */
  #commit(ids: BigInt64Array): void {
    const inner = this.index.ntotal;
    if (inner === this.#n + ids.length) {
      this.#append(ids);
    } else if (inner !== this.#n) {
      throw new MetalFaissError(
        'NATIVE',
        `${this.typeName}.addWithIds: the wrapped index holds ${inner} vectors, expected ${this.#n + ids.length} (${this.#n} + ${ids.length} added); ` +
          'it was mutated directly while the add ran',
      );
    } // else: reset (or emptied) while the add ran, after the vectors landed: nothing to commit
  }

  /** Hook for IDMap2 (duplicate checks); throws to refuse the add. */
  protected beforeAdd(_ids: BigInt64Array): void {}

  #append(ids: BigInt64Array): void {
    const need = this.#n + ids.length;
    if (need > this.#ids.length) {
      const next = new BigInt64Array(Math.max(need, this.#ids.length * 2));
      next.set(this.#ids.subarray(0, this.#n));
      this.#ids = next;
    }
    this.#ids.set(ids, this.#n);
    this.afterAdd(ids, this.#n);
    this.#n = need;
  }

  protected afterAdd(_ids: BigInt64Array, _firstPosition: number): void {}

  #mapLabels(labels: BigInt64Array, table: BigInt64Array): BigInt64Array {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i];
      if (l >= 0n) labels[i] = table[Number(l)];
    }
    return labels;
  }

  #innerParams(params: SearchParameters | undefined, table: BigInt64Array): SearchParameters | undefined {
    if (!params?.selector) return params;
    const sel = params.selector;
    return { ...params, selector: { isMember: (pos: bigint) => sel.isMember(table[Number(pos)]) } };
  }

  searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult {
    const table = this.#ids;
    const r = this.index.searchSync(xq, k, this.#innerParams(params, table));
    this.#mapLabels(r.labels, table);
    return r;
  }

  async search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult> {
    const table = this.#ids;
    const r = await this.index.search(xq, k, this.#innerParams(params, table));
    this.#mapLabels(r.labels, table);
    return r;
  }

  rangeSearchSync(xq: VectorsInput, radius: number, params?: SearchParameters): RangeSearchResult {
    const table = this.#ids;
    const r = this.index.rangeSearchSync(xq, radius, this.#innerParams(params, table));
    this.#mapLabels(r.labels, table);
    return r;
  }

  async rangeSearch(xq: VectorsInput, radius: number, params?: SearchParameters): Promise<RangeSearchResult> {
    const table = this.#ids;
    const r = await this.index.rangeSearch(xq, radius, this.#innerParams(params, table));
    this.#mapLabels(r.labels, table);
    return r;
  }

  /**
   * Removes the vectors whose ids the selector names. The wrapped index must
   * support removal and compact in order (as IndexFlat does).
   */
  removeIds(sel: IDSelector | IdsInput): number {
    const selector = toSelector(sel);
    const table = this.#ids;
    const n = this.#n;
    const removed = this.index.removeIds({ isMember: (pos: bigint) => selector.isMember(table[Number(pos)]) });
    if (removed === 0) return 0;
    const next = new BigInt64Array(n - removed);
    let j = 0;
    for (let i = 0; i < n; i++) if (!selector.isMember(table[i])) next[j++] = table[i];
    if (j !== n - removed) {
      throw new MetalFaissError('NATIVE', `IndexIDMap.removeIds: the wrapped index removed ${removed} vectors but ${n - j} ids matched`);
    }
    this.#ids = next;
    this.#n = j;
    this.afterRemove();
    return removed;
  }

  protected afterRemove(): void {}

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

/** IndexIDMap that also maps ids back to positions, so `reconstruct(id)` works. */
export class IndexIDMap2<Sub extends Index = Index> extends IndexIDMap<Sub> {
  #rev = new Map<bigint, number>();

  protected beforeAdd(ids: BigInt64Array): void {
    const seen = new Set<bigint>();
    for (let i = 0; i < ids.length; i++) {
      if (this.#rev.has(ids[i]) || seen.has(ids[i])) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected ids not yet in the index for IndexIDMap2.addWithIds, received duplicate id ${ids[i]}`);
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

  reconstruct(key: number | bigint): Float32Array {
    const id = toId(key, 'key');
    const pos = this.#rev.get(id);
    if (pos === undefined) throw new MetalFaissError('INVALID_ARGUMENT', `expected an id present in the index for reconstruct, received ${id}`);
    return this.index.reconstruct(pos);
  }

  reconstructN(_i0: number, _n: number): Float32Array {
    throw this.unsupported('reconstructN', 'ids of an IndexIDMap2 are not sequential; call reconstruct(id) per id');
  }
}
