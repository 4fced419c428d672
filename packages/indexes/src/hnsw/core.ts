/**
 * The parts every HNSW index shares (float storages and the binary one):
 * storages that stage new rows without making them visible, the insertion
 * driver (sync in one kernel call, async in chunks with progress and abort),
 * and search-parameter handling.
 */
import {
  MetalFaissError,
  allocLargeArrayBuffer,
  describeValue,
  hnswAdd,
  hnswAddAsync,
  type HnswStorageArrays,
} from '@metalfaiss/metal-kernels';
import type { SearchParameters } from '../index-base';
import type { IDSelector } from '../selector';
import { throwIfAborted, yieldToEventLoop } from '../abort';
import type { HnswGraph } from './graph';

/** Per-call search parameters of the HNSW indexes (FAISS's SearchParametersHNSW). */
export interface SearchParametersHNSW extends SearchParameters {
  /** candidate-queue size for this call (default: the index's hnsw.efSearch); raised to k when smaller (see IndexHNSW) */
  efSearch?: number;
  /** FAISS's check_relative_distance (default: the index's setting, true) */
  checkRelativeDistance?: boolean;
  /** FAISS's search_bounded_queue (default: the index's setting, true) */
  searchBoundedQueue?: boolean;
}

/** A storage's new rows, written past its visible end; nothing changes until commit(). */
export interface StorageStage {
  /** storage arrays covering the old rows and the new ones */
  arrays: HnswStorageArrays;
  /** the inserted rows as the insertion queries them (the given floats; codes for binary) */
  rows: Float32Array | Uint8Array;
  commit(): void;
}

/** Where an HNSW index keeps its vectors (flat floats, PQ / SQ codes, binary codes). */
export interface HnswStore {
  readonly ntotal: number;
  /** the storage as the kernels take it, as of now */
  arrays(): HnswStorageArrays;
  /**
   * Encodes n rows (n * d floats, or codes for binary) into a stage;
   * `encoded` gives their codes when already computed (async adds encode off
   * the event loop first).
   */
  stage(x: Float32Array | Uint8Array, n: number, encoded?: Uint8Array): StorageStage;
  reset(): void;
  memoryBytes(): number;
}

type TypedCtor<T> = { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number };

/** A zeroed typed array of n elements; large ones in huge-page-friendly memory (see allocLargeArrayBuffer). */
export function largeArray<T>(C: TypedCtor<T>, n: number): T {
  return new C(allocLargeArrayBuffer(n * C.BYTES_PER_ELEMENT));
}

/** Grows a typed array to hold `need` elements, keeping the first `keep`. */
export function ensureCapacity<T extends Float32Array | Uint8Array | Int8Array | Int32Array>(
  buf: T,
  need: number,
  keep: number,
  make: (n: number) => T,
): T {
  if (buf.length >= need) return buf;
  const cap = Math.max(need, Math.min(Math.ceil(buf.length * 1.5), need + (1 << 26)));
  let next: T;
  try {
    next = make(cap);
  } catch (cause) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected room for ${need} storage elements, could not allocate ${cap}`, { cause });
  }
  (next as Uint8Array).set((buf as Uint8Array).subarray(0, keep));
  return next;
}

/** Nodes inserted per async kernel call (between progress reports and abort checks). */
export function addChunk(n: number): number {
  return Math.max(2048, Math.ceil(n / 64));
}

export interface AddReport {
  signal?: AbortSignal;
  report?: (step: string, done: number, total: number) => void;
}

/**
 * Inserts the staged rows into the graph. Sync: one kernel call, in place
 * unless an async search is reading the graph. Async: into a copy, in
 * chunks (progress after each, abort checked between them); the copy and the
 * storage stage are installed together at the end, or dropped.
 */
export function insertSync(graph: HnswGraph, stage: StorageStage, n: number): void {
  const work = graph.prepareAdd(n, graph.hasReaders);
  const r = hnswAdd({ graph: work.graph, storage: stage.arrays, x: stage.rows, n0: work.n0, order: work.order, efConstruction: graph.efConstruction });
  work.graph.entryPoint = r.entryPoint;
  work.graph.maxLevel = r.maxLevel;
  stage.commit();
  graph.commit(work);
}

export async function insertAsync(graph: HnswGraph, stage: StorageStage, n: number, method: string, opts: AddReport): Promise<void> {
  const work = graph.prepareAdd(n, true);
  const chunk = addChunk(n);
  opts.report?.('insert', 0, n);
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const i1 = Math.min(n, i0 + chunk);
    const r = await hnswAddAsync({
      graph: work.graph,
      storage: stage.arrays,
      x: stage.rows,
      n0: work.n0,
      order: work.order.subarray(i0, i1),
      efConstruction: graph.efConstruction,
    });
    work.graph.entryPoint = r.entryPoint;
    work.graph.maxLevel = r.maxLevel;
    opts.report?.('insert', i1, n);
    if (i1 < n) await yieldToEventLoop();
    throwIfAborted(opts.signal, method);
    if (!graph.isCurrent(work)) {
      throw new MetalFaissError('ABORTED', `${method}: the index was reset while the add was running; the add was discarded`);
    }
  }
  if (!graph.isCurrent(work)) {
    throw new MetalFaissError('ABORTED', `${method}: the index was reset while the add was running; the add was discarded`);
  }
  stage.commit();
  graph.commit(work);
}

/** Serializes the async adds of one index (they run one after the other, in call order). */
export class AddQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #running = 0;

  get busy(): boolean {
    return this.#running > 0;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.#running++;
    const result = this.#tail.then(task, task);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result.finally(() => {
      this.#running--;
    });
  }
}

export interface ResolvedWalk {
  efSearch: number;
  checkRelativeDistance: boolean;
  boundedQueue: boolean;
  selector?: IDSelector;
}

function checkBool(name: string, v: unknown): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for params.${name}, received ${describeValue(v)}`);
  return v;
}

/** Per-call parameters over the index defaults. */
export function resolveWalk(graph: HnswGraph, params: SearchParametersHNSW | undefined): ResolvedWalk {
  if (params !== undefined && (typeof params !== 'object' || params === null)) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected a SearchParametersHNSW object for params, received ${describeValue(params)}`);
  }
  const ef = params?.efSearch ?? graph.efSearch;
  if (typeof ef !== 'number' || !Number.isInteger(ef) || ef < 1) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= 1 for efSearch, received ${describeValue(ef)}`);
  }
  return {
    efSearch: ef,
    checkRelativeDistance: checkBool('checkRelativeDistance', params?.checkRelativeDistance) ?? graph.checkRelativeDistance,
    boundedQueue: checkBool('searchBoundedQueue', params?.searchBoundedQueue) ?? graph.searchBoundedQueue,
    selector: params?.selector,
  };
}

/** A per-node mask for a selector (1 = may be returned), or undefined without one. */
export function selectorMask(selector: IDSelector | undefined, ntotal: number): Uint8Array | undefined {
  if (selector === undefined || selector === null) return undefined;
  if (typeof selector !== 'object' || typeof selector.isMember !== 'function') {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an IDSelector for params.selector, received ${describeValue(selector)}`);
  }
  const mask = new Uint8Array(ntotal);
  for (let i = 0; i < ntotal; i++) mask[i] = selector.isMember(BigInt(i)) ? 1 : 0;
  return mask;
}

/** The explanation every HNSW index gives for removeIds. */
export const HNSW_NO_REMOVE =
  "FAISS's HNSW does not support removal: a node cannot be unlinked from the graph without breaking the paths " +
  'that lead through it (rebuild the index without those vectors, or wrap it in an IndexIDMap2 and filter with a selector)';
