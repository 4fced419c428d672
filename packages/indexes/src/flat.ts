/**
 * IndexFlat: exact search over vectors stored uncompressed (FAISS's
 * IndexFlat / IndexFlatL2 / IndexFlatIP). Labels are positions 0..ntotal-1.
 *
 * Consistency under concurrent async calls: searches read a snapshot
 * (`data.subarray(0, ntotal * d)`) of the storage as it was when they started.
 * Appends write only past that snapshot (or into a new, larger buffer);
 * removals and resets install a new buffer rather than rewriting the old one,
 * which stays alive while any search still holds it. So no search ever sees
 * a torn or freed vector.
 */
import {
  MetalFaissError,
  knn,
  knnAsync,
  rangeSearch,
  rangeSearchAsync,
  type KnnArgs,
  type RangeArgs,
} from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { Index, type RangeSearchResult, type SearchParameters, type SearchResult } from './index-base';
import { MetricType, parseMetric, type MetricInput, isSimilarity } from './metric';
import { type IDSelector, toSelector } from './selector';
import { checkDimension, checkK, checkKey, checkRadius, checkResultSize, type IdsInput } from './validate';

export interface IndexFlatOptions {
  /** 'l2' (default) or 'ip' (inner product), or FAISS's metric code */
  metric?: MetricInput;
}

interface Snapshot {
  xb: Float32Array;
  ntotal: number;
}

export class IndexFlat extends Index {
  #data: Float32Array;
  #ntotal = 0;

  constructor(d: number, options: IndexFlatOptions = {}) {
    super(checkDimension(d), parseMetric(options.metric));
    this.#data = new Float32Array(0);
  }

  /**
   * An IndexFlat that takes ownership of `xb` (ntotal * d floats, row-major)
   * without copying it: the caller must not modify the array afterwards.
   * Used by deserialisation so that a large file is held once in memory.
   * Values are not checked for finiteness (a file may hold any float).
   */
  static fromVectors<T extends IndexFlat>(this: new (d: number, options?: IndexFlatOptions) => T, d: number, xb: Float32Array, options?: IndexFlatOptions): T {
    const index = new this(d, options);
    if (!(xb instanceof Float32Array) || xb.length % index.d !== 0) {
      throw new MetalFaissError(
        'DIMENSION_MISMATCH',
        `expected a Float32Array whose length is a multiple of d = ${index.d} for xb, received ${xb instanceof Float32Array ? `Float32Array of length ${xb.length}` : typeof xb}`,
      );
    }
    index.#data = xb;
    index.#ntotal = xb.length / index.d;
    return index;
  }

  get ntotal(): number {
    return this.#ntotal;
  }

  get isTrained(): boolean {
    return true;
  }

  /** A read-only view of the stored vectors (ntotal * d). Do not mutate. */
  get vectors(): Float32Array {
    return this.#data.subarray(0, this.#ntotal * this.d);
  }

  trainSync(x: VectorsInput): void {
    asMatrix(x, this.d, { name: 'x' }); // validate only: a flat index needs no training
  }

  addSync(x: VectorsInput): void {
    const m = asMatrix(x, this.d, { name: 'x' });
    this.appendRows(m.data, m.rows);
  }

