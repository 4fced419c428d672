/**
 * IndexBinaryFlat (FAISS's name): exact Hamming search over stored codes.
 * Labels are positions 0..ntotal-1. k-NN keeps the k smallest (distance,
 * label) pairs, as FAISS's hammings_knn_hc; range search keeps distance <
 * radius. The popcount kernels use AVX-512 VPOPCNTDQ where the CPU has it.
 *
 * Consistency under concurrent async calls (as IndexFlat): searches read a
 * snapshot of the codes; appends write past it (or into a new buffer);
 * removals and resets install a new buffer.
 */
import {
  MetalFaissError,
  describeValue,
  hammingKnn,
  hammingKnnAsync,
  hammingRangeSearch,
  hammingRangeSearchAsync,
  type HammingKnnArgs,
  type HammingRangeArgs,
} from '@metalfaiss/metal-kernels';
import { type IDSelector, toSelector } from '../selector';
import { checkK, checkKey, checkResultSize, type IdsInput } from '../validate';
import {
  IndexBinary,
  type BinaryRangeSearchResult,
  type BinarySearchParameters,
  type BinarySearchResult,
  type CodesInput,
  asCodes,
  checkHammingRadius,
} from './index-binary';

interface Snapshot {
  codes: Uint8Array;
  ntotal: number;
  /** with a selector: position of each compacted row */
  map?: BigInt64Array;
}

export class IndexBinaryFlat extends IndexBinary {
  #codes: Uint8Array = new Uint8Array(0);
  #ntotal = 0;

  /** `faiss.IndexBinaryFlat(d)`, d in bits (a multiple of 8). */
  constructor(d: number) {
    super(d);
  }

  /** An index holding the given codes (an `IBxF` record's xb). */
  static fromParts(parts: { d: number; codes: Uint8Array }): IndexBinaryFlat {
    const index = new IndexBinaryFlat(parts.d);
    index.addSync(asCodes(parts.codes, index.codeSize, 'codes').data.slice());
    return index;
  }

  get ntotal(): number {
    return this.#ntotal;
  }
  get isTrained(): boolean {
    return true;
  }

  /** The stored codes, ntotal * codeSize bytes (FAISS's xb; a read-only view). */
  get codes(): Uint8Array {
    return this.#codes.subarray(0, this.#ntotal * this.codeSize);
  }

  trainSync(x: CodesInput): void {
    asCodes(x, this.codeSize);
  }

  addSync(x: CodesInput): void {
    const c = asCodes(x, this.codeSize);
    this.#append(c.data, c.rows);
  }

  #append(codes: Uint8Array, n: number): void {
    if (n === 0) return;
    const cs = this.codeSize;
    const need = (this.#ntotal + n) * cs;
    if (need > this.#codes.length) {
      const cap = Math.max(need, Math.min(this.#codes.length * 2, need + (64 << 20)));
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

  #snapshot(selector: IDSelector | undefined): Snapshot {
    const snap: Snapshot = { codes: this.codes, ntotal: this.#ntotal };
    if (selector === undefined || selector === null) return snap;
    if (typeof selector !== 'object' || typeof selector.isMember !== 'function') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an IDSelector for params.selector, received ${describeValue(selector)}`);
    }
    const cs = this.codeSize;
    const keep: number[] = [];
    for (let i = 0; i < snap.ntotal; i++) if (selector.isMember(BigInt(i))) keep.push(i);
    const codes = new Uint8Array(keep.length * cs);
    const map = new BigInt64Array(keep.length);
    keep.forEach((row, j) => {
      codes.set(snap.codes.subarray(row * cs, (row + 1) * cs), j * cs);
      map[j] = BigInt(row);
    });
    return { codes, ntotal: keep.length, map };
  }

  #knnArgs(xq: CodesInput, k: number, snap: Snapshot): HammingKnnArgs {
    checkK(k);
    const q = asCodes(xq, this.codeSize, 'xq');
    checkResultSize(q.rows, k);
    return {
      xq: q.data,
      xb: snap.codes,
      nq: q.rows,
      nb: snap.ntotal,
      codeSize: this.codeSize,
      k,
      distances: new Int32Array(q.rows * k),
      labels: new BigInt64Array(q.rows * k),
    };
  }

  /** k nearest codes of each query by Hamming distance (ties: lower label first). */
  searchSync(xq: CodesInput, k: number, params?: BinarySearchParameters): BinarySearchResult {
    const snap = this.#snapshot(params?.selector);
    const args = this.#knnArgs(xq, k, snap);
    hammingKnn(args);
    return remap({ distances: args.distances, labels: args.labels }, snap);
  }

  async search(xq: CodesInput, k: number, params?: BinarySearchParameters): Promise<BinarySearchResult> {
    const snap = this.#snapshot(params?.selector);
    const args = this.#knnArgs(xq, k, snap);
    await hammingKnnAsync(args);
    return remap({ distances: args.distances, labels: args.labels }, snap);
  }

  #rangeArgs(xq: CodesInput, radius: number, snap: Snapshot): HammingRangeArgs {
    checkHammingRadius(radius);
    const q = asCodes(xq, this.codeSize, 'xq');
    return { xq: q.data, xb: snap.codes, nq: q.rows, nb: snap.ntotal, codeSize: this.codeSize, radius };
  }

  /** Every stored code at Hamming distance < radius (an integer), per query in label order. */
  rangeSearchSync(xq: CodesInput, radius: number, params?: BinarySearchParameters): BinaryRangeSearchResult {
    const snap = this.#snapshot(params?.selector);
    return remap(hammingRangeSearch(this.#rangeArgs(xq, radius, snap)), snap);
  }

  async rangeSearch(xq: CodesInput, radius: number, params?: BinarySearchParameters): Promise<BinaryRangeSearchResult> {
    const snap = this.#snapshot(params?.selector);
    return remap(await hammingRangeSearchAsync(this.#rangeArgs(xq, radius, snap)), snap);
  }

  /** Removes the codes whose labels the selector names and compacts (later labels shift down), as FAISS. */
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

  reconstruct(key: number | bigint): Uint8Array {
    const i = checkKey(key, this.#ntotal);
    return this.#codes.slice(i * this.codeSize, (i + 1) * this.codeSize);
  }

  reconstructN(i0: number, n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 0 || !Number.isInteger(i0) || i0 < 0 || i0 + n > this.#ntotal) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected 0 <= i0 and i0 + n <= ntotal = ${this.#ntotal} for reconstructN, received i0 = ${String(i0)}, n = ${String(n)}`,
      );
    }
    return this.#codes.slice(i0 * this.codeSize, (i0 + n) * this.codeSize);
  }

  reset(): void {
    this.#codes = new Uint8Array(0);
    this.#ntotal = 0;
  }

  memoryBytes(): number {
    return this.#ntotal * this.codeSize;
  }
}

function remap<T extends { labels: BigInt64Array }>(r: T, snap: Snapshot): T {
  if (snap.map) {
    const { labels } = r;
    for (let i = 0; i < labels.length; i++) if (labels[i] >= 0n) labels[i] = snap.map[Number(labels[i])];
  }
  return r;
}
