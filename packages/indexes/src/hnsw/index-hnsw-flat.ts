/**
 * IndexHNSWFlat (FAISS's name): HNSW over uncompressed float vectors, L2 or
 * inner product. Needs no training. Each edge's distance is kept next to it
 * (not in files): insertion then skips recomputing the distances FAISS
 * recomputes when it prunes a full neighbour list (same values, same graph).
 *
 * Integer-valued data (every value an integer in 0..255, or -128..127, e.g.
 * image pixels or quantised embeddings) is stored as bytes, losslessly; the
 * distance kernels read the bytes, and queries whose values are such integers
 * too get exact integer distances (byte dot products, AVX-512 VNNI where the
 * CPU has it) rounded once to float32. Float32 accumulation, as FAISS does,
 * can differ from the exact value in the last bits for large sums (above
 * 2^24); the exact value is returned here.
 */
import { HNSW_STORAGE_FLAT, MetalFaissError, describeValue, type HnswStorageArrays } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { type MetricInput, type MetricType, parseMetric } from '../metric';
import { checkDimension, checkKey } from '../validate';
import { HnswGraph, type HnswParts } from './graph';
import { type HnswStore, type StorageStage, ensureCapacity, largeArray } from './core';
import { IndexHNSW } from './index-hnsw';
import { checkM } from './levels';

type CompactKind = 'u8' | 'i8' | null;

/** Whether every value is an integer in the element type's range. */
function compactKindOf(x: Float32Array, kind: 'u8' | 'i8'): boolean {
  const lo = kind === 'u8' ? 0 : -128;
  const hi = kind === 'u8' ? 255 : 127;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!(v >= lo && v <= hi) || v !== Math.trunc(v) || Object.is(v, -0)) return false;
  }
  return true;
}

/**
 * Flat float storage with room to grow: rows past ntotal are invisible until
 * committed. While every stored value is an integer in 0..255 (or -128..127)
 * the store keeps only those values as bytes: the distance kernels read them
 * (a quarter of the memory traffic; integer queries get exact integer
 * distances) and the float vectors are produced from them on demand (the
 * same values). The first add with any other value switches to float32 for
 * good.
 */