  /** Appends n rows; never rewrites rows a running search may be reading. */
  protected appendRows(rows: Float32Array, n: number): void {
    if (n === 0) return;
    const d = this.d;
    const need = (this.#ntotal + n) * d;
    if (need > this.#data.length) {
      const cap = Math.max(need, Math.min(this.#data.length * 2, need + 64 * 1024 * 1024));
      let next: Float32Array;
      try {
        next = new Float32Array(cap);
      } catch (cause) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected room for ${this.#ntotal + n} vectors of d = ${d}, could not allocate ${cap * 4} bytes`, { cause });
      }
      next.set(this.#data.subarray(0, this.#ntotal * d));
      this.#data = next;
    }
    this.#data.set(rows, this.#ntotal * d);
    this.#ntotal += n;
  }

  protected snapshot(): Snapshot {
    return { xb: this.#data.subarray(0, this.#ntotal * this.d), ntotal: this.#ntotal };
  }

  #knnArgs(xq: VectorsInput, k: number, snap: Snapshot): KnnArgs {
    checkK(k);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    checkResultSize(q.rows, k);
    return {
      xq: q.data,
      xb: snap.xb,
      nq: q.rows,
      nb: snap.ntotal,
      d: this.d,
      k,
      metric: this.metricType,
      distances: new Float32Array(q.rows * k),
      labels: new BigInt64Array(q.rows * k),
    };
  }

  searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult {
    const snap = this.#filtered(this.snapshot(), params?.selector);
    const args = this.#knnArgs(xq, k, snap);
    knn(args);
    return finish(args, snap);
  }

  async search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult> {
    const snap = this.#filtered(this.snapshot(), params?.selector);
    const args = this.#knnArgs(xq, k, snap);
    await knnAsync(args);
    return finish(args, snap);
  }

  /** With a selector: a compacted copy of the selected rows and their labels. */
  #filtered(snap: Snapshot, selector: IDSelector | undefined): Snapshot & { map?: BigInt64Array } {
    if (!selector) return snap;
    const d = this.d;
    const keep: number[] = [];
    for (let i = 0; i < snap.ntotal; i++) if (selector.isMember(BigInt(i))) keep.push(i);
    const xb = new Float32Array(keep.length * d);
    const map = new BigInt64Array(keep.length);
    keep.forEach((row, j) => {
      xb.set(snap.xb.subarray(row * d, (row + 1) * d), j * d);
      map[j] = BigInt(row);
    });
    return { xb, ntotal: keep.length, map };
  }

  #rangeArgs(xq: VectorsInput, radius: number, snap: Snapshot): RangeArgs {
    checkRadius(radius);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    return { xq: q.data, xb: snap.xb, nq: q.rows, nb: snap.ntotal, d: this.d, radius, metric: this.metricType };
  }

  rangeSearchSync(xq: VectorsInput, radius: number, params?: SearchParameters): RangeSearchResult {
    const snap = this.#filtered(this.snapshot(), params?.selector);
    return remapRange(rangeSearch(this.#rangeArgs(xq, radius, snap)), snap);
  }

  async rangeSearch(xq: VectorsInput, radius: number, params?: SearchParameters): Promise<RangeSearchResult> {
    const snap = this.#filtered(this.snapshot(), params?.selector);
    return remapRange(await rangeSearchAsync(this.#rangeArgs(xq, radius, snap)), snap);
  }

  /**
   * Removes the vectors whose labels (positions) the selector names and
   * compacts the storage, as FAISS does: later vectors shift down, so their
   * labels change. Returns how many were removed.
   */
  removeIds(sel: IDSelector | IdsInput): number {
    const selector = toSelector(sel);
    const d = this.d;
    const n = this.#ntotal;
    const keep = new Uint8Array(n);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (!selector.isMember(BigInt(i))) {
        keep[i] = 1;
        kept++;
      }
    }
    if (kept === n) return 0;
    // A new buffer, so that running searches keep reading the old one intact.
    const next = new Float32Array(kept * d);
    let j = 0;
    for (let i = 0; i < n; i++) {
      if (keep[i]) next.set(this.#data.subarray(i * d, (i + 1) * d), (j++) * d);
    }
    this.#data = next;
    this.#ntotal = kept;
    return n - kept;
  }

  reconstruct(key: number | bigint): Float32Array {
    const i = checkKey(key, this.#ntotal);
    return this.#data.slice(i * this.d, (i + 1) * this.d);
  }

  reconstructN(i0: number, n: number): Float32Array {
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(i0) || i0 < 0 || i0 + n > this.#ntotal) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected 0 <= i0 and i0 + n <= ntotal = ${this.#ntotal} for reconstructN, received i0 = ${String(i0)}, n = ${String(n)}`,
      );
    }
    return this.#data.slice(i0 * this.d, (i0 + n) * this.d);
  }

  reset(): void {
    this.#data = new Float32Array(0);
    this.#ntotal = 0;
  }

  memoryBytes(): number {
    return this.#ntotal * this.d * 4;
  }

  /** True when larger scores are better. */
  get isSimilarity(): boolean {
    return isSimilarity(this.metricType);
  }
}

function finish(args: KnnArgs, snap: Snapshot & { map?: BigInt64Array }): SearchResult {
  if (snap.map) {
    const { labels } = args;
    for (let i = 0; i < labels.length; i++) if (labels[i] >= 0n) labels[i] = snap.map[Number(labels[i])];
  }
  return { distances: args.distances, labels: args.labels };
}

function remapRange(r: RangeSearchResult, snap: Snapshot & { map?: BigInt64Array }): RangeSearchResult {
  if (snap.map) for (let i = 0; i < r.labels.length; i++) r.labels[i] = snap.map[Number(r.labels[i])];
  return r;
}

/** IndexFlat with the L2 metric (FAISS's IndexFlatL2). */
export class IndexFlatL2 extends IndexFlat {
  constructor(d: number) {
    super(d, { metric: MetricType.L2 });
  }
}

/** IndexFlat with the inner-product metric (FAISS's IndexFlatIP). */
export class IndexFlatIP extends IndexFlat {
  constructor(d: number) {
    super(d, { metric: MetricType.INNER_PRODUCT });
  }
}
