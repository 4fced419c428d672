/**
 * IndexBinaryIDMap / IndexBinaryIDMap2 (FAISS's names): any binary index
 * plus a table mapping its sequential labels to caller-chosen 64-bit ids;
 * IDMap2 keeps the reverse map too, so codes can be reconstructed by id.
 *
 * Same contract and same bookkeeping (IdMapTable) as IndexIDMap: the id table
 * is copy-on-write for removals (appends go past the end), so an async search
 * maps its labels through the table as it was when it started; async adds run
 * one at a time, staging their ids before the wrapped index makes the codes
 * visible.
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import type { IDSelector } from '../selector';
import { type IdsInput, toId, toIds } from '../validate';
import { type AsyncOptions, signalOf, throwIfAborted } from '../abort';
import { IdMapTable, adoptingFilledIndex, checkEmptyForIdMap } from '../idmap';
import {
  IndexBinary,
  type BinaryRangeSearchResult,
  type BinarySearchParameters,
  type BinarySearchResult,
  type CodesInput,
  asCodes,
} from './index-binary';

export class IndexBinaryIDMap<Sub extends IndexBinary = IndexBinary> extends IndexBinary {
  /** the wrapped index (FAISS's `index`) */
  readonly index: Sub;
  protected readonly ids: IdMapTable;

  constructor(index: Sub) {
    if (!(index instanceof IndexBinary)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an IndexBinary for IndexBinaryIDMap's index, received ${typeof index}`);
    }
    checkEmptyForIdMap(index.ntotal, 'IndexBinaryIDMap');
    super(index.d);
    this.index = index;
    const two = this instanceof IndexBinaryIDMap2;
    this.ids = new IdMapTable(two ? 'IndexBinaryIDMap2' : 'IndexBinaryIDMap', two, 'codes');
  }

  /** An IDMap (IDMap2 with `withReverse`) over an index already holding codes, with their ids (deserialisation). */
  static fromParts<S extends IndexBinary>(index: S, idMap: BigInt64Array, withReverse = false): IndexBinaryIDMap<S> {
    if (!(idMap instanceof BigInt64Array) || idMap.length !== index.ntotal) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected a BigInt64Array of ${index.ntotal} ids (the index's ntotal) for idMap`);
    }
    const m: IndexBinaryIDMap<S> = adoptingFilledIndex(() => (withReverse ? new IndexBinaryIDMap2(index) : new IndexBinaryIDMap(index)));
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
  /** The id of every stored code, in storage order (FAISS's id_map). */
  get idMap(): BigInt64Array {
    return this.ids.idMap;
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
    this.ids.addSync(toIds(ids, c.rows), () => this.index.addSync(c.data));
  }

  /** Async adds run one at a time in call order, their ids staged before the codes become visible (as IndexIDMap). */
  async addWithIds(x: CodesInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    const method = `${this.typeName}.addWithIds`;
    const signal = signalOf(options, method);
    throwIfAborted(signal, method);
    const c = asCodes(x, this.codeSize);
    const idArr = toIds(ids, c.rows);
    return this.ids.addAsync(idArr, signal, method, () => this.index.add(c.data, options), () => this.index.ntotal);
  }

  searchSync(xq: CodesInput, k: number, params?: BinarySearchParameters): BinarySearchResult {
    return this.ids.searchThrough(params, (p) => this.index.searchSync(xq, k, p));
  }
  search(xq: CodesInput, k: number, params?: BinarySearchParameters): Promise<BinarySearchResult> {
    return this.ids.searchThroughAsync(params, (p) => this.index.search(xq, k, p));
  }
  rangeSearchSync(xq: CodesInput, radius: number, params?: BinarySearchParameters): BinaryRangeSearchResult {
    return this.ids.searchThrough(params, (p) => this.index.rangeSearchSync(xq, radius, p));
  }
  rangeSearch(xq: CodesInput, radius: number, params?: BinarySearchParameters): Promise<BinaryRangeSearchResult> {
    return this.ids.searchThroughAsync(params, (p) => this.index.rangeSearch(xq, radius, p));
  }

  /** Removes the codes whose ids the selector names (the wrapped index must support removal, compacting in order). */
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

/** IndexBinaryIDMap that also maps ids back to positions, so `reconstruct(id)` works. */
export class IndexBinaryIDMap2<Sub extends IndexBinary = IndexBinary> extends IndexBinaryIDMap<Sub> {
  reconstruct(key: number | bigint): Uint8Array {
    const id = toId(key, 'key');
    const pos = this.ids.positionOf(id);
    if (pos === undefined) throw new MetalFaissError('INVALID_ARGUMENT', `expected an id present in the index for reconstruct, received ${id}`);
    return this.index.reconstruct(pos);
  }

  reconstructN(_i0: number, _n: number): Uint8Array {
    throw this.unsupported('reconstructN', 'ids of an IndexBinaryIDMap2 are not sequential; call reconstruct(id) per id');
  }
}
