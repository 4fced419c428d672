/**
 * IndexFlatCodes (FAISS's name): the base of indexes that store one code of
 * `codeSize` bytes per vector in a flat array, numbered by position
 * (IndexScalarQuantizer, IndexPQ). Subclasses supply the codec (encode /
 * decode) and the scans; add, addCodes, removeIds, reconstruct, mergeFrom,
 * reset and sa_encode / sa_decode live here.
 *
 * FlatQuantizerIndex (IndexScalarQuantizer, IndexPQ) adds search and
 * rangeSearch over the stored codes through the codec's scan kernels.
 *
 * Consistency under concurrent async calls (as IndexFlat): searches read a
 * snapshot (`codes.subarray(0, ntotal * codeSize)`) of the storage as it was
 * when they started. Appends write only past that snapshot (or into a new,
 * larger buffer); removals and resets install a new buffer. An async add
 * encodes into its own buffer and appends in one step at the end, so an
 * aborted or failed add changes nothing.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { Index, type RangeSearchResult, type SearchParameters, type SearchResult } from '../index-base';
import type { MetricType } from '../metric';
import { type IDSelector, toSelector } from '../selector';
import { checkK, checkKey, checkRadius, checkResultSize, type IdsInput } from '../validate';
import { throwIfAborted, yieldToEventLoop } from '../abort';
import { type QuantizerOptions, codeCount, quantizerOptions } from './options';

export interface CodesSnapshot {
  codes: Uint8Array;
  ntotal: number;
}

/** Vectors encoded per step of an async add (between progress reports and abort checks). */
const ADD_CHUNK = 1 << 16;

export abstract class IndexFlatCodes extends Index {
  /** bytes per vector */
  readonly codeSize: number;
  #codes: Uint8Array = new Uint8Array(0);
  #ntotal = 0;

  protected constructor(d: number, metricType: MetricType, codeSize: number) {
    super(d, metricType);
    this.codeSize = codeSize;
  }

  get ntotal(): number {
    return this.#ntotal;
  }

  /** The stored codes, ntotal * codeSize bytes (FAISS's `codes`; a read-only view: do not mutate). */
  get codes(): Uint8Array {
    return this.#codes.subarray(0, this.#ntotal * this.codeSize);
  }

  /** Encodes n vectors (n * d floats) into n * codeSize bytes. */
  protected abstract encodeRows(x: Float32Array, n: number): Uint8Array;
  protected abstract encodeRowsAsync(x: Float32Array, n: number): Promise<Uint8Array>;
  /** Decodes n codes into n * d floats. */
  protected abstract decodeRows(codes: Uint8Array, n: number): Float32Array;

  protected requireTrained(method: string): void {
    if (!this.isTrained) {
      throw new MetalFaissError('NOT_TRAINED', `${this.typeName}.${method} needs a trained index: call train() first`);
    }
  }

