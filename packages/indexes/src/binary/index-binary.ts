/**
 * IndexBinary (FAISS's name): the base of indexes over binary vectors.
 *
 * - `d` is in bits and must be a multiple of 8; a vector is `codeSize = d / 8`
 *   bytes, bit j in bit (j % 8) of byte (j / 8) (FAISS's layout);
 * - batches are Uint8Arrays of n * codeSize bytes (or arrays of codeSize-byte rows);
 * - distances are Hamming distances as Int32Array; labels BigInt64Array,
 *   padded with -1 (distance 2147483647, INT32_MAX) when fewer than k exist;
 * - `searchSync` / `search` (Promise, off the event loop), likewise add,
 *   train, rangeSearch; optional operations throw UNSUPPORTED;
 * - a failed call (bad input) leaves the index unchanged; an async search
 *   sees the index as it was when it started.
 */
import { HAMMING_PAD_DISTANCE, MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import type { IDSelector } from '../selector';
import type { IdsInput } from '../validate';
import { type AsyncOptions, signalOf, throwIfAborted } from '../abort';

export { HAMMING_PAD_DISTANCE };

export interface BinarySearchResult {
  /** nq * k Hamming distances, best first per query (ties by the lower label) */
  distances: Int32Array;
  /** nq * k labels; -1 where fewer than k results exist */
  labels: BigInt64Array;
}

export interface BinaryRangeSearchResult {
  /** nq + 1 offsets: the results of query i are [lims[i], lims[i+1]) */
  lims: BigInt64Array;
  distances: Int32Array;
  labels: BigInt64Array;
}

/** Per-call search parameters of the binary indexes; subclasses extend. */
export interface BinarySearchParameters {
  /** only ids the selector accepts may be returned */
  selector?: IDSelector;
}

/** Binary vectors as given by callers: n * codeSize bytes, or rows of codeSize bytes. */
export type CodesInput = Uint8Array | ReadonlyArray<ArrayLike<number>>;

/** Checks a dimension in bits: a positive multiple of 8, at most 2^20. */
export function checkBinaryDimension(d: unknown, name = 'd'): number {
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 8 || d > 1 << 20 || d % 8 !== 0) {
    throw new MetalFaissError(
      'INVALID_ARGUMENT',
      `expected a multiple of 8 in [8, 1048576] for ${name} (bits per binary vector), received ${describeValue(d)}`,
    );
  }
  return d;
}

/** Validates a batch of codes; returns the bytes (a view of a Uint8Array, or packed rows) and the row count. */
export function asCodes(x: CodesInput, codeSize: number, name = 'x'): { data: Uint8Array; rows: number } {
  if (x instanceof Uint8Array) {
    if (x.length % codeSize !== 0) {
      throw new MetalFaissError(
        'DIMENSION_MISMATCH',
        `expected a Uint8Array whose length is a multiple of codeSize = ${codeSize} bytes for ${name}, received ${describeValue(x)}`,
      );
    }
    return { data: x, rows: x.length / codeSize };
  }
  if (Array.isArray(x)) {
    const data = new Uint8Array(x.length * codeSize);
    for (let i = 0; i < x.length; i++) {
      const row = x[i] as ArrayLike<number> | undefined;
      if (row === null || typeof row !== 'object' || typeof row.length !== 'number') {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected an array of bytes for ${name}[${i}], received ${describeValue(row)}`);
      }
      if (row.length !== codeSize) {
        throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${codeSize} bytes (codeSize) for ${name}[${i}], received ${describeValue(row)}`);
      }
      for (let j = 0; j < codeSize; j++) {
        const v = row[j];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
          throw new MetalFaissError('INVALID_ARGUMENT', `expected a byte (0..255) for ${name}[${i}][${j}], received ${describeValue(v)}`);
        }
        data[i * codeSize + j] = v;
      }
    }
    return { data, rows: x.length };
  }
  throw new MetalFaissError(
    'INVALID_ARGUMENT',
    `expected a Uint8Array of n * ${codeSize} bytes or an array of ${codeSize}-byte rows for ${name}, received ${describeValue(x)}`,
  );
}

/** A Hamming radius: an integer (FAISS's range_search takes an int); results have distance < radius. */
export function checkHammingRadius(radius: unknown): number {
  if (typeof radius !== 'number' || !Number.isInteger(radius) || Math.abs(radius) > 2147483647) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer Hamming radius for radius, received ${describeValue(radius)}`);
  }
  return radius;
}

export abstract class IndexBinary {
  /** dimension in bits (a multiple of 8) */
  readonly d: number;
  /** bytes per vector (d / 8) */
  readonly codeSize: number;

  protected constructor(d: number) {
    this.d = checkBinaryDimension(d);
    this.codeSize = d / 8;
  }

  abstract get ntotal(): number;
  abstract get isTrained(): boolean;
  /** FAISS writes METRIC_L2 (1) in binary headers; Hamming distance is what is computed */
  get metricType(): number {
    return 1;
  }
  get typeName(): string {
    return this.constructor.name;
  }

  protected unsupported(method: string, why = ''): MetalFaissError {
    return new MetalFaissError('UNSUPPORTED', `${this.typeName}.${method} is not supported${why ? `: ${why}` : ''}`);
  }

  /** Trains on n codes. Indexes that need no training validate and ignore them. */
  trainSync(_x: CodesInput): void {
    throw this.unsupported('train');
  }
  async train(x: CodesInput, options?: AsyncOptions): Promise<void> {
    throwIfAborted(signalOf(options, `${this.typeName}.train`), `${this.typeName}.train`);
    this.trainSync(x);
  }

  abstract addSync(x: CodesInput): void;
  async add(x: CodesInput, options?: AsyncOptions): Promise<void> {
    throwIfAborted(signalOf(options, `${this.typeName}.add`), `${this.typeName}.add`);
    this.addSync(x);
  }

  addWithIdsSync(_x: CodesInput, _ids: IdsInput): void {
    throw this.unsupported('addWithIds', 'this index numbers vectors by position; wrap it in an IndexBinaryIDMap to add with ids');
  }
  async addWithIds(x: CodesInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    throwIfAborted(signalOf(options, `${this.typeName}.addWithIds`), `${this.typeName}.addWithIds`);
    this.addWithIdsSync(x, ids);
  }

  abstract searchSync(xq: CodesInput, k: number, params?: BinarySearchParameters): BinarySearchResult;
  abstract search(xq: CodesInput, k: number, params?: BinarySearchParameters): Promise<BinarySearchResult>;

  rangeSearchSync(_xq: CodesInput, _radius: number, _params?: BinarySearchParameters): BinaryRangeSearchResult {
    throw this.unsupported('rangeSearch');
  }
  async rangeSearch(xq: CodesInput, radius: number, params?: BinarySearchParameters): Promise<BinaryRangeSearchResult> {
    return this.rangeSearchSync(xq, radius, params);
  }

  removeIds(_sel: IDSelector | IdsInput): number {
    throw this.unsupported('removeIds');
  }

  /** The stored code with label `key` (a new Uint8Array of codeSize bytes). */
  reconstruct(_key: number | bigint): Uint8Array {
    throw this.unsupported('reconstruct');
  }

  /** Codes i0 .. i0+n-1 (n * codeSize bytes). */
  reconstructN(i0: number, n: number): Uint8Array {
    const out = new Uint8Array(n * this.codeSize);
    for (let i = 0; i < n; i++) out.set(this.reconstruct(i0 + i), i * this.codeSize);
    return out;
  }

  abstract reset(): void;
  abstract memoryBytes(): number;
}
