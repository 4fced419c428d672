/**
 * IndexBinaryHNSW (FAISS's name): an HNSW graph over binary codes (Hamming
 * distance), built and searched exactly as FAISS's IndexBinaryHNSW (same
 * level generator and insertion order as IndexHNSW). Labels are positions.
 * Search parameters (efSearch, ...) as IndexHNSW's, per call or on
 * `index.hnsw`; removal is not supported (UNSUPPORTED, as in FAISS).
 */
import {
  HAMMING_PAD_DISTANCE,
  HNSW_STORAGE_BINARY,
  MetalFaissError,
  describeValue,
  hnswRangeSearch,
  hnswRangeSearchAsync,
  hnswSearch,
  hnswSearchAsync,
  type HnswRangeArgs,
  type HnswSearchArgs,
  type HnswStorageArrays,
} from '@metalfaiss/metal-kernels';
import type { IDSelector } from '../selector';
import { checkK, checkKey, checkResultSize, type IdsInput } from '../validate';
import { throwIfAborted } from '../abort';
import { type QuantizerOptions, quantizerOptions } from '../sq/options';
import { HnswGraph, type HnswParts } from '../hnsw/graph';
import {
  AddQueue,
  HNSW_NO_REMOVE,
  type HnswStore,
  type SearchParametersHNSW,
  type StorageStage,
  ensureCapacity,
  insertAsync,
  insertSync,
  resolveWalk,
  selectorMask,
} from '../hnsw/core';
import { checkM } from '../hnsw/levels';
import {
  IndexBinary,
  type BinaryRangeSearchResult,
  type BinarySearchResult,
  type CodesInput,
  asCodes,
  checkHammingRadius,
} from './index-binary';

/** Binary codes with room to grow; rows past ntotal are invisible until committed. */
export class BinaryStore implements HnswStore {
  #codes: Uint8Array = new Uint8Array(0);
  #ntotal = 0;
  constructor(readonly d: number) {}
  get ntotal(): number {
    return this.#ntotal;
  }
  get codes(): Uint8Array {
    return this.#codes.subarray(0, this.#ntotal * (this.d / 8));
  }
  arrays(): HnswStorageArrays {
    return { kind: HNSW_STORAGE_BINARY, metric: 1, d: this.d, codes: this.codes };
  }
  stage(x: Float32Array | Uint8Array, n: number): StorageStage {
    const cs = this.d / 8;
    const n0 = this.#ntotal;
    const buf = ensureCapacity(this.#codes, (n0 + n) * cs, n0 * cs, (c) => new Uint8Array(c));
    buf.set(x as Uint8Array, n0 * cs);
    return {
      arrays: { kind: HNSW_STORAGE_BINARY, metric: 1, d: this.d, codes: buf.subarray(0, (n0 + n) * cs) },
      rows: x,
      commit: () => {
        this.#codes = buf;
        this.#ntotal = n0 + n;
      },
    };
  }
  reset(): void {
    this.#codes = new Uint8Array(0);
    this.#ntotal = 0;
  }
  memoryBytes(): number {
    return this.#codes.byteLength;
  }
}

export interface IndexBinaryHNSWParts {
  d: number;
  hnsw: HnswParts;
  /** the IndexBinaryFlat storage's codes, ntotal * d / 8 bytes */
  codes: Uint8Array;
}

function toInt32(d: Float32Array, labels: BigInt64Array): Int32Array {
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = labels[i] < 0n ? HAMMING_PAD_DISTANCE : Math.round(d[i]);
  return out;
}

export class IndexBinaryHNSW extends IndexBinary {
  /** the graph and its parameters (FAISS's `hnsw`) */
  readonly hnsw: HnswGraph;
  readonly #store: BinaryStore;
  readonly #adds = new AddQueue();

  /** `faiss.IndexBinaryHNSW(d, M)`: d in bits (a multiple of 8), M neighbours per node (2..512, default 32). */
  constructor(d: number, M = 32) {
    super(d);
    checkM(M);
    this.hnsw = new HnswGraph(M, false);
    this.#store = new BinaryStore(this.d);
  }

  /** An index from FAISS's parts (an `IBHf` record), checked in full. */
  static fromParts(parts: IndexBinaryHNSWParts): IndexBinaryHNSW {
    const index = new IndexBinaryHNSW(parts.d, 2);
    const c = asCodes(parts.codes, index.codeSize, 'codes');
    (index as unknown as { hnsw: HnswGraph }).hnsw = HnswGraph.fromParts(parts.hnsw, c.rows, false);
    index.#store.stage(c.data.slice(), c.rows).commit();
    return index;
  }