  protected snapshot(): CodesSnapshot {
    return { codes: this.#codes.subarray(0, this.#ntotal * this.codeSize), ntotal: this.#ntotal };
  }

  /** A per-position mask for a selector (1 = candidate), or undefined without one. */
  protected selectorMask(selector: IDSelector | undefined, ntotal: number): Uint8Array | undefined {
    if (selector === undefined || selector === null) return undefined;
    if (typeof selector !== 'object' || typeof selector.isMember !== 'function') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an IDSelector for params.selector, received ${describeValue(selector)}`);
    }
    const mask = new Uint8Array(ntotal);
    for (let i = 0; i < ntotal; i++) mask[i] = selector.isMember(BigInt(i)) ? 1 : 0;
    return mask;
  }

  addSync(x: VectorsInput): void {
    this.requireTrained('add');
    const m = asMatrix(x, this.d, { name: 'x' });
    if (m.rows === 0) return;
    this.#append(this.encodeRows(m.data, m.rows), m.rows);
  }

  /**
   * Adds off the event loop, in chunks: `options.onProgress` reports the
   * vectors encoded so far, `options.signal` aborts between chunks (ABORTED,
   * index unchanged).
   */
  async add(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    const { signal, report } = quantizerOptions(options, `${this.typeName}.add`, 'add');
    throwIfAborted(signal, `${this.typeName}.add`);
    this.requireTrained('add');
    const m = asMatrix(x, this.d, { name: 'x' });
    const n = m.rows;
    if (n === 0) return;
    const out = new Uint8Array(n * this.codeSize);
    for (let i0 = 0; i0 < n; i0 += ADD_CHUNK) {
      const i1 = Math.min(n, i0 + ADD_CHUNK);
      out.set(await this.encodeRowsAsync(m.data.subarray(i0 * this.d, i1 * this.d), i1 - i0), i0 * this.codeSize);
      report('encode', i1, n);
      if (i1 < n) await yieldToEventLoop();
      throwIfAborted(signal, `${this.typeName}.add`);
    }
    this.#append(out, n);
  }

  /** Appends precomputed codes (n * codeSize bytes), e.g. read from a file (FAISS's add_sa_codes). */
  addCodes(codes: Uint8Array): void {
    this.#append(codes, codeCount(codes, this.codeSize));
  }

  /** Appends n codes; never rewrites bytes a running search may be reading. */
  #append(codes: Uint8Array, n: number): void {
    if (n === 0) return;
    const cs = this.codeSize;
    const need = (this.#ntotal + n) * cs;
    if (need > this.#codes.length) {
      const cap = this.#ntotal === 0 ? need : Math.max(need, Math.ceil(this.#ntotal * cs * 1.125));
      let next: Uint8Array;
      try {
        next = new Uint8Array(cap);
      } catch (cause) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected room for ${this.#ntotal + n} codes of ${cs} bytes, could not allocate ${cap} bytes`, { cause });
      }
      next.set(this.#codes.subarray(0, this.#ntotal * cs));
      this.#codes = next;
    }
    this.#codes.set(codes.subarray(0, n * cs), this.#ntotal * cs);
    this.#ntotal += n;
  }

  /**
   * Removes the vectors whose labels (positions) the selector names and
   * compacts the storage as FAISS does (later labels shift down). Returns
   * how many were removed.
   */
  removeIds(sel: IDSelector | IdsInput): number {
    const selector = toSelector(sel);
    const cs = this.codeSize;
    const n = this.#ntotal;
    const keep: number[] = [];
    for (let i = 0; i < n; i++) if (!selector.isMember(BigInt(i))) keep.push(i);
    if (keep.length === n) return 0;
    const next = new Uint8Array(keep.length * cs);
    keep.forEach((i, j) => next.set(this.#codes.subarray(i * cs, (i + 1) * cs), j * cs));
    this.#codes = next;
    this.#ntotal = keep.length;
    return n - keep.length;
  }

  /** The decoded vector at position `key` (a new Float32Array of d). */
  reconstruct(key: number | bigint): Float32Array {
    this.requireTrained('reconstruct');
    const i = checkKey(key, this.#ntotal);
    return this.decodeRows(this.#codes.slice(i * this.codeSize, (i + 1) * this.codeSize), 1);
  }

  /** Decoded vectors i0 .. i0+n-1 (n * d floats). */
  reconstructN(i0: number, n: number): Float32Array {
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(i0) || i0 < 0 || i0 + n > this.#ntotal) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected 0 <= i0 and i0 + n <= ntotal = ${this.#ntotal} for reconstructN, received i0 = ${String(i0)}, n = ${String(n)}`,
      );
    }
    if (n === 0) return new Float32Array(0);
    this.requireTrained('reconstructN');
    return this.decodeRows(this.#codes.slice(i0 * this.codeSize, (i0 + n) * this.codeSize), n);
  }

  /** Codes of n vectors without adding them (FAISS's sa_encode). */
  saEncode(x: VectorsInput): Uint8Array {
    this.requireTrained('saEncode');
    const m = asMatrix(x, this.d, { name: 'x' });
    return this.encodeRows(m.data, m.rows);
  }

  /** Vectors of codes (a multiple of codeSize bytes) (FAISS's sa_decode). */
  saDecode(codes: Uint8Array): Float32Array {
    this.requireTrained('saDecode');
    return this.decodeRows(codes, codeCount(codes, this.codeSize));
  }

  /** Checks that `other` can be merged into this index (same class, d and codec). */
  protected abstract checkCompatible(other: IndexFlatCodes): void;

  /**
   * Moves every vector of `other` (the same kind of index, same codec) to the
   * end of this one and empties `other` (FAISS's merge_from; ids cannot be
   * shifted in a flat-codes index, so addId must be 0).
   */
  mergeFrom(other: IndexFlatCodes, addId: number | bigint = 0): void {
    if (!(other instanceof IndexFlatCodes) || other.constructor !== this.constructor) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected another ${this.typeName} for mergeFrom, received ${describeValue(other)} (can only merge indexes of the same type)`);
    }
    if (other === this) throw new MetalFaissError('INVALID_ARGUMENT', `expected a different index for mergeFrom, received the index itself`);
    if (addId !== 0 && addId !== 0n) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected addId = 0 for ${this.typeName}.mergeFrom (cannot set ids in a flat-codes index), received ${describeValue(addId)}`);
    }
    if (other.d !== this.d || other.codeSize !== this.codeSize) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected an index with d = ${this.d} and codeSize = ${this.codeSize} for mergeFrom, received d = ${other.d}, codeSize = ${other.codeSize}`);
    }
    this.checkCompatible(other);
    const snap = other.snapshot();
    this.#append(snap.codes, snap.ntotal);
    other.reset();
  }

  reset(): void {
    this.#codes = new Uint8Array(0);
    this.#ntotal = 0;
  }

  /** Bytes of the stored codes (capacity included) plus the codec's parameters. */
  memoryBytes(): number {
    return this.#codes.length + this.codecBytes();
  }

  /** Bytes of the codec's trained parameters. */
  protected abstract codecBytes(): number;
}

/** A checked params object ({} when absent). */
export function checkParams<P extends SearchParameters>(params: P | undefined): P {
  if (params === undefined || params === null) return {} as P;
  if (typeof params !== 'object') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a SearchParameters object for params, received ${describeValue(params)}`);
  }
  return params;
}

