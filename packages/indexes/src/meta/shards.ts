/**
 * IndexShards and IndexReplicas (FAISS): several sub-indexes behind one
 * index. Shards split the database (each shard holds a part; a search asks
 * every shard and merges the top-k); replicas each hold everything (a
 * search batch is split across them). The async forms run the sub-index
 * calls concurrently, each off the event loop (their kernels run on native
 * worker threads); the sync forms call them one after another.
 *
 * IVF-Flat sub-indexes over one coarse quantizer (equal centroids, no
 * selector, no maxCodes) take a cheaper road. The native kernels share one
 * process-wide thread pool, so two concurrent kernel jobs only split the same
 * cores between them, and each job pays its fixed costs and streams its
 * probed lists for fewer queries (measured: 2 shard scans cost 1.2x one scan
 * of all the data; 2 half-batches cost 1.15x one batch). Instead the queries
 * are quantized once for the whole batch and ONE kernel job, spread over
 * every pool thread, scans all the sub-indexes' lists:
 *   - IndexShards: list l of shard s is virtual list l * nshards + s, so a
 *     query meets list l's entries in shard order, as in one index holding
 *     them all; ids are shifted by the shard's translation (successiveIds) in
 *     cached copies of the ids, so the kernel's labels are final (no merge);
 *   - IndexReplicas: list l is read from replica l % nreplicas, so the
 *     replicas each serve a share of the lists (instead of each taking a
 *     share of the queries and streaming the lists a second time).
 * Both give exactly what one IndexIVFFlat holding everything gives (same
 * labels, distances and tie order). searchSync takes the same road.
 */
import {
  MetalFaissError,
  describeValue,
  ivfSearchFlat,
  ivfSearchFlatAsync,
  type IvfListsInput,
  type IvfSearchFlatArgs,
  type MetricCode,
} from '@metalfaiss/metal-kernels';
import { asMatrix, type Matrix, type VectorsInput } from '@metalfaiss/linalg';
import { type AsyncOptions, signalOf, throwIfAborted } from '../abort';
import { Index, type SearchParameters, type SearchResult } from '../index-base';
import { IDSelectorBatch, IDSelectorRange } from '../selector';
import { IndexFlat } from '../flat';
import { MetricType } from '../metric';
import { type IDSelector, toSelector } from '../selector';
import { checkDimension, checkK, checkResultSize, type IdsInput, toIds } from '../validate';
import { IndexIVFFlat } from '../ivf/index-ivf-flat';
import type { InvertedListsSnapshot } from '../ivf/inverted-lists';

/** What the shared-quantizer path needs of an IVF shard (IndexIVF has it). */
interface PreassignedIVF {
  quantizer: Index;
  nprobe: number;
  nlist: number;
  maxCodes: number;
  searchPreassigned(xq: Float32Array, k: number, assign: BigInt64Array, coarseDistances: Float32Array, params?: SearchParameters): Promise<SearchResult>;
  searchPreassignedSync(xq: Float32Array, k: number, assign: BigInt64Array, coarseDistances: Float32Array, params?: SearchParameters): SearchResult;
}

/**
 * How a search over IVF sub-indexes sharing one coarse quantizer runs: the
 * quantizer to ask once for the whole batch, with its nprobe and parameters;
 * `flat` when every sub-index is an IndexIVFFlat and no selector or maxCodes
 * applies (then the native scan can read all sub-indexes' lists directly).
 */
interface SharedQuantizerPlan {
  quantizer: Index;
  nprobe: number;
  quantizerParams: SearchParameters | undefined;
  flat: boolean;
}

/** true when two float arrays hold the same bits (a memcmp, not a JS loop). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Common bookkeeping of a collection of sub-indexes of one dimension and metric. */
abstract class IndexCollection<Sub extends Index> extends Index {
  readonly #subs: Sub[] = [];

  protected constructor(d: number, metricType: MetricType) {
    super(checkDimension(d), metricType);
  }

  /** number of sub-indexes (FAISS's count()) */
  get count(): number {
    return this.#subs.length;
  }

