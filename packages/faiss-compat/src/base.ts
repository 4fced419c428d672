/**
 * FAISS Python's index surface, spelled as FAISS Python spells it, over an
 * `@metalfaiss/indexes` object (`.impl`). `const [D, I] = index.search(xq, k)`
 * mirrors `D, I = index.search(xq, k)`. Heavy methods have Promise twins with
 * an `_async` suffix that compute off the event loop.
 */
import * as ix from '@metalfaiss/indexes';
import type { VectorsInput } from '@metalfaiss/linalg';

export type SearchResultTuple = [D: Float32Array, I: BigInt64Array];
export type RangeSearchResultTuple = [lims: BigInt64Array, D: Float32Array, I: BigInt64Array];

/** FAISS's SearchParameters: `sel` restricts the ids a search may return. */
export interface SearchParameters {
  sel?: ix.IDSelector;
}

function toParams(params: SearchParameters | undefined): ix.SearchParameters | undefined {
  if (!params) return undefined;
  return { ...(params as object), selector: params.sel };
}

export class Index<T extends ix.Index = ix.Index> {
  /** the underlying @metalfaiss/indexes object */
  readonly impl: T;

  constructor(impl: T) {
    this.impl = impl;
  }

  get d(): number {
    return this.impl.d;
  }
  get ntotal(): number {
    return this.impl.ntotal;
  }
  get is_trained(): boolean {
    return this.impl.isTrained;
  }
  get metric_type(): number {
    return this.impl.metricType;
  }

  train(x: VectorsInput): void {
    this.impl.trainSync(x);
  }
  train_async(x: VectorsInput): Promise<void> {
    return this.impl.train(x);
  }

  add(x: VectorsInput): void {
    this.impl.addSync(x);
  }
  add_async(x: VectorsInput): Promise<void> {
    return this.impl.add(x);
  }

  add_with_ids(x: VectorsInput, ids: ix.IdsInput): void {
    this.impl.addWithIdsSync(x, ids);
  }
  add_with_ids_async(x: VectorsInput, ids: ix.IdsInput): Promise<void> {
    return this.impl.addWithIds(x, ids);
  }

  search(x: VectorsInput, k: number, params?: SearchParameters): SearchResultTuple {
    const r = this.impl.searchSync(x, k, toParams(params));
    return [r.distances, r.labels];
  }
  async search_async(x: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResultTuple> {
    const r = await this.impl.search(x, k, toParams(params));
    return [r.distances, r.labels];
  }

  range_search(x: VectorsInput, radius: number, params?: SearchParameters): RangeSearchResultTuple {
    const r = this.impl.rangeSearchSync(x, radius, toParams(params));
    return [r.lims, r.distances, r.labels];
  }
  async range_search_async(x: VectorsInput, radius: number, params?: SearchParameters): Promise<RangeSearchResultTuple> {
    const r = await this.impl.rangeSearch(x, radius, toParams(params));
    return [r.lims, r.distances, r.labels];
  }

  remove_ids(sel: ix.IDSelector | ix.IdsInput): number {
    return this.impl.removeIds(sel);
  }

  reconstruct(key: number | bigint): Float32Array {
    return this.impl.reconstruct(key);
  }

  reconstruct_n(i0 = 0, n = this.impl.ntotal - i0): Float32Array {
    return this.impl.reconstructN(i0, n);
  }

  reset(): void {
    this.impl.reset();
  }
}