  /** FAISS's parts (copies), for writing an `IBHf` record. */
  toParts(): IndexBinaryHNSWParts {
    return { d: this.d, hnsw: this.hnsw.toParts(), codes: this.#store.codes.slice() };
  }

  get ntotal(): number {
    return this.hnsw.ntotal;
  }
  get isTrained(): boolean {
    return true;
  }
  /** The stored codes (the IndexBinaryFlat storage's xb; a read-only view). */
  get codes(): Uint8Array {
    return this.#store.codes;
  }

  trainSync(x: CodesInput): void {
    asCodes(x, this.codeSize);
  }

  addSync(x: CodesInput): void {
    if (this.#adds.busy) {
      throw new MetalFaissError('UNSUPPORTED', `${this.typeName}.addSync while an async add is running is not supported: await it first`);
    }
    const c = asCodes(x, this.codeSize);
    if (c.rows === 0) return;
    insertSync(this.hnsw, this.#store.stage(c.data, c.rows), c.rows);
  }

  /** Adds off the event loop in chunks, with progress (step 'insert': nodes inserted / total) and abort. */
  async add(x: CodesInput, options?: QuantizerOptions): Promise<void> {
    const method = `${this.typeName}.add`;
    const { signal, report } = quantizerOptions(options, method, 'add');
    throwIfAborted(signal, method);
    const c = asCodes(x, this.codeSize);
    if (c.rows === 0) return;
    const rows = c.data.slice();
    await this.#adds.run(async () => {
      throwIfAborted(signal, method);
      await insertAsync(this.hnsw, this.#store.stage(rows, c.rows), c.rows, method, { signal, report });
    });
  }

  #searchArgs(xq: CodesInput, k: number, params: SearchParametersHNSW | undefined): HnswSearchArgs {
    checkK(k);
    const walk = resolveWalk(this.hnsw, params);
    const q = asCodes(xq, this.codeSize, 'xq');
    checkResultSize(q.rows, k);
    const graph = this.hnsw.snapshot();
    return {
      graph,
      storage: this.#store.arrays(),
      xq: q.data,
      nq: q.rows,
      k,
      efSearch: Math.max(walk.efSearch, k),
      boundedQueue: walk.boundedQueue,
      checkRelativeDistance: walk.checkRelativeDistance,
      filter: selectorMask(walk.selector as IDSelector | undefined, graph.ntotal),
      distances: new Float32Array(q.rows * k),
      labels: new BigInt64Array(q.rows * k),
    };
  }

  /** k nearest codes through the graph (Hamming distances; efSearch raised to k when smaller, see IndexHNSW). */
  searchSync(xq: CodesInput, k: number, params?: SearchParametersHNSW): BinarySearchResult {
    const a = this.#searchArgs(xq, k, params);
    hnswSearch(a);
    return { distances: toInt32(a.distances, a.labels), labels: a.labels };
  }

  async search(xq: CodesInput, k: number, params?: SearchParametersHNSW): Promise<BinarySearchResult> {
    const a = this.#searchArgs(xq, k, params);
    this.hnsw.beginRead();
    try {
      await hnswSearchAsync(a);
    } finally {
      this.hnsw.endRead();
    }
    return { distances: toInt32(a.distances, a.labels), labels: a.labels };
  }

  #rangeArgs(xq: CodesInput, radius: number, params: SearchParametersHNSW | undefined): HnswRangeArgs {
    checkHammingRadius(radius);
    const walk = resolveWalk(this.hnsw, params);
    const q = asCodes(xq, this.codeSize, 'xq');
    const graph = this.hnsw.snapshot();
    return {
      graph,
      storage: this.#store.arrays(),
      xq: q.data,
      nq: q.rows,
      radius,
      efSearch: walk.efSearch,
      boundedQueue: walk.boundedQueue,
      checkRelativeDistance: walk.checkRelativeDistance,
      filter: selectorMask(walk.selector as IDSelector | undefined, graph.ntotal),
    };
  }

  /** Codes within Hamming distance < radius met by the graph walk (approximate, as IndexHNSW's). */
  rangeSearchSync(xq: CodesInput, radius: number, params?: SearchParametersHNSW): BinaryRangeSearchResult {
    const r = hnswRangeSearch(this.#rangeArgs(xq, radius, params));
    return { lims: r.lims, distances: Int32Array.from(r.distances, (v) => Math.round(v)), labels: r.labels };
  }

  async rangeSearch(xq: CodesInput, radius: number, params?: SearchParametersHNSW): Promise<BinaryRangeSearchResult> {
    const a = this.#rangeArgs(xq, radius, params);
    this.hnsw.beginRead();
    try {
      const r = await hnswRangeSearchAsync(a);
      return { lims: r.lims, distances: Int32Array.from(r.distances, (v) => Math.round(v)), labels: r.labels };
    } finally {
      this.hnsw.endRead();
    }
  }

  /** @throws MetalFaissError UNSUPPORTED: FAISS's HNSW cannot remove vectors */
  removeIds(_sel: IDSelector | IdsInput): number {
    throw this.unsupported('removeIds', HNSW_NO_REMOVE);
  }

  reconstruct(key: number | bigint): Uint8Array {
    const i = checkKey(key, this.ntotal);
    return this.#store.codes.slice(i * this.codeSize, (i + 1) * this.codeSize);
  }

  reset(): void {
    this.hnsw.reset();
    this.#store.reset();
  }

  memoryBytes(): number {
    return this.hnsw.memoryBytes() + this.#store.memoryBytes();
  }
}

