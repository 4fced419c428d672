/**
 * IndexBinaryIVF (FAISS's name): binary codes in inverted lists, one list per
 * centroid of a binary quantizer (an IndexBinaryFlat, or IndexBinaryHNSW);
 * search scans the nprobe nearest lists by Hamming distance.
 *
 * Training is FAISS's: k-means (IndexBinaryIVF's clustering parameters,
 * niter 10) on the codes decoded to +-1 floats (bit j -> 2 * bit - 1),
 * subsampled to nlist * maxPointsPerCentroid codes with FAISS's permutation
 * when larger; the centroids are binarized back (component > 0 -> 1) into
 * the quantizer.
 *
 * Search results equal FAISS's, ties included: per query, the k smallest
 * (distance, scan position) pairs over the probed lists in probe order, then
 * sorted by (distance, label). Each probed list is scanned once for all the
 * queries that probe it (Hamming k-NN kernel), and the per-list bests are
 * merged per query.
 *
 * Consistency: the lists are copy-on-write (see InvertedLists), so an async
 * search reads the lists as they were when it started.
 */
import {
  MetalFaissError,
  describeValue,
  hammingPairwise,
  hammingPairwiseAsync,
  hammingRangeSearch,
  hammingRangeSearchAsync,
  type HammingPairwiseArgs,
  type HammingRangeArgs,
  type HammingRangeOutput,
} from '@metalfaiss/metal-kernels';
import type { IDSelector } from '../selector';
import { toSelector } from '../selector';
import { checkK, checkResultSize, toIds, type IdsInput } from '../validate';
import { throwIfAborted, type AsyncOptions, signalOf } from '../abort';
import { ArrayInvertedLists, type InvertedListsSnapshot } from '../ivf/inverted-lists';
import { DirectMap, type DirectMapType, loListNo, loOffset } from '../ivf/direct-map';
import { Clustering, type ClusteringParameters } from '../clustering/clustering';
import { randPerm } from '../transforms/random-normal';
import {
  IndexBinary,
  type BinaryRangeSearchResult,
  type BinarySearchParameters,
  type BinarySearchResult,
  type CodesInput,
  HAMMING_PAD_DISTANCE,
  asCodes,
  checkHammingRadius,
} from './index-binary';

/** Per-call parameters of IndexBinaryIVF.search (FAISS's SearchParametersIVF). */
export interface SearchParametersBinaryIVF extends BinarySearchParameters {
  /** lists probed per query (default: the index's nprobe; at most nlist) */
  nprobe?: number;
  /** stop after this many codes were scanned, list boundaries respected (0 = no limit) */
  maxCodes?: number;
}

export interface IndexBinaryIVFParts {
  quantizer: IndexBinary;
  d: number;
  nlist: number;
  nprobe: number;
  /** nlist lists of (codes, ids) */
  lists: Array<{ codes: Uint8Array; ids: BigInt64Array }>;
  isTrained: boolean;
  directMap: { type: DirectMapType; array: BigInt64Array; pairs: BigInt64Array };
}

function checkPositiveInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= ${min} for ${name}, received ${describeValue(v)}`);
  }
  return v;
}

/** The codes as +-1 floats (FAISS's binary_to_real over n codes of d bits). */
export function binaryToReal(codes: Uint8Array, n: number, d: number): Float32Array {
  const cs = d / 8;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = (codes[i * cs + (j >> 3)] >> (j & 7)) & 1 ? 1 : -1;
  }
  return out;
}

/** Floats to bits, component > 0 -> 1 (FAISS's real_to_binary), n rows of d. */
export function realToBinary(x: Float32Array, n: number, d: number): Uint8Array {
  const cs = d / 8;
  const out = new Uint8Array(n * cs);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) if (x[i * d + j] > 0) out[i * cs + (j >> 3)] |= 1 << (j & 7);
  return out;
}

interface Prepared {
  q: { data: Uint8Array; rows: number };
  nprobe: number;
  maxCodes: number;
  sel?: IDSelector;
  snap: InvertedListsSnapshot;
}

interface ListView {
  codes: Uint8Array;
  ids: BigInt64Array;
  /** positions in the list of the entries kept (with a selector), or null for all */
  pos: Int32Array | null;
}

interface KnnTask {
  args: HammingPairwiseArgs;
  members: Array<[number, number]>;
  view: ListView;
  list: number;
}

/** FAISS's heap_replace_top on a max-heap of (distance, id), ties: the larger id is "larger". */
function replaceTop(k: number, val: Int32Array, ids: BigInt64Array, v: number, id: bigint): void {
  let i = 1;
  for (;;) {
    const i1 = i << 1;
    const i2 = i1 + 1;
    if (i1 > k) break;
    let c: number;
    if (i2 === k + 1 || val[i1 - 1] > val[i2 - 1] || (val[i1 - 1] === val[i2 - 1] && ids[i1 - 1] > ids[i2 - 1])) c = i1;
    else c = i2;
    if (v > val[c - 1] || (v === val[c - 1] && id > ids[c - 1])) break;
    val[i - 1] = val[c - 1];
    ids[i - 1] = ids[c - 1];
    i = c;
  }
  val[i - 1] = v;
  ids[i - 1] = id;
}

/** FAISS's heap_reorder: increasing (distance, id); entries with id -1 go to the end as padding. */
function reorder(k: number, val: Int32Array, ids: BigInt64Array): void {
  const items: Array<[number, bigint]> = [];
  for (let i = 0; i < k; i++) if (ids[i] !== -1n) items.push([val[i], ids[i]]);
  items.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (let i = 0; i < k; i++) {
    val[i] = i < items.length ? items[i][0] : HAMMING_PAD_DISTANCE;
    ids[i] = i < items.length ? items[i][1] : -1n;
  }
}

interface RangeTask {
  args: HammingRangeArgs;
  members: Array<[number, number]>;
  view: ListView;
}

interface Probe {
  /** nq * nprobe list numbers (-1 = none) */
  lists: BigInt64Array;
  nprobe: number;
}

export class IndexBinaryIVF extends IndexBinary {
  /** the coarse quantizer (FAISS's `quantizer`) */
  readonly quantizer: IndexBinary;
  readonly nlist: number;
  /** lists probed per query by default (FAISS's nprobe, default 1) */
  nprobe = 1;
  /** codes scanned per query at most (FAISS's max_codes; 0 = no limit) */
  maxCodes = 0;
  /** clustering parameters of train (FAISS's `cp`; IndexBinaryIVF sets niter 10) */
  cp: Partial<ClusteringParameters> = { niter: 10 };
  readonly invlists: ArrayInvertedLists;
  readonly directMap = new DirectMap();
  #ntotal = 0;
  #trained: boolean;
  #queue: Promise<void> = Promise.resolve();

  /**
   * `faiss.IndexBinaryIVF(quantizer, d, nlist)`: the quantizer's d must equal d.
   * @throws MetalFaissError INVALID_ARGUMENT (d, nlist, quantizer)
   */
  constructor(quantizer: IndexBinary, d: number, nlist: number) {
    super(d);
    if (!(quantizer instanceof IndexBinary)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a binary index for IndexBinaryIVF's quantizer, received ${describeValue(quantizer)}`);
    }
    if (quantizer.d !== d) throw new MetalFaissError('DIMENSION_MISMATCH', `expected a quantizer of d = ${d} bits, received d = ${quantizer.d}`);
    checkPositiveInt('nlist', nlist);
    this.quantizer = quantizer;
    this.nlist = nlist;
    this.invlists = new ArrayInvertedLists(nlist, this.codeSize);
    this.#trained = quantizer.isTrained && quantizer.ntotal === nlist;
  }

  /** An index from FAISS's parts (an `IBwF` record), checked. */
  static fromParts(p: IndexBinaryIVFParts): IndexBinaryIVF {
    const index = new IndexBinaryIVF(p.quantizer, p.d, p.nlist);
    if (p.lists.length !== p.nlist) throw new MetalFaissError('IO_FORMAT', `expected ${p.nlist} inverted lists, received ${p.lists.length}`);
    let n = 0;
    p.lists.forEach((l, i) => {
      if (l.ids.length > 0) index.invlists.addEntries(i, l.ids, l.codes);
      n += l.ids.length;
    });
    index.#ntotal = n;
    index.nprobe = checkPositiveInt('nprobe', p.nprobe);
    index.#trained = p.isTrained;
    index.directMap.restore(p.directMap.type, p.directMap.array, p.directMap.pairs, index.invlists, n);
    return index;
  }

  get ntotal(): number {
    return this.#ntotal;
  }
  get isTrained(): boolean {
    return this.#trained;
  }

  /** FAISS's make_direct_map(true / false): an 'array' map (sequential ids) or none. */
  makeDirectMap(on = true): void {
    this.directMap.setType(on ? 'array' : 'none', this.invlists, this.#ntotal);
  }
  setDirectMapType(type: DirectMapType): void {
    this.directMap.setType(type, this.invlists, this.#ntotal);
  }

  #trainingFloats(x: CodesInput): { data: Float32Array; rows: number } {
    const c = asCodes(x, this.codeSize);
    if (c.rows < this.nlist) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected at least nlist = ${this.nlist} training codes for ${this.typeName}.train, received ${c.rows}`);
    }
    const maxPts = this.cp.maxPointsPerCentroid ?? 256;
    const keep = this.nlist * maxPts;
    let codes = c.data;
    let rows = c.rows;
    if (rows > keep) {
      // FAISS's train_encoded: subsample the codes (its rand_perm), then decode
      const perm = randPerm(rows, this.cp.seed ?? 1234);
      const sub = new Uint8Array(keep * this.codeSize);
      for (let i = 0; i < keep; i++) sub.set(codes.subarray(perm[i] * this.codeSize, (perm[i] + 1) * this.codeSize), i * this.codeSize);
      codes = sub;
      rows = keep;
    }
    return { data: binaryToReal(codes, rows, this.d), rows };
  }

  #install(centroids: Float32Array): void {
    this.quantizer.reset();
    this.quantizer.addSync(realToBinary(centroids, this.nlist, this.d));
    this.#trained = true;
  }

  /** FAISS's IndexBinaryIVF::train (skipped when the quantizer already holds nlist trained centroids). */
  trainSync(x: CodesInput): void {
    if (this.quantizer.isTrained && this.quantizer.ntotal === this.nlist) {
      asCodes(x, this.codeSize);
      this.#trained = true;
      return;
    }
    const f = this.#trainingFloats(x);
    const clus = new Clustering(this.d, this.nlist, this.cp);
    clus.trainSync(f.data);
    this.#install(clus.centroids);
  }

  /** train off the event loop (the k-means); `options.signal` aborts it, leaving the index untrained as it was. */
  async train(x: CodesInput, options?: AsyncOptions): Promise<void> {
    const method = `${this.typeName}.train`;
    const signal = signalOf(options, method);
    throwIfAborted(signal, method);
    if (this.quantizer.isTrained && this.quantizer.ntotal === this.nlist) {
      this.trainSync(x);
      return;
    }
    const f = this.#trainingFloats(x);
    const clus = new Clustering(this.d, this.nlist, this.cp);
    await clus.train(f.data, undefined, { signal });
    throwIfAborted(signal, method);
    this.#install(clus.centroids);
  }

  #requireTrained(method: string): void {
    if (!this.#trained) throw new MetalFaissError('NOT_TRAINED', `${this.typeName}.${method} needs a trained index: call train() first`);
  }

  /** Appends entries to their lists and records them; nothing changes on a validation error. */
  #addCodes(codes: Uint8Array, rows: number, ids: BigInt64Array | null, assign: BigInt64Array): void {
    const cs = this.codeSize;
    const listNos = new Int32Array(rows);
    const offsets = new Int32Array(rows);
    const allIds = ids ?? BigInt64Array.from({ length: rows }, (_, i) => BigInt(this.#ntotal + i));
    // group by list, keeping input order inside a list (FAISS adds one by one in input order)
    const byList = new Map<number, number[]>();
    for (let i = 0; i < rows; i++) {
      const l = Number(assign[i]);
      listNos[i] = l;
      if (l < 0) continue;
      let g = byList.get(l);
      if (!g) byList.set(l, (g = []));
      g.push(i);
    }
    for (const [l, members] of byList) {
      const lc = new Uint8Array(members.length * cs);
      const li = new BigInt64Array(members.length);
      members.forEach((i, j) => {
        lc.set(codes.subarray(i * cs, (i + 1) * cs), j * cs);
        li[j] = allIds[i];
      });
      const first = this.invlists.addEntries(l, li, lc);
      members.forEach((i, j) => (offsets[i] = first + j));
    }
    this.directMap.addBatch(allIds, listNos, offsets);
    this.#ntotal += rows;
  }

  #assign(codes: Uint8Array, rows: number): BigInt64Array {
    return this.quantizer.searchSync(codes, 1).labels;
  }

  addSync(x: CodesInput): void {
    this.#add(x, null);
  }

  addWithIdsSync(x: CodesInput, ids: IdsInput): void {
    const c = asCodes(x, this.codeSize);
    this.#add(c.data, toIds(ids, c.rows));
  }

  #add(x: CodesInput, ids: BigInt64Array | null): void {
    this.#requireTrained('add');
    const c = asCodes(x, this.codeSize);
    this.directMap.checkCanAdd(ids !== null);
    if (c.rows === 0) return;
    this.#addCodes(c.data, c.rows, ids, this.#assign(c.data, c.rows));
  }

  async add(x: CodesInput, options?: AsyncOptions): Promise<void> {
    return this.#addAsync(x, null, options);
  }

  async addWithIds(x: CodesInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    const c = asCodes(x, this.codeSize);
    return this.#addAsync(c.data, toIds(ids, c.rows), options);
  }

  /** The quantizer assigns off the event loop; the entries are appended in one step, in call order. */
  #addAsync(x: CodesInput, ids: BigInt64Array | null, options?: AsyncOptions): Promise<void> {
    const method = `${this.typeName}.add`;
    const signal = signalOf(options, method);
    throwIfAborted(signal, method);
    this.#requireTrained('add');
    const c = asCodes(x, this.codeSize);
    this.directMap.checkCanAdd(ids !== null);
    const codes = c.data.slice();
    const turn = this.#queue.then(async () => {
      throwIfAborted(signal, method);
      if (c.rows === 0) return;
      const assign = (await this.quantizer.search(codes, 1)).labels;
      throwIfAborted(signal, method);
      this.#addCodes(codes, c.rows, ids, assign);
    });
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  #params(params: SearchParametersBinaryIVF | undefined): { nprobe: number; maxCodes: number; selector?: IDSelector } {
    if (params !== undefined && (typeof params !== 'object' || params === null)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a SearchParametersBinaryIVF object for params, received ${describeValue(params)}`);
    }
    const nprobe = Math.min(this.nlist, checkPositiveInt('nprobe', params?.nprobe ?? this.nprobe));
    const maxCodes = checkPositiveInt('maxCodes', params?.maxCodes ?? this.maxCodes, 0);
    return { nprobe, maxCodes, selector: params?.selector };
  }

  /** Lists each query probes, in FAISS's order, cut after maxCodes codes (list boundaries kept). */
  #probes(coarse: BigInt64Array, nq: number, nprobe: number, maxCodes: number, snap: InvertedListsSnapshot): Probe {
    if (maxCodes > 0) {
      for (let q = 0; q < nq; q++) {
        let scanned = 0;
        for (let p = 0; p < nprobe; p++) {
          const l = coarse[q * nprobe + p];
          if (scanned >= maxCodes) coarse[q * nprobe + p] = -1n;
          else if (l >= 0n) scanned += snap.sizes[Number(l)];
        }
      }
    }
    return { lists: coarse, nprobe };
  }

  /** Per list, the queries probing it and their probe rank. */
  #groups(probe: Probe, q0: number, q1: number): Map<number, Array<[number, number]>> {
    const groups = new Map<number, Array<[number, number]>>();
    for (let q = q0; q < q1; q++) {
      for (let p = 0; p < probe.nprobe; p++) {
        const l = Number(probe.lists[q * probe.nprobe + p]);
        if (l < 0) continue;
        let g = groups.get(l);
        if (!g) groups.set(l, (g = []));
        g.push([q, p]);
      }
    }
    return groups;
  }

  /** A list's codes / ids, only the selected entries when a selector is given (positions kept for the tie order). */
  #listView(snap: InvertedListsSnapshot, l: number, selector?: IDSelector): ListView {
    const cs = this.codeSize;
    const n = snap.sizes[l];
    const codes = snap.codes[l].subarray(0, n * cs);
    const ids = snap.ids[l].subarray(0, n);
    if (!selector) return { codes, ids, pos: null };
    const keep: number[] = [];
    for (let i = 0; i < n; i++) if (selector.isMember(ids[i])) keep.push(i);
    const c = new Uint8Array(keep.length * cs);
    const d = new BigInt64Array(keep.length);
    keep.forEach((i, j) => {
      c.set(codes.subarray(i * cs, (i + 1) * cs), j * cs);
      d[j] = ids[i];
    });
    return { codes: c, ids: d, pos: Int32Array.from(keep) };
  }

  #prepare(xq: CodesInput, params: SearchParametersBinaryIVF | undefined, method: string): Prepared {
    this.#requireTrained(method);
    const { nprobe, maxCodes, selector } = this.#params(params);
    const sel = selector === undefined ? undefined : toSelector(selector as IDSelector);
    const q = asCodes(xq, this.codeSize, 'xq');
    return { q, nprobe, maxCodes, sel, snap: this.invlists.snapshot() };
  }

  /** One kernel call per probed list: the distances of the queries that probe it to all its codes. */
  #knnTasks(prep: Prepared, coarse: BigInt64Array, q0: number, q1: number): KnnTask[] {
    const { q, nprobe, maxCodes, sel, snap } = prep;
    const cs = this.codeSize;
    const probe = this.#probes(coarse, q.rows, nprobe, maxCodes, snap);
    const tasks: KnnTask[] = [];
    for (const [l, members] of this.#groups(probe, q0, q1)) {
      const view = this.#listView(snap, l, sel);
      const nb = view.ids.length;
      if (nb === 0) continue;
      const sub = new Uint8Array(members.length * cs);
      members.forEach(([qi], j) => sub.set(q.data.subarray(qi * cs, (qi + 1) * cs), j * cs));
      tasks.push({ args: { xq: sub, xb: view.codes, nq: members.length, nb, codeSize: cs, out: new Int32Array(members.length * nb) }, members, view, list: l });
    }
    return tasks;
  }

  /**
   * FAISS's search_knn_hamming_heap, replayed exactly: per query a max-heap
   * of k (distance, id) entries (ties by the larger id at the root), fed the
   * probed lists in probe order and each list in order, an entry replacing
   * the root when its distance is strictly smaller; then sorted.
   */
  #knnMerge(tasks: KnnTask[], prep: Prepared, q0: number, q1: number, k: number, D: Int32Array, I: BigInt64Array): void {
    const nprobe = prep.nprobe;
    // per (query, probe rank): the task and the row holding its distances
    const where = new Map<number, [KnnTask, number]>();
    for (const t of tasks) t.members.forEach(([qi, rank], j) => where.set(qi * nprobe + rank, [t, j]));
    for (let qi = q0; qi < q1; qi++) {
      const val = D.subarray(qi * k, (qi + 1) * k).fill(HAMMING_PAD_DISTANCE);
      const ids = I.subarray(qi * k, (qi + 1) * k).fill(-1n);
      for (let rank = 0; rank < nprobe; rank++) {
        const w = where.get(qi * nprobe + rank);
        if (!w) continue;
        const [t, j] = w;
        const nb = t.view.ids.length;
        const row = t.args.out.subarray(j * nb, (j + 1) * nb);
        for (let e = 0; e < nb; e++) {
          if (row[e] < val[0]) replaceTop(k, val, ids, row[e], t.view.ids[e]);
        }
      }
      reorder(k, val, ids);
    }
  }

  #searchChunks(nq: number): number {
    return Math.max(1, Math.min(nq, 256));
  }

  /** k nearest codes by Hamming distance among the nprobe nearest lists (FAISS's results, ties included). */
  searchSync(xq: CodesInput, k: number, params?: SearchParametersBinaryIVF): BinarySearchResult {
    checkK(k);
    const prep = this.#prepare(xq, params, 'search');
    checkResultSize(prep.q.rows, k);
    const nq = prep.q.rows;
    const coarse = this.quantizer.searchSync(prep.q.data, prep.nprobe).labels;
    const D = new Int32Array(nq * k);
    const I = new BigInt64Array(nq * k);
    const step = this.#searchChunks(nq);
    for (let q0 = 0; q0 < nq; q0 += step) {
      const q1 = Math.min(nq, q0 + step);
      const tasks = this.#knnTasks(prep, coarse, q0, q1);
      for (const t of tasks) hammingPairwise(t.args);
      this.#knnMerge(tasks, prep, q0, q1, k, D, I);
    }
    return { distances: D, labels: I };
  }

  async search(xq: CodesInput, k: number, params?: SearchParametersBinaryIVF): Promise<BinarySearchResult> {
    checkK(k);
    const prep = this.#prepare(xq, params, 'search');
    checkResultSize(prep.q.rows, k);
    const nq = prep.q.rows;
    const coarse = (await this.quantizer.search(prep.q.data, prep.nprobe)).labels;
    const D = new Int32Array(nq * k);
    const I = new BigInt64Array(nq * k);
    const step = this.#searchChunks(nq);
    for (let q0 = 0; q0 < nq; q0 += step) {
      const q1 = Math.min(nq, q0 + step);
      const tasks = this.#knnTasks(prep, coarse, q0, q1);
      for (const t of tasks) await hammingPairwiseAsync(t.args);
      this.#knnMerge(tasks, prep, q0, q1, k, D, I);
    }
    return { distances: D, labels: I };
  }

  #rangeTasks(prep: Prepared, coarse: BigInt64Array, radius: number): RangeTask[] {
    const { q, nprobe, maxCodes, sel, snap } = prep;
    const cs = this.codeSize;
    const probe = this.#probes(coarse, q.rows, nprobe, maxCodes, snap);
    const tasks: RangeTask[] = [];
    for (const [l, members] of this.#groups(probe, 0, q.rows)) {
      const view = this.#listView(snap, l, sel);
      if (view.ids.length === 0) continue;
      const sub = new Uint8Array(members.length * cs);
      members.forEach(([qi], j) => sub.set(q.data.subarray(qi * cs, (qi + 1) * cs), j * cs));
      tasks.push({ args: { xq: sub, xb: view.codes, nq: members.length, nb: view.ids.length, codeSize: cs, radius }, members, view });
    }
    return tasks;
  }

  #rangeMerge(tasks: RangeTask[], results: HammingRangeOutput[], nq: number): BinaryRangeSearchResult {
    const per: Array<Array<[number, number, number, bigint]>> = Array.from({ length: nq }, () => []);
    tasks.forEach(({ members, view }, ti) => {
      const r = results[ti];
      members.forEach(([qi, rank], j) => {
        for (let t = Number(r.lims[j]); t < Number(r.lims[j + 1]); t++) {
          const pos = Number(r.labels[t]);
          per[qi].push([r.distances[t], rank, view.pos ? view.pos[pos] : pos, view.ids[pos]]);
        }
      });
    });
    const lims = new BigInt64Array(nq + 1);
    let total = 0;
    for (let i = 0; i < nq; i++) {
      per[i].sort((a, b) => a[1] - b[1] || a[2] - b[2]);
      total += per[i].length;
      lims[i + 1] = BigInt(total);
    }
    const distances = new Int32Array(total);
    const labels = new BigInt64Array(total);
    let o = 0;
    for (const p of per) {
      for (const [dist, , , id] of p) {
        distances[o] = dist;
        labels[o++] = id;
      }
    }
    return { lims, distances, labels };
  }

  /** Codes at Hamming distance < radius in the probed lists, per query in probe order, then list order (as FAISS). */
  rangeSearchSync(xq: CodesInput, radius: number, params?: SearchParametersBinaryIVF): BinaryRangeSearchResult {
    checkHammingRadius(radius);
    const prep = this.#prepare(xq, params, 'rangeSearch');
    const coarse = this.quantizer.searchSync(prep.q.data, prep.nprobe).labels;
    const tasks = this.#rangeTasks(prep, coarse, radius);
    return this.#rangeMerge(tasks, tasks.map((t) => hammingRangeSearch(t.args)), prep.q.rows);
  }

  async rangeSearch(xq: CodesInput, radius: number, params?: SearchParametersBinaryIVF): Promise<BinaryRangeSearchResult> {
    checkHammingRadius(radius);
    const prep = this.#prepare(xq, params, 'rangeSearch');
    const coarse = (await this.quantizer.search(prep.q.data, prep.nprobe)).labels;
    const tasks = this.#rangeTasks(prep, coarse, radius);
    const results: HammingRangeOutput[] = [];
    for (const t of tasks) results.push(await hammingRangeSearchAsync(t.args));
    return this.#rangeMerge(tasks, results, prep.q.rows);
  }

  /**
   * Removes the entries whose ids the selector names (FAISS's remove_ids:
   * lists keep their order; not with the 'array' direct map).
   */
  removeIds(sel: IDSelector | IdsInput): number {
    const selector = toSelector(sel);
    if (this.directMap.type === 'array') {
      throw this.unsupported('removeIds', "not with the 'array' direct map (as FAISS); use 'hashtable' or none");
    }
    let removed = 0;
    const cs = this.codeSize;
    for (let l = 0; l < this.nlist; l++) {
      const ids = this.invlists.ids(l);
      const codes = this.invlists.codes(l);
      const keep: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (selector.isMember(ids[i])) this.directMap.onRemoved(ids[i]);
        else keep.push(i);
      }
      if (keep.length === ids.length) continue;
      const ni = new BigInt64Array(keep.length);
      const nc = new Uint8Array(keep.length * cs);
      keep.forEach((i, j) => {
        ni[j] = ids[i];
        nc.set(codes.subarray(i * cs, (i + 1) * cs), j * cs);
      });
      removed += ids.length - keep.length;
      this.invlists.resize(l, 0);
      if (keep.length) this.invlists.addEntries(l, ni, nc);
      ni.forEach((id, j) => this.directMap.onMoved(id, l, j));
    }
    this.#ntotal -= removed;
    return removed;
  }

  /** The code of id `key` (needs a direct map, as FAISS). */
  reconstruct(key: number | bigint): Uint8Array {
    const lo = this.directMap.get(typeof key === 'bigint' ? key : BigInt(key));
    return this.invlists.getSingleCode(loListNo(lo), loOffset(lo));
  }

  reset(): void {
    this.invlists.reset();
    this.directMap.clear();
    this.#ntotal = 0;
  }

  memoryBytes(): number {
    return this.invlists.memoryBytes() + this.directMap.memoryBytes() + this.quantizer.memoryBytes();
  }
}