  /** sub-index i (FAISS's at(i)) */
  at(i: number): Sub {
    if (!Number.isInteger(i) || i < 0 || i >= this.#subs.length) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [0, ${this.#subs.length}) for the sub-index number, received ${describeValue(i)}`);
    }
    return this.#subs[i];
  }

  get subIndexes(): readonly Sub[] {
    return this.#subs;
  }

  protected addSub(index: Sub, what: string): void {
    if (!(index instanceof Index)) throw new MetalFaissError('INVALID_ARGUMENT', `expected an Index for ${what}, received ${describeValue(index)}`);
    if (index.d !== this.d) throw new MetalFaissError('DIMENSION_MISMATCH', `expected a ${what} of d = ${this.d}, received d = ${index.d}`);
    // an empty collection takes its first sub-index's metric (FAISS's syncWithSubIndexes)
    if (this.#subs.length === 0) (this as { metricType: MetricType }).metricType = index.metricType;
    if (index.metricType !== this.metricType) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a ${what} with metric ${this.metricName}, received metric code ${index.metricType}`);
    }
    if (this.#subs.includes(index)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a ${what} not already in this ${this.typeName}`);
    this.#subs.push(index);
  }

  protected removeSub(index: Sub): void {
    const i = this.#subs.indexOf(index);
    if (i < 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected a sub-index of this ${this.typeName} for removal`);
    this.#subs.splice(i, 1);
  }

  protected checkNonEmpty(method: string): void {
    if (this.#subs.length === 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected at least one sub-index in the ${this.typeName} for ${method}, received none`);
  }

  get isTrained(): boolean {
    return this.#subs.every((s) => s.isTrained);
  }

  trainSync(x: VectorsInput): void {
    const m = asMatrix(x, this.d, { name: 'x', allowEmpty: false });
    for (const s of this.#subs) s.trainSync(m.data);
  }
  /** Trains the sub-indexes one after another (an abort then leaves the untrained ones untouched). */
  async train(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    const method = `${this.typeName}.train`;
    const signal = signalOf(options, method);
    const m = asMatrix(x, this.d, { name: 'x', allowEmpty: false });
    for (const s of this.#subs) {
      throwIfAborted(signal, method);
      await s.train(m.data, options);
    }
  }

  /**
   * Runs one call per sub-index concurrently; if any fails, the sub-indexes
   * whose call succeeded are rolled back with `undo`, then the first error is thrown.
   */
  protected async fanOut(calls: Array<(() => Promise<void>) | null>, undo: (i: number) => void): Promise<void> {
    const results = await Promise.allSettled(calls.map((c) => (c ? c() : Promise.resolve())));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (!failed) return;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled' && calls[i]) undo(i);
    });
    throw failed.reason;
  }

  reset(): void {
    for (const s of this.#subs) s.reset();
  }

  memoryBytes(): number {
    return this.#subs.reduce((t, s) => t + s.memoryBytes(), 0);
  }

  protected checkTrained(method: string): void {
    this.checkNonEmpty(method);
    if (!this.isTrained) throw new MetalFaissError('NOT_TRAINED', `expected trained sub-indexes for ${this.typeName}.${method}, received an untrained one (call train first)`);
  }

  /**
   * The shared coarse quantizer when there are at least two sub-indexes,
   * all IVF over flat quantizers holding the same centroids (bit for bit),
   * with the same nlist and (unless params set it) the same nprobe; else null.
   */
  /** The checked query matrix of a search (trained, k valid, result size representable). */
  protected prepareSearch(xq: VectorsInput, k: number): Matrix {
    this.checkTrained('search');
    checkK(k);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    checkResultSize(q.rows, k);
    return q;
  }

  /** Snapshots of the sub-indexes' inverted lists (for the shared-quantizer IVF-Flat scan). */
  protected listSnapshots(): InvertedListsSnapshot[] {
    return this.subIndexes.map((s) => (s as unknown as IndexIVFFlat).invlists.snapshot());
  }

  protected sharedQuantizer(params: SearchParameters | undefined): SharedQuantizerPlan | null {
    const subs = this.#subs as unknown as Array<Partial<PreassignedIVF>>;
    if (subs.length < 2) return null;
    const p = params as { nprobe?: number; maxCodes?: number; selector?: unknown; quantizerParams?: SearchParameters } | undefined;
    const first = subs[0];
    if (typeof first.searchPreassigned !== 'function' || !(first.quantizer instanceof IndexFlat) || typeof first.nprobe !== 'number' || typeof first.nlist !== 'number') return null;
    const nprobe = Math.min(p?.nprobe ?? first.nprobe, first.nlist);
    const c0 = first.quantizer.vectors;
    for (const s of subs.slice(1)) {
      if (typeof s.searchPreassigned !== 'function' || !(s.quantizer instanceof IndexFlat) || s.nlist !== first.nlist) return null;
      if (p?.nprobe === undefined && s.nprobe !== first.nprobe) return null;
      if (s.quantizer !== first.quantizer && (s.quantizer.metricType !== first.quantizer.metricType || !sameBits(s.quantizer.vectors, c0))) return null;
    }
    const flat =
      subs.every((s) => s instanceof IndexIVFFlat && (p?.maxCodes ?? s.maxCodes) === 0) &&
      (p?.selector === undefined || p.selector === null) &&
      first.nlist * subs.length <= 2 ** 31 - 1; // virtual list numbers (IndexShards) stay 32-bit
    return { quantizer: first.quantizer, nprobe, quantizerParams: p?.quantizerParams, flat };
  }
}