export class FlatStore implements HnswStore {
  /** float32 rows (only when the values are not all bytes) */
  #xb: Float32Array = new Float32Array(0);
  #compact: Uint8Array | Int8Array | null = null;
  /** per vector of the byte copy: sum of squares and sum of values (exact integer distances) */
  #norms: Int32Array | null = null;
  #sums: Int32Array | null = null;
  #kind: CompactKind | 'unknown' = 'unknown';
  #ntotal = 0;
  /** floats materialised from the byte copy (kept until the store changes) */
  #floats: Float32Array | null = null;
  constructor(
    readonly d: number,
    readonly metric: MetricType,
    /** keep the byte copy when the values allow it (default true) */
    readonly allowCompact = true,
  ) {
    if (!allowCompact) this.#kind = null;
  }
  get ntotal(): number {
    return this.#ntotal;
  }
  /** the stored vectors, ntotal * d (read-only: a view, or floats made from the byte copy) */
  get vectors(): Float32Array {
    const n = this.#ntotal * this.d;
    if (!this.compactKind) return this.#xb.subarray(0, n);
    if (!this.#floats) this.#floats = Float32Array.from((this.#compact as Uint8Array).subarray(0, n));
    return this.#floats;
  }
  /** 'u8' / 'i8' while the values are kept as bytes, null for float32 */
  get compactKind(): 'u8' | 'i8' | null {
    return this.#kind === 'unknown' ? null : this.#kind;
  }
  #arrays(xb: Float32Array | null, compact: Uint8Array | Int8Array | null, norms: Int32Array | null, sums: Int32Array | null, n: number): HnswStorageArrays {
    const a: HnswStorageArrays = { kind: HNSW_STORAGE_FLAT, metric: this.metric, d: this.d };
    if (xb) a.xb = xb.subarray(0, n * this.d);
    if (compact) {
      a.compact = compact.subarray(0, n * this.d);
      if (norms && sums) {
        a.compactNorms = norms.subarray(0, n);
        a.compactSums = sums.subarray(0, n);
      }
    }
    return a;
  }
  arrays(): HnswStorageArrays {
    return this.compactKind
      ? this.#arrays(null, this.#compact, this.#norms, this.#sums, this.#ntotal)
      : this.#arrays(this.#xb, null, null, null, this.#ntotal);
  }
  stage(x: Float32Array | Uint8Array, n: number, _encoded?: Uint8Array): StorageStage {
    const d = this.d;
    const n0 = this.#ntotal;
    const rows = x as Float32Array;
    let kind: CompactKind | 'unknown' = this.#kind;
    if (kind === 'unknown') kind = compactKindOf(rows, 'u8') ? 'u8' : compactKindOf(rows, 'i8') ? 'i8' : null;
    else if (kind !== null && !compactKindOf(rows, kind)) kind = null;
    if (kind === 'u8' || kind === 'i8') {
      const make = (c: number): Uint8Array | Int8Array => (kind === 'u8' ? largeArray(Uint8Array, c) : largeArray(Int8Array, c));
      const compact = ensureCapacity(this.#compact ?? make(0), (n0 + n) * d, n0 * d, make);
      compact.set(rows, n0 * d);
      let norms: Int32Array | null = null;
      let sums: Int32Array | null = null;
      if (d <= 32768) {
        const i32 = (c: number) => new Int32Array(c);
        norms = ensureCapacity(this.#norms ?? new Int32Array(0), n0 + n, n0, i32);
        sums = ensureCapacity(this.#sums ?? new Int32Array(0), n0 + n, n0, i32);
        for (let i = 0; i < n; i++) {
          let sn = 0;
          let ss = 0;
          for (let j = i * d; j < (i + 1) * d; j++) {
            const v = rows[j];
            sn += v * v;
            ss += v;
          }
          norms[n0 + i] = sn;
          sums[n0 + i] = ss;
        }
      }
      return {
        arrays: this.#arrays(null, compact, norms, sums, n0 + n),
        rows: x,
        commit: () => {
          this.#compact = compact;
          this.#norms = norms;
          this.#sums = sums;
          this.#kind = kind;
          this.#floats = null;
          this.#ntotal = n0 + n;
        },
      };
    }
    // float32 from now on: the earlier rows (bytes, if any) become floats
    let buf: Float32Array;
    if (this.compactKind) {
      buf = largeArray(Float32Array, Math.max((n0 + n) * d, 1));
      buf.set((this.#compact as Uint8Array).subarray(0, n0 * d));
    } else {
      buf = ensureCapacity(this.#xb, (n0 + n) * d, n0 * d, (c) => largeArray(Float32Array, c));
    }
    buf.set(rows, n0 * d);
    return {
      arrays: this.#arrays(buf, null, null, null, n0 + n),
      rows: x,
      commit: () => {
        this.#xb = buf;
        this.#compact = null;
        this.#norms = null;
        this.#sums = null;
        this.#kind = null;
        this.#floats = null;
        this.#ntotal = n0 + n;
      },
    };
  }
  reconstruct(i: number): Float32Array {
    if (this.compactKind) return Float32Array.from((this.#compact as Uint8Array).subarray(i * this.d, (i + 1) * this.d));
    return this.#xb.slice(i * this.d, (i + 1) * this.d);
  }
  reset(): void {
    this.#xb = new Float32Array(0);
    this.#compact = null;
    this.#norms = null;
    this.#sums = null;
    this.#floats = null;
    this.#kind = this.allowCompact ? 'unknown' : null;
    this.#ntotal = 0;
  }
  memoryBytes(): number {
    return (
      (this.compactKind ? 0 : this.#xb.byteLength) +
      (this.#compact?.byteLength ?? 0) +
      (this.#norms?.byteLength ?? 0) +
      (this.#sums?.byteLength ?? 0) +
      (this.#floats?.byteLength ?? 0)
    );
  }
}

export interface IndexHNSWFlatParts {
  d: number;
  /** FAISS's metric code (0 inner product, 1 L2) */
  metricType: number;
  hnsw: HnswParts;
  /** the storage's vectors, ntotal * d */
  vectors: Float32Array;
}

export class IndexHNSWFlat extends IndexHNSW {
  declare protected readonly store: FlatStore;

  /**
   * `faiss.IndexHNSWFlat(d, M, metric)`.
   * @param M neighbours per node (2M at level 0), 2..512 (default 32)
   * @param metric 'l2' (default), 'ip', FAISS's code, or `{ metric }`
   * @throws MetalFaissError INVALID_ARGUMENT (d, M < 2, metric)
   */
  constructor(d: number, M = 32, metric: MetricInput | { metric?: MetricInput } = 'l2') {
    checkDimension(d);
    checkM(M);
    const mt = parseMetric(typeof metric === 'object' && metric !== null ? metric.metric : metric);
    super(d, mt, new HnswGraph(M, true), new FlatStore(d, mt));
  }

  /**
   * An index from FAISS's parts (an `IHNf` record: graph fields and the flat
   * storage's vectors), checked in full.
   * @throws MetalFaissError IO_FORMAT / DIMENSION_MISMATCH for inconsistent parts
   */
  static fromParts(parts: IndexHNSWFlatParts): IndexHNSWFlat {
    const d = checkDimension(parts.d);
    const mt = parseMetric(parts.metricType as MetricType);
    if (!(parts.vectors instanceof Float32Array) || parts.vectors.length % d !== 0) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected a Float32Array of ntotal * ${d} values for vectors, received ${describeValue(parts.vectors)}`);
    }
    const ntotal = parts.vectors.length / d;
    const graph = HnswGraph.fromParts(parts.hnsw, ntotal, true);
    const index = new IndexHNSWFlat(d, 2, mt);
    (index as unknown as { hnsw: HnswGraph }).hnsw = graph;
    index.store.stage(parts.vectors.slice(), ntotal).commit();
    return index;
  }

  /** FAISS's parts of this index (copies), for writing an `IHNf` record. */
  toParts(): IndexHNSWFlatParts {
    return { d: this.d, metricType: this.metricType, hnsw: this.hnsw.toParts(), vectors: this.store.vectors.slice() };
  }

  get isTrained(): boolean {
    return true;
  }

  /** The stored vectors (ntotal * d), a read-only view (FAISS's storage->xb). */
  get vectors(): Float32Array {
    return this.store.vectors;
  }

  protected checkAddable(): void {}

  /** Flat storage needs no training: validates x and ignores it (as FAISS). */
  trainSync(x: VectorsInput): void {
    asMatrix(x, this.d, { name: 'x' });
  }

  reconstruct(key: number | bigint): Float32Array {
    return this.store.reconstruct(checkKey(key, this.ntotal));
  }
}