/** What every flat scan reads: the queries, the stored codes (a snapshot), the metric and the selector's mask. */
export interface FlatScanJob {
  codes: Uint8Array;
  nb: number;
  xq: Float32Array;
  nq: number;
  metric: MetricType;
  mask: Uint8Array | undefined;
}

export interface FlatSearchJob extends FlatScanJob {
  k: number;
  /** output, nq * k */
  distances: Float32Array;
  /** output, nq * k */
  labels: BigInt64Array;
}

export interface FlatRangeJob extends FlatScanJob {
  radius: number;
}

/** A codec's scan kernels, its parameters bound (as they are when the search starts). */
export interface FlatScanKernels {
  search(job: FlatSearchJob): void;
  searchAsync(job: FlatSearchJob): Promise<void>;
  rangeSearch(job: FlatRangeJob): RangeSearchResult;
  rangeSearchAsync(job: FlatRangeJob): Promise<RangeSearchResult>;
}

/**
 * The base of the quantizer flat-codes indexes (IndexScalarQuantizer,
 * IndexPQ): exhaustive search and range search over the stored codes by the
 * codec's kernels, which score the codes without decoding them. Labels are
 * positions; `params.selector` restricts them.
 */
export abstract class FlatQuantizerIndex<P extends SearchParameters = SearchParameters> extends IndexFlatCodes {
  /** The codec's kernels with its current parameters. */
  protected abstract scanKernels(): FlatScanKernels;

  /** Checks the per-call parameters beyond the selector (default: nothing). */
  protected checkSearchParams(_params: P): void {}

  /** Checks in FAISS's order (trained, params, the argument, the queries), then the codes as they are now. */
  #job(method: string, xq: VectorsInput, params: P | undefined, checkArg: () => void, checkRows?: (nq: number) => void): FlatScanJob {
    this.requireTrained(method);
    const p = checkParams(params);
    this.checkSearchParams(p);
    checkArg();
    const q = asMatrix(xq, this.d, { name: 'xq' });
    checkRows?.(q.rows);
    const snap = this.snapshot();
    return { codes: snap.codes, nb: snap.ntotal, xq: q.data, nq: q.rows, metric: this.metricType, mask: this.selectorMask(p.selector, snap.ntotal) };
  }

  #searchJob(xq: VectorsInput, k: number, params: P | undefined): FlatSearchJob {
    const job = this.#job('search', xq, params, () => checkK(k), (nq) => checkResultSize(nq, k));
    return { ...job, k, distances: new Float32Array(job.nq * k), labels: new BigInt64Array(job.nq * k) };
  }

  #rangeJob(xq: VectorsInput, radius: number, params: P | undefined): FlatRangeJob {
    return { ...this.#job('rangeSearch', xq, params, () => checkRadius(radius)), radius };
  }

  /**
   * The k nearest codes of each query (nq * k results, best first, padded
   * with -1). `params.selector` restricts the labels.
   * @throws MetalFaissError NOT_TRAINED, INVALID_ARGUMENT, DIMENSION_MISMATCH (IndexPQ: UNSUPPORTED for search types other than ST_PQ)
   */
  searchSync(xq: VectorsInput, k: number, params?: P): SearchResult {
    const job = this.#searchJob(xq, k, params);
    this.scanKernels().search(job);
    return { distances: job.distances, labels: job.labels };
  }

  async search(xq: VectorsInput, k: number, params?: P): Promise<SearchResult> {
    const job = this.#searchJob(xq, k, params);
    await this.scanKernels().searchAsync(job);
    return { distances: job.distances, labels: job.labels };
  }

  /** All codes within `radius` (L2: distance < radius; IP: similarity > radius), by position within a query. */
  rangeSearchSync(xq: VectorsInput, radius: number, params?: P): RangeSearchResult {
    return this.scanKernels().rangeSearch(this.#rangeJob(xq, radius, params));
  }

  async rangeSearch(xq: VectorsInput, radius: number, params?: P): Promise<RangeSearchResult> {
    return this.scanKernels().rangeSearchAsync(this.#rangeJob(xq, radius, params));
  }
}
