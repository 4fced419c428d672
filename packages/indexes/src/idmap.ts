/**
 * IndexIDMap / IndexIDMap2 (FAISS's names): any index plus a table that maps
 * its sequential labels to caller-chosen 64-bit ids. IDMap2 also keeps the
 * reverse map, so vectors can be reconstructed by id.
 *
 * The id table is copy-on-write for removals (appends go past the end), so an
 * async search maps its labels through the table as it was when it started.
 *
 * The bookkeeping (IdMapTable) is shared with IndexBinaryIDMap(2), which wrap
 * binary indexes the same way.
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { Index, type RangeSearchResult, type SearchParameters, type SearchResult } from './index-base';
import { type IDSelector, toSelector } from './selector';
import { type IdsInput, toId, toIds } from './validate';
import { type AsyncOptions, signalOf, throwIfAborted } from './abort';

let adopting = false;

/**
 * Runs `make` (a constructor call of an ID map) allowing a wrapped index that
 * already holds vectors: what `fromParts` (deserialisation) needs.
 */
export function adoptingFilledIndex<T>(make: () => T): T {
  adopting = true;
  try {
    return make();
  } finally {
    adopting = false;
  }
}

/** FAISS requires an empty index under a new ID map (except while adopting one from a file). */
export function checkEmptyForIdMap(ntotal: number, owner: string): void {
  if (ntotal !== 0 && !adopting) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an empty index for ${owner} (FAISS requires ntotal == 0), received ntotal = ${ntotal}`);
  }
}

/**
 * The id bookkeeping of an ID map, whatever it wraps (float or binary
 * indexes): the ids in storage order, the optional reverse map (IDMap2), the
 * staging of async adds and the queue that runs them one at a time.
 *
 * Removals replace the table (copy-on-write); appends write past the
 * committed count, so a search holding `table` maps its labels consistently.
 */
export class IdMapTable {
  #ids: BigInt64Array = new BigInt64Array(0);
  #n = 0;
  #rev: Map<bigint, number> | null;
  #queue: Promise<void> = Promise.resolve();

  /**
   * @param owner the class name used in messages ('IndexIDMap2', ...)
   * @param withReverse keep id -> position (IDMap2: unique ids, reconstruct by id)
   * @param units what the wrapped index stores, for messages ('vectors', 'codes')
   */
  constructor(
    readonly owner: string,
    withReverse: boolean,
    readonly units: string,
  ) {
    this.#rev = withReverse ? new Map() : null;
  }

  /** committed ids */
  get size(): number {
    return this.#n;
  }

  /** The id of every stored entry, in storage order (a view). */
  get idMap(): BigInt64Array {
    return this.#ids.subarray(0, this.#n);
  }

  /** The table as it is now; a search maps its labels through it. */
  get table(): BigInt64Array {
    return this.#ids;
  }

  /** The position of an id (IDMap2 only), or undefined. */
  positionOf(id: bigint): number | undefined {
    return this.#rev?.get(id);
  }

  /** IDMap2: refuses ids already present or repeated in the batch (INVALID_ARGUMENT). */
  checkNew(ids: BigInt64Array): void {
    const rev = this.#rev;
    if (!rev) return;
    const seen = new Set<bigint>();
    for (let i = 0; i < ids.length; i++) {
      if (rev.has(ids[i]) || seen.has(ids[i])) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected ids not yet in the index for ${this.owner}.addWithIds, received duplicate id ${ids[i]}`);
      }
      seen.add(ids[i]);
    }
  }

  /** Writes ids at positions [size, size + ids.length) without committing them (copy-on-grow). */
  stage(ids: BigInt64Array): void {
    const need = this.#n + ids.length;
    if (need > this.#ids.length) {
      const next = new BigInt64Array(Math.max(need, this.#ids.length * 2));
      next.set(this.#ids.subarray(0, this.#n));
      this.#ids = next;
    }
    this.#ids.set(ids, this.#n);
  }

  /** Stages and commits ids whose entries the wrapped index already holds. */
  append(ids: BigInt64Array): void {
    this.stage(ids);
    const first = this.#n;
    this.#n = first + ids.length;
    if (this.#rev) for (let i = 0; i < ids.length; i++) this.#rev.set(ids[i], first + i);
  }

  /**
   * Commits the ids of an async add once the wrapped index (now holding
   * `inner` entries) has them; nothing when it was reset meanwhile.
   * @throws MetalFaissError NATIVE when the wrapped index was mutated directly
   */
  settle(ids: BigInt64Array, inner: number, method: string): void {
    if (inner === this.#n + ids.length) {
      this.append(ids);
    } else if (inner !== this.#n) {
      throw new MetalFaissError(
        'NATIVE',
        `${method}: the wrapped index holds ${inner} ${this.units}, expected ${this.#n + ids.length} (${this.#n} + ${ids.length} added); ` +
          'it was mutated directly while the add ran',
      );
    } // else: reset (or emptied) while the add ran, after the entries landed: nothing to commit
  }

  /** Runs async adds one at a time, in call order; a failure does not block the next. */
  enqueue(turn: () => Promise<void>): Promise<void> {
    const p = this.#queue.then(turn);
    this.#queue = p.catch(() => undefined);
    return p;
  }

  /** A synchronous add with ids: checked (IDMap2), `add` stores the entries, then the ids are committed. */
  addSync(ids: BigInt64Array, add: () => void): void {
    this.checkNew(ids);
    add();
    this.append(ids);
  }

  /**
   * An async add with ids, queued behind earlier ones. The ids are staged
   * *before* `add` runs, so a search that starts once the wrapped index makes
   * the entries visible always finds their ids (it may do so before `add`
   * resolves); they are committed after. An abort (checked when the turn
   * starts, and by `add`) or a failure leaves the table as it was.
   */
  addAsync(ids: BigInt64Array, signal: AbortSignal | undefined, method: string, add: () => Promise<void>, inner: () => number): Promise<void> {
    return this.enqueue(async () => {
      throwIfAborted(signal, method);
      this.checkNew(ids);
      this.stage(ids);
      await add(); // an abort rejects here, before any id is committed
      this.settle(ids, inner(), method);
    });
  }

  /** A search of the wrapped index through this table: a selector over ids in, labels out as ids. */
  searchThrough<P extends { selector?: IDSelector }, R extends { labels: BigInt64Array }>(params: P | undefined, run: (inner: P | undefined) => R): R {
    const table = this.#ids;
    const r = run(IdMapTable.innerParams(params, table));
    IdMapTable.mapLabels(r.labels, table);
    return r;
  }

  /** searchThrough for an async search; the labels map through the table as it was when the search started. */
  async searchThroughAsync<P extends { selector?: IDSelector }, R extends { labels: BigInt64Array }>(
    params: P | undefined,
    run: (inner: P | undefined) => Promise<R>,
  ): Promise<R> {
    const table = this.#ids;
    const r = await run(IdMapTable.innerParams(params, table));
    IdMapTable.mapLabels(r.labels, table);
    return r;
  }

  /** Labels (positions) of the wrapped index mapped to ids, in place; -1 stays. */
  static mapLabels(labels: BigInt64Array, table: BigInt64Array): BigInt64Array {
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i];
      if (l >= 0n) labels[i] = table[Number(l)];
    }
    return labels;
  }

  /** Search parameters for the wrapped index: a selector over ids becomes one over positions. */
  static innerParams<P extends { selector?: IDSelector }>(params: P | undefined, table: BigInt64Array): P | undefined {
    if (!params?.selector) return params;
    const sel = params.selector;
    return { ...params, selector: { isMember: (pos: bigint) => sel.isMember(table[Number(pos)]) } };
  }

  /**
   * Removes the entries whose ids `sel` names through `removeInner` (the
   * wrapped index's removeIds, given a selector over positions; it must
   * compact in order). Returns how many were removed.
   */
  remove(sel: IDSelector | IdsInput, removeInner: (positions: IDSelector) => number): number {
    const selector = toSelector(sel);
    const table = this.#ids;
    const n = this.#n;
    const removed = removeInner({ isMember: (pos: bigint) => selector.isMember(table[Number(pos)]) });
    if (removed === 0) return 0;
    const next = new BigInt64Array(n - removed);
    let j = 0;
    for (let i = 0; i < n; i++) if (!selector.isMember(table[i])) next[j++] = table[i];
    if (j !== n - removed) {
      throw new MetalFaissError('NATIVE', `${this.owner}.removeIds: the wrapped index removed ${removed} ${this.units} but ${n - j} ids matched`);
    }
    this.#ids = next;
    this.#n = j;
    this.#rebuildReverse();
    return removed;
  }

  clear(): void {
    this.#ids = new BigInt64Array(0);
    this.#n = 0;
    this.#rebuildReverse();
  }

  #rebuildReverse(): void {
    if (!this.#rev) return;
    const rev = new Map<bigint, number>();
    const ids = this.idMap;
    for (let i = 0; i < ids.length; i++) rev.set(ids[i], i);
    this.#rev = rev;
  }
}

export class IndexIDMap<Sub extends Index = Index> extends Index {
  /** the wrapped index (FAISS's `index`) */
  readonly index: Sub;
  protected readonly ids: IdMapTable;

  constructor(index: Sub) {
    if (!(index instanceof Index)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an Index for IndexIDMap's index, received ${typeof index}`);
    }
    checkEmptyForIdMap(index.ntotal, 'IndexIDMap');
    super(index.d, index.metricType);
    this.index = index;
    const two = this instanceof IndexIDMap2;
    this.ids = new IdMapTable(two ? 'IndexIDMap2' : 'IndexIDMap', two, 'vectors');
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
    const m: IndexIDMap<S> = adoptingFilledIndex(() => (withReverse ? new IndexIDMap2(index) : new IndexIDMap(index)));
    m.ids.checkNew(idMap);
    m.ids.append(idMap);
    return m;
  }

  get ntotal(): number {
    return this.ids.size;
  }
  get isTrained(): boolean {
    return this.index.isTrained;
  }

  /** The id of every stored vector, in storage order (FAISS's id_map). */
  get idMap(): BigInt64Array {
    return this.ids.idMap;
  }

  trainSync(x: VectorsInput): void {
    this.index.trainSync(x);
  }
  /** Trains the wrapped index; `options` are its train options (e.g. an IVF's `onProgress`). */
  async train(x: VectorsInput, options?: Parameters<Sub['train']>[1]): Promise<void> {
    await this.index.train(x, options);
  }

  addSync(_x: VectorsInput): void {
    throw this.unsupported('add', 'an IndexIDMap needs ids: use addWithIds');
  }

  addWithIdsSync(x: VectorsInput, ids: IdsInput): void {
    const m = asMatrix(x, this.d, { name: 'x' });
    this.ids.addSync(toIds(ids, m.rows), () => this.index.addSync(m.data));
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
    return this.ids.addAsync(idArr, signal, method, () => this.index.add(m.data, options), () => this.index.ntotal);
  }

  searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult {
    return this.ids.searchThrough(params, (p) => this.index.searchSync(xq, k, p));
  }
  search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult> {
    return this.ids.searchThroughAsync(params, (p) => this.index.search(xq, k, p));
  }
  rangeSearchSync(xq: VectorsInput, radius: number, params?: SearchParameters): RangeSearchResult {
    return this.ids.searchThrough(params, (p) => this.index.rangeSearchSync(xq, radius, p));
  }
  rangeSearch(xq: VectorsInput, radius: number, params?: SearchParameters): Promise<RangeSearchResult> {
    return this.ids.searchThroughAsync(params, (p) => this.index.rangeSearch(xq, radius, p));
  }

  /**
   * Removes the vectors whose ids the selector names. The wrapped index must
   * support removal and compact in order (as IndexFlat does).
   */
  removeIds(sel: IDSelector | IdsInput): number {
    return this.ids.remove(sel, (positions) => this.index.removeIds(positions));
  }

  reset(): void {
    this.index.reset();
    this.ids.clear();
  }

  memoryBytes(): number {
    return this.index.memoryBytes() + this.ids.size * 8;
  }
}

/** IndexIDMap that also maps ids back to positions, so `reconstruct(id)` works. */
export class IndexIDMap2<Sub extends Index = Index> extends IndexIDMap<Sub> {
  reconstruct(key: number | bigint): Float32Array {
    const id = toId(key, 'key');
    const pos = this.ids.positionOf(id);
    if (pos === undefined) throw new MetalFaissError('INVALID_ARGUMENT', `expected an id present in the index for reconstruct, received ${id}`);
    return this.index.reconstruct(pos);
  }

  reconstructN(_i0: number, _n: number): Float32Array {
    throw this.unsupported('reconstructN', 'ids of an IndexIDMap2 are not sequential; call reconstruct(id) per id');
  }
}