/** Merges per-shard sorted top-k lists (FAISS's merge_tables): best first, ties to the lower shard. */
export function mergeShardResults(
  parts: readonly SearchResult[],
  nq: number,
  k: number,
  similarity: boolean,
  translations: readonly bigint[],
): SearchResult {
  const nshard = parts.length;
  const distances = new Float32Array(nq * k);
  const labels = new BigInt64Array(nq * k);
  const ptr = new Int32Array(nshard);
  const pad = similarity ? -Infinity : Infinity;
  for (let q = 0; q < nq; q++) {
    ptr.fill(0);
    for (let j = 0; j < k; j++) {
      let best = -1;
      let bestD = 0;
      for (let s = 0; s < nshard; s++) {
        const p = ptr[s];
        if (p >= k) continue;
        const off = q * k + p;
        if (parts[s].labels[off] < 0n) continue;
        const dv = parts[s].distances[off];
        if (best < 0 || (similarity ? dv > bestD : dv < bestD)) {
          best = s;
          bestD = dv;
        }
      }
      const o = q * k + j;
      if (best < 0) {
        distances[o] = pad;
        labels[o] = -1n;
        continue;
      }
      const off = q * k + ptr[best]++;
      distances[o] = bestD;
      labels[o] = parts[best].labels[off] + translations[best];
    }
  }
  return { distances, labels };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The coarse assignment over virtual lists: each entry `key` of the nq *
 * nprobe assignment becomes `key * ns + s` for s = 0..ns-1 (in that order;
 * -1 stays -1), an nq * (nprobe * ns) assignment.
 */
function interleaveAssignment(coarse: BigInt64Array, ns: number): BigInt64Array {
  const n = coarse.length;
  const out = new BigInt64Array(n * ns);
  if (LITTLE_ENDIAN) {
    const src = new Int32Array(coarse.buffer, coarse.byteOffset, 2 * n);
    const dst = new Int32Array(out.buffer, 0, 2 * n * ns);
    for (let i = 0; i < n; i++) {
      const key = src[2 * i];
      const neg = src[2 * i + 1] < 0;
      for (let s = 0; s < ns; s++) {
        const o = 2 * (i * ns + s);
        dst[o] = neg ? -1 : key * ns + s;
        dst[o + 1] = neg ? -1 : 0;
      }
    }
  } else {
    const bns = BigInt(ns);
    for (let i = 0; i < n; i++) {
      const key = coarse[i];
      for (let s = 0; s < ns; s++) out[i * ns + s] = key < 0n ? -1n : key * bns + BigInt(s);
    }
  }
  return out;
}

/** Replicas' lists dealt out: list l (codes, ids, size) is replica l % nreplicas's list l (no copies). */
function distributeLists(snaps: readonly InvertedListsSnapshot[]): IvfListsInput {
  const nr = snaps.length;
  const nlist = snaps[0].nlist;
  const sizes = new Int32Array(nlist);
  const codes: Uint8Array[] = new Array(nlist);
  const ids: BigInt64Array[] = new Array(nlist);
  for (let l = 0; l < nlist; l++) {
    const s = snaps[l % nr];
    sizes[l] = s.sizes[l];
    codes[l] = s.codes[l];
    ids[l] = s.ids[l];
  }
  return { sizes, codes, ids };
}

/**
 * A list's ids plus a shift (IndexShards' successive ids), computed once per
 * (ids buffer, size, shift): a snapshot's buffers never change in the part
 * it covers (copy-on-write), so the copy stays right while that holds.
 */
const shiftedIds = new WeakMap<BigInt64Array, { size: number; shift: bigint; ids: BigInt64Array }>();
function shifted(ids: BigInt64Array, size: number, shift: bigint): BigInt64Array {
  if (shift === 0n) return ids;
  const hit = shiftedIds.get(ids);
  if (hit && hit.size === size && hit.shift === shift) return hit.ids;
  const out = new BigInt64Array(size);
  for (let i = 0; i < size; i++) out[i] = ids[i] + shift;
  shiftedIds.set(ids, { size, shift, ids: out });
  return out;
}

/**
 * The sub-indexes' lists as nlist * ns virtual lists: list l of sub-index s
 * is virtual list l * ns + s (codes not copied; ids shifted by shifts[s]).
 */
function interleaveLists(snaps: readonly InvertedListsSnapshot[], nlist: number, shifts: readonly bigint[]): IvfListsInput {
  const ns = snaps.length;
  const sizes = new Int32Array(nlist * ns);
  const codes: Uint8Array[] = new Array(nlist * ns);
  const ids: BigInt64Array[] = new Array(nlist * ns);
  for (let l = 0; l < nlist; l++) {
    for (let s = 0; s < ns; s++) {
      const v = l * ns + s;
      const size = snaps[s].sizes[l];
      sizes[v] = size;
      codes[v] = snaps[s].codes[l];
      ids[v] = shifted(snaps[s].ids[l], size, shifts[s]);
    }
  }
  return { sizes, codes, ids };
}

/** The arguments of one native IVF-Flat scan (labels: the lists' ids). */
function flatScanArgs(xq: Matrix, k: number, metric: MetricType, coarse: BigInt64Array, nprobe: number, lists: IvfListsInput): IvfSearchFlatArgs {
  return {
    xq: xq.data,
    nq: xq.rows,
    d: xq.cols,
    k,
    metric: metric as unknown as MetricCode,
    coarse,
    nprobe,
    lists,
    storePairs: false,
    distances: new Float32Array(xq.rows * k),
    labels: new BigInt64Array(xq.rows * k),
  };
}

export interface IndexShardsOptions {
  /**
   * true (FAISS's default): add() numbers vectors 0..ntotal-1 across the
   * shards in order (shard s's labels are offset by the sizes of shards
   * before it), and only one add() of all vectors is allowed; false: ids
   * are explicit (addWithIds) or sequential across calls, stored in the shards
   */
  successiveIds?: boolean;
  metric?: MetricType;
}

export class IndexShards<Sub extends Index = Index> extends IndexCollection<Sub> {
  readonly successiveIds: boolean;
  /**
   * The IVF-Flat shards' lists as virtual lists, for the snapshots and
   * translations they were built from; weakly keyed by shard 0's snapshot,
   * so it never keeps lists alive once shard 0 has changed.
   */
  readonly #virtual = new WeakMap<InvertedListsSnapshot, { snaps: readonly InvertedListsSnapshot[]; shifts: readonly bigint[]; lists: IvfListsInput }>();

  constructor(d: number, options: IndexShardsOptions = {}) {
    super(d, options.metric ?? MetricType.L2);
    this.successiveIds = options.successiveIds ?? true;
  }

  /** Adds a shard (FAISS's add_shard); its d and metric must match. */
  addShard(index: Sub): void {
    this.addSub(index, 'shard');
  }
  removeShard(index: Sub): void {
    this.removeSub(index);
  }

  get ntotal(): number {
    return this.subIndexes.reduce((t, s) => t + s.ntotal, 0);
  }

  #plan(x: VectorsInput, ids: IdsInput | null, method: string): { data: Float32Array; n: number; ids: BigInt64Array | null } {
    this.checkTrained(method);
    const m = asMatrix(x, this.d, { name: 'x' });
    if (ids !== null && this.successiveIds) {
      throw new MetalFaissError('INVALID_ARGUMENT', 'expected add() without ids for IndexShards with successiveIds = true (it makes no sense to pass in ids and request them to be shifted)');
    }
    if (this.successiveIds && this.ntotal !== 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', 'expected an empty IndexShards for add (with successiveIds, only add() in a single pass is supported)');
    }
    let idArr = ids === null ? null : toIds(ids, m.rows);
    if (!idArr && !this.successiveIds) {
      idArr = new BigInt64Array(m.rows);
      for (let i = 0; i < m.rows; i++) idArr[i] = BigInt(this.ntotal + i);
    }
    return { data: m.data, n: m.rows, ids: idArr };
  }

  #slices(n: number): Array<[number, number]> {
    const ns = this.count;
    return Array.from({ length: ns }, (_, s) => [Math.floor((s * n) / ns), Math.floor(((s + 1) * n) / ns)] as [number, number]);
  }

  #addPart(sub: Sub, data: Float32Array, ids: BigInt64Array | null, i0: number, i1: number, options?: AsyncOptions): Promise<void> {
    const part = data.subarray(i0 * this.d, i1 * this.d);
    return ids ? sub.addWithIds(part, ids.subarray(i0, i1), options) : sub.add(part, options);
  }

  addSync(x: VectorsInput): void {
    const p = this.#plan(x, null, 'add');
    this.#slices(p.n).forEach(([i0, i1], s) => {
      const part = p.data.subarray(i0 * this.d, i1 * this.d);
      if (p.ids) this.at(s).addWithIdsSync(part, p.ids.subarray(i0, i1));
      else this.at(s).addSync(part);
    });
  }
  async add(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    const p = this.#plan(x, null, 'add');
    throwIfAborted(signalOf(options, 'IndexShards.add'), 'IndexShards.add');
    await this.#addAll(p, options);
  }

  /** Concurrent per-shard adds; on failure or abort the shards that did add are rolled back. */
  #addAll(p: { data: Float32Array; n: number; ids: BigInt64Array | null }, options?: AsyncOptions): Promise<void> {
    const slices = this.#slices(p.n);
    const before = this.subIndexes.map((s) => s.ntotal);
    return this.fanOut(
      slices.map(([i0, i1], s) => (i1 > i0 ? () => this.#addPart(this.at(s), p.data, p.ids, i0, i1, options) as Promise<void> : null)),
      (s) => {
        const sub = this.at(s);
        if (p.ids) sub.removeIds(new IDSelectorBatch(p.ids.subarray(slices[s][0], slices[s][1])));
        else if (before[s] === 0) sub.reset();
        else sub.removeIds(new IDSelectorRange(before[s], sub.ntotal));
      },
    );
  }

  addWithIdsSync(x: VectorsInput, ids: IdsInput): void {
    const p = this.#plan(x, ids, 'addWithIds');
    this.#slices(p.n).forEach(([i0, i1], s) => this.at(s).addWithIdsSync(p.data.subarray(i0 * this.d, i1 * this.d), p.ids!.subarray(i0, i1)));
  }
  async addWithIds(x: VectorsInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    const p = this.#plan(x, ids, 'addWithIds');
    throwIfAborted(signalOf(options, 'IndexShards.addWithIds'), 'IndexShards.addWithIds');
    await this.#addAll(p, options);
  }

  #translations(): bigint[] {
    const t: bigint[] = [];
    let acc = 0n;
    for (const s of this.subIndexes) {
      t.push(this.successiveIds ? acc : 0n);
      acc += BigInt(s.ntotal);
    }
    return t;
  }

  /**
   * Searches the shards one after another and merges; IVF shards over equal
   * coarse quantizers are quantized once (IVF-Flat ones in one native scan,
   * see the module doc).
   */
  searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult {
    const q = this.prepareSearch(xq, k);
    const translations = this.#translations();
    const shared = this.sharedQuantizer(params);
    if (shared?.flat) {
      const snaps = this.listSnapshots();
      const coarse = shared.quantizer.searchSync(q.data, shared.nprobe, shared.quantizerParams);
      const args = this.#flatArgs(q, k, coarse.labels, shared.nprobe, snaps, translations);
      ivfSearchFlat(args);
      return { distances: args.distances, labels: args.labels };
    }
    let parts: SearchResult[];
    if (shared) {
      const coarse = shared.quantizer.searchSync(q.data, shared.nprobe, shared.quantizerParams);
      parts = this.subIndexes.map((s) => (s as unknown as PreassignedIVF).searchPreassignedSync(q.data, k, coarse.labels, coarse.distances, params));
    } else {
      parts = this.subIndexes.map((s) => s.searchSync(q.data, k, params));
    }
    return mergeShardResults(parts, q.rows, k, this.metricType === 0, translations);
  }

  /**
   * Searches every shard concurrently (off the event loop) and merges. When
   * all shards are IVF indexes over equal coarse quantizers (FAISS's
   * IndexShardsIVF situation) with the same nprobe, the queries are
   * quantized once; IVF-Flat shards are then scanned by one native call over
   * all their lists (no per-shard jobs, no merge), other IVF shards each scan
   * their own lists for that assignment, concurrently.
   */
  async search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult> {
    const q = this.prepareSearch(xq, k);
    const translations = this.#translations();
    const shared = this.sharedQuantizer(params);
    if (shared?.flat) {
      // the shards as they are now, and the queries copied: the caller may change either while we wait
      const snaps = this.listSnapshots();
      const data = q.data.slice();
      const coarse = await shared.quantizer.search(data, shared.nprobe, shared.quantizerParams);
      const args = this.#flatArgs(asMatrix(data, this.d, { name: 'xq', finite: false }), k, coarse.labels, shared.nprobe, snaps, translations);
      await ivfSearchFlatAsync(args);
      return { distances: args.distances, labels: args.labels };
    }
    let parts: SearchResult[];
    if (shared) {
      const data = q.data.slice(); // the shards read it after the quantizer: the caller may change it meanwhile
      const coarse = await shared.quantizer.search(data, shared.nprobe, shared.quantizerParams);
      parts = await Promise.all(
        this.subIndexes.map((s) => (s as unknown as PreassignedIVF).searchPreassigned(data, k, coarse.labels, coarse.distances, params)),
      );
    } else {
      parts = await Promise.all(this.subIndexes.map((s) => s.search(q.data, k, params)));
    }
    return mergeShardResults(parts, q.rows, k, this.metricType === 0, translations);
  }


  /**
   * One scan of every shard's lists: virtual list l * nshards + s is list l
   * of shard s, its ids shifted by the shard's translation. The virtual lists
   * are kept while the shards' snapshots (and translations) stay the same.
   */
  #flatArgs(q: Matrix, k: number, coarse: BigInt64Array, nprobe: number, snaps: readonly InvertedListsSnapshot[], shifts: readonly bigint[]): IvfSearchFlatArgs {
    const ns = snaps.length;
    const v = this.#virtual.get(snaps[0]);
    let lists: IvfListsInput;
    if (v && v.snaps.length === ns && v.snaps.every((x, i) => x === snaps[i] && v.shifts[i] === shifts[i])) {
      lists = v.lists;
    } else {
      lists = interleaveLists(snaps, snaps[0].nlist, shifts);
      this.#virtual.set(snaps[0], { snaps, shifts, lists });
    }
    return flatScanArgs(q, k, this.metricType, interleaveAssignment(coarse, ns), nprobe * ns, lists);
  }

  /** Removes ids from every shard (only without successiveIds: the shards hold the real ids). */
  removeIds(sel: IDSelector | IdsInput): number {
    if (this.successiveIds) throw this.unsupported('removeIds', 'with successiveIds the labels are positions across shards; removal would renumber them');
    const selector = toSelector(sel);
    return this.subIndexes.reduce((t, s) => t + s.removeIds(selector), 0);
  }

  /** With successiveIds: the vector at global position key. */
  reconstruct(key: number | bigint): Float32Array {
    if (!this.successiveIds) throw this.unsupported('reconstruct', 'without successiveIds the shards hold arbitrary ids; reconstruct from the shard that holds it');
    let k = typeof key === 'bigint' ? Number(key) : key;
    if (!Number.isInteger(k) || k < 0 || k >= this.ntotal) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [0, ${this.ntotal}) for key, received ${describeValue(key)}`);
    }
    for (const s of this.subIndexes) {
      if (k < s.ntotal) return s.reconstruct(k);
      k -= s.ntotal;
    }
    throw new MetalFaissError('NATIVE', 'IndexShards.reconstruct: key not found');
  }
}

/**
 * IndexReplicas (FAISS): every replica holds all vectors; a query batch is
 * split evenly across the replicas, which search concurrently (IVF-Flat
 * replicas over one quantizer share out their lists instead: module doc).
 */
export class IndexReplicas<Sub extends Index = Index> extends IndexCollection<Sub> {
  constructor(d: number, options: { metric?: MetricType } = {}) {
    super(d, options.metric ?? MetricType.L2);
  }

  /** Adds a replica (FAISS's add_replica); it must hold the same vectors as the others. */
  addReplica(index: Sub): void {
    if (this.count > 0 && index instanceof Index && index.ntotal !== this.at(0).ntotal) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a replica holding ${this.at(0).ntotal} vectors (as the others), received ntotal = ${index.ntotal}`);
    }
    this.addSub(index, 'replica');
  }
  removeReplica(index: Sub): void {
    this.removeSub(index);
  }

  get ntotal(): number {
    return this.count === 0 ? 0 : this.at(0).ntotal;
  }

  addSync(x: VectorsInput): void {
    this.checkTrained('add');
    const m = asMatrix(x, this.d, { name: 'x' });
    for (const s of this.subIndexes) s.addSync(m.data);
  }
  /** Adds to every replica concurrently; on failure or abort the replicas that added are rolled back. */
  async add(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    this.checkTrained('add');
    throwIfAborted(signalOf(options, 'IndexReplicas.add'), 'IndexReplicas.add');
    const m = asMatrix(x, this.d, { name: 'x' });
    const n0 = this.ntotal;
    await this.fanOut(
      this.subIndexes.map((s) => () => s.add(m.data, options)),
      (i) => {
        const s = this.at(i);
        if (n0 === 0) s.reset();
        else s.removeIds(new IDSelectorRange(n0, s.ntotal));
      },
    );
  }

  addWithIdsSync(x: VectorsInput, ids: IdsInput): void {
    this.checkTrained('addWithIds');
    const m = asMatrix(x, this.d, { name: 'x' });
    const idArr = toIds(ids, m.rows);
    for (const s of this.subIndexes) s.addWithIdsSync(m.data, idArr);
  }
  async addWithIds(x: VectorsInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    this.checkTrained('addWithIds');
    throwIfAborted(signalOf(options, 'IndexReplicas.addWithIds'), 'IndexReplicas.addWithIds');
    const m = asMatrix(x, this.d, { name: 'x' });
    const idArr = toIds(ids, m.rows);
    await this.fanOut(
      this.subIndexes.map((s) => () => s.addWithIds(m.data, idArr, options)),
      (i) => this.at(i).removeIds(new IDSelectorBatch(idArr)),
    );
  }

  #split(n: number): Array<[number, number]> {
    const r = this.count;
    return Array.from({ length: r }, (_, i) => [Math.floor((i * n) / r), Math.floor(((i + 1) * n) / r)] as [number, number]);
  }

  #gather(parts: Array<SearchResult | null>, slices: Array<[number, number]>, nq: number, k: number): SearchResult {
    const distances = new Float32Array(nq * k);
    const labels = new BigInt64Array(nq * k);
    parts.forEach((p, i) => {
      if (!p) return;
      distances.set(p.distances, slices[i][0] * k);
      labels.set(p.labels, slices[i][0] * k);
    });
    return { distances, labels };
  }

  /**
   * Splits the batch across the replicas (one after another) and gathers;
   * IVF-Flat replicas over equal coarse quantizers are quantized once and
   * scanned by one kernel job, each replica serving a share of the lists
   * (see the module doc).
   */
  searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult {
    const q = this.prepareSearch(xq, k);
    const shared = this.sharedQuantizer(params);
    if (shared?.flat) {
      const snaps = this.listSnapshots();
      const coarse = shared.quantizer.searchSync(q.data, shared.nprobe, shared.quantizerParams);
      const args = this.#mixedArgs(q, k, coarse.labels, shared.nprobe, snaps);
      ivfSearchFlat(args);
      return { distances: args.distances, labels: args.labels };
    }
    const slices = this.#split(q.rows);
    const parts = slices.map(([i0, i1], i) => (i1 > i0 ? this.at(i).searchSync(q.data.subarray(i0 * this.d, i1 * this.d), k, params) : null));
    return this.#gather(parts, slices, q.rows, k);
  }

  /**
   * Splits the batch across the replicas, which search concurrently (off the
   * event loop), and gathers; IVF-Flat replicas over equal coarse quantizers
   * are quantized once and scanned by one kernel job off the event loop on
   * every pool thread, each replica serving a share of the lists (see the
   * module doc).
   */
  async search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult> {
    const q = this.prepareSearch(xq, k);
    const shared = this.sharedQuantizer(params);
    if (shared?.flat) {
      // the replicas as they are now, and the queries copied: the caller may change either while we wait
      const snaps = this.listSnapshots();
      const data = q.data.slice();
      const coarse = await shared.quantizer.search(data, shared.nprobe, shared.quantizerParams);
      const args = this.#mixedArgs(asMatrix(data, this.d, { name: 'xq', finite: false }), k, coarse.labels, shared.nprobe, snaps);
      await ivfSearchFlatAsync(args);
      return { distances: args.distances, labels: args.labels };
    }
    const slices = this.#split(q.rows);
    const parts = await Promise.all(
      slices.map(([i0, i1], i) => (i1 > i0 ? this.at(i).search(q.data.subarray(i0 * this.d, i1 * this.d), k, params) : Promise.resolve(null))),
    );
    return this.#gather(parts, slices, q.rows, k);
  }


  /** One scan of the whole batch in which list l is read from replica l % nreplicas. */
  #mixedArgs(q: Matrix, k: number, coarse: BigInt64Array, nprobe: number, snaps: readonly InvertedListsSnapshot[]): IvfSearchFlatArgs {
    return flatScanArgs(q, k, this.metricType, coarse, nprobe, distributeLists(snaps));
  }

  removeIds(sel: IDSelector | IdsInput): number {
    this.checkNonEmpty('removeIds');
    const selector = toSelector(sel);
    const counts = this.subIndexes.map((s) => s.removeIds(selector));
    return counts[0];
  }

  reconstruct(key: number | bigint): Float32Array {
    this.checkNonEmpty('reconstruct');
    return this.at(0).reconstruct(key);
  }
}
