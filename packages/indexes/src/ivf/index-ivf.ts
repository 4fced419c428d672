/**
 * IndexIVF: the inverted-file index base (FAISS's IndexIVF, 1.7.3 semantics).
 *
 * DESIGN NOTE: how a codec plugs in. FAISS's split is kept:
 *
 *   Level-1 quantizer  `quantizer` (any Index; default IndexFlatL2/IP), `nlist`,
 *                      `cp` (clustering parameters: niter 10; spherical for IP),
 *                      `quantizerTrainsAlone`, `clusteringIndex`. Trained here.
 *   Storage            `invlists`: an InvertedLists of opaque codes of
 *                      `codeSize` bytes + int64 ids (ArrayInvertedLists by
 *                      default), and `directMap` (id -> list, offset). Owned
 *                      and kept consistent here (add, remove, merge, reset).
 *   Codec              the subclass: what a code means. It implements
 *
 *     encodeVectors(x, n, listNos): Uint8Array        n * codeSize bytes (FAISS encode_vectors,
 *                                                     no list numbers in the codes; may use the
 *                                                     quantizer's centroids for residuals)
 *     reconstructFromOffset(listNo, offset): Float32Array   decode one stored entry (d floats)
 *     getInvertedListScanner(): InvertedListScanner   per-query scanner (setQuery / setList /
 *                                                     distanceToCode): the plain-TS search path
 *   and optionally
 *     encodeVectorsAsync(...)                         off-thread encoding
 *     trainResidualSync(x, n) / trainResidual(x, n, signal)   FAISS train_residual (runs after
 *                                                     the quantizer is trained)
 *     scanListsSync(job) / scanLists(job)             a native batched scan (IVFSearchJob:
 *                                                     queries, coarse assignment + distances,
 *                                                     a consistent lists snapshot, k, outputs)
 *     rangeScanListsSync(job) / rangeScanLists(job)   the same for range search
 *     checkCompatibleForMerge(other)                  extra merge checks (e.g. same codebooks)
 *
 *   This base does the rest: validation, NOT_TRAINED checks, coarse search
 *   with nprobe (clamped to nlist), maxCodes (whole lists in probe order until
 *   at least maxCodes codes are scanned, as FAISS), selectors (the scan sees
 *   a snapshot holding only the selected entries), grouping added vectors by
 *   list, ids (sequential, or the caller's), the direct map, removal (swap
 *   with the last entry of the list), mergeFrom and reconstructN.
 *
 * Consistency: a search takes an immutable snapshot of the lists when it
 * starts (InvertedLists.snapshot(): copy-on-write buffers), so adds,
 * removals, merges and resets that run while an async search is in flight
 * never tear its results; the search sees the index as it was when it began.
 * Every mutating call validates everything before it changes anything, so a
 * rejected call leaves the index unchanged.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { asMatrix, type Matrix, type VectorsInput } from '@metalfaiss/linalg';
import { type AsyncOptions, signalOf, throwIfAborted } from '../abort';
import { Clustering, clusteringParameters, type ClusteringParameters, type ClusteringProgress } from '../clustering/clustering';
import type { QuantizerProgress } from '../sq/options';
import { IndexFlat, IndexFlatIP, IndexFlatL2 } from '../flat';
import { Index, type RangeSearchResult, type SearchParameters, type SearchResult } from '../index-base';
import { MetricType, parseMetric, type MetricInput } from '../metric';
import { type IDSelector, toSelector } from '../selector';
import { checkK, checkRadius, checkResultSize, type IdsInput, toId, toIds } from '../validate';
import { DirectMap, type DirectMapType, loListNo, loOffset, parseDirectMapType } from './direct-map';
import { ArrayInvertedLists, type InvertedLists, type InvertedListsSnapshot } from './inverted-lists';
import {
  type InvertedListScanner,
  type IVFRangeJob,
  type IVFSearchJob,
  rangeScanWithScanner,
  scanWithScanner,
} from './scanner';

/** Per-call search parameters of IVF indexes (FAISS's SearchParametersIVF). */
export interface SearchParametersIVF extends SearchParameters {
  /** lists to scan per query (default: the index's nprobe); clamped to nlist */
  nprobe?: number;
  /** stop after the list that brings the scanned codes to at least this many (0 = no limit) */
  maxCodes?: number;
  /** parameters passed to the coarse quantizer's search */
  quantizerParams?: SearchParameters;
}

export interface IndexIVFOptions {
  /** 'l2' (default) or 'ip', or FAISS's metric code */
  metric?: MetricInput;
  /** the coarse quantizer (default: a new IndexFlatL2 / IndexFlatIP of dimension d) */
  quantizer?: Index;
  /** default nprobe (1) */
  nprobe?: number;
}

/**
 * The stored state of an IVF index besides its codec (what FAISS's
 * read_ivf_header and read_InvertedLists restore), for the subclasses'
 * `fromParts`.
 */
export interface IndexIVFParts {
  /** the inverted lists (nlist lists of codeSize-byte codes); the index owns them from now on */
  invlists: InvertedLists;
  /** FAISS's ntotal: the lists' entries plus any vectors that went to no list */
  ntotal: number;
  /** default nprobe */
  nprobe: number;
  /** FAISS's is_trained */
  isTrained: boolean;
  /**
   * The direct map as stored (default none): `array` for 'array' (ntotal
   * positions listNo << 32 | offset, -1 for none), `pairs` for 'hashtable'
   * (flattened (id, position) pairs, kept in this order).
   */
  directMap?: { type: DirectMapType | 0 | 1 | 2; array?: BigInt64Array; pairs?: BigInt64Array };
}

/** Progress of IVF training (the quantizer families' QuantizerProgress, phase 'train'). */
export interface IVFTrainProgress extends QuantizerProgress {
  /** on 'coarse quantizer' steps: the k-means iteration that just finished */
  kmeans?: ClusteringProgress;
}

/** Options of IndexIVF.train / trainSync. */
export interface IndexIVFTrainOptions extends AsyncOptions {
  /**
   * Called after every k-means iteration of the coarse quantizer (step
   * 'coarse quantizer', done = iterations so far, total = cp.niter * cp.nredo + 1),
   * before the codec trains ('codec') and once at the end ('done', done === total).
   */
  onProgress?: (progress: IVFTrainProgress) => void;
}

interface TrainProgress {
  kmeans: ((p: ClusteringProgress) => void) | undefined;
  codec: () => void;
  done: () => void;
}

const NOT_TRAINED_HINT = 'call train(x) first (or give a trained quantizer holding nlist centroids and call train)';

function checkCount(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer in [${min}, ${max}] for ${name}, received ${describeValue(value)}`);
  }
  return value;
}

export abstract class IndexIVF extends Index {
  /** the coarse quantizer: nlist centroids once trained */
  readonly quantizer: Index;
  readonly nlist: number;
  /** bytes per stored code */
  readonly codeSize: number;
  /** clustering parameters of the quantizer training (FAISS's cp: niter 10; spherical for IP) */
  readonly cp: ClusteringParameters;
  /**
   * FAISS's quantizer_trains_alone: 0 = k-means with the quantizer as the
   * assignment index (default), 1 = quantizer.train(x) alone, 2 = k-means
   * with an L2 assigner, centroids then added to the quantizer.
   */
  quantizerTrainsAlone: 0 | 1 | 2 = 0;
  /** optional assignment index for the quantizer's k-means (FAISS's clustering_index) */
  clusteringIndex: Index | null = null;
  /** print FAISS's training lines */
  verbose = false;
  /** the inverted lists (replace only with replaceInvlists) */
  #invlists: InvertedLists;
  readonly directMap = new DirectMap();
  #nprobe = 1;
  #maxCodes = 0;
  #ntotal = 0;
  #isTrained: boolean;

  protected constructor(d: number, nlist: number, codeSize: number, options: IndexIVFOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an options object for the IVF index, received ${describeValue(options)}`);
    }
    const metric = parseMetric(options.metric);
    checkCount('d', d, 1, 1 << 20);
    checkCount('nlist', nlist, 1, 2 ** 31 - 1);
    checkCount('codeSize', codeSize, 1, 2 ** 30);
    const quantizer = options.quantizer ?? (metric === MetricType.L2 ? new IndexFlatL2(d) : new IndexFlatIP(d));
    if (!(quantizer instanceof Index)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an Index for quantizer, received ${describeValue(quantizer)}`);
    }
    if (quantizer.d !== d) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected a quantizer of dimension d = ${d}, received one of dimension ${quantizer.d}`);
    }
    super(d, metric);
    this.quantizer = quantizer;
    this.nlist = nlist;
    this.codeSize = codeSize;
    this.cp = clusteringParameters({ niter: 10, spherical: metric === MetricType.INNER_PRODUCT });
    this.#invlists = new ArrayInvertedLists(nlist, codeSize);
    this.#isTrained = quantizer.isTrained && quantizer.ntotal === nlist;
    if (options.nprobe !== undefined) this.nprobe = options.nprobe;
  }

  // ------------------------------------------------------------------ codec hooks

  /** Encodes n vectors assigned to listNos (n entries, -1 = none) into n * codeSize bytes. */
  protected abstract encodeVectors(x: Float32Array, n: number, listNos: BigInt64Array): Uint8Array;

  /** encodeVectors off the event loop (default: the sync form). */
  protected async encodeVectorsAsync(x: Float32Array, n: number, listNos: BigInt64Array): Promise<Uint8Array> {
    return this.encodeVectors(x, n, listNos);
  }

  /** Decodes the entry at (listNo, offset) into a new Float32Array of d values. */
  protected abstract reconstructFromOffset(listNo: number, offset: number): Float32Array;

  /** A scanner for the plain-TypeScript search path (default: unsupported). */
  protected getInvertedListScanner(): InvertedListScanner {
    throw this.unsupported('search', 'this codec provides neither a scanner nor a batched scan');
  }

  /** Trains the codec after the quantizer (FAISS's train_residual); default: nothing. */
  protected trainResidualSync(_x: Float32Array, _n: number): void {
    if (this.verbose) process.stdout.write('IndexIVF: no residual training\n');
  }

  protected async trainResidual(x: Float32Array, n: number, _signal?: AbortSignal): Promise<void> {
    this.trainResidualSync(x, n);
  }

  /** Top-k scan of the probed lists (default: the codec's scanner, on the JS thread). */
  protected scanListsSync(job: IVFSearchJob): void {
    scanWithScanner(job, this.getInvertedListScanner(), this.d);
  }

  protected async scanLists(job: IVFSearchJob): Promise<void> {
    this.scanListsSync(job);
  }

  protected rangeScanListsSync(job: IVFRangeJob): RangeSearchResult {
    return rangeScanWithScanner(job, this.getInvertedListScanner(), this.d);
  }

  protected async rangeScanLists(job: IVFRangeJob): Promise<RangeSearchResult> {
    return this.rangeScanListsSync(job);
  }

  /** Codec-specific merge checks (throw to refuse); the base checks the rest. */
  protected checkCompatibleForMerge(_other: IndexIVF): void {}

  // ------------------------------------------------------------------ fields

  get ntotal(): number {
    return this.#ntotal;
  }

  get isTrained(): boolean {
    return this.#isTrained;
  }

  /** Marks the index trained or not (for codecs restoring a trained state, e.g. from a file). */
  protected setTrained(trained: boolean): void {
    this.#isTrained = trained;
  }

  /**
   * Installs stored state (lists, ntotal, direct map, nprobe, is_trained) on
   * a freshly constructed, empty index: what a subclass's `fromParts` does
   * after restoring its codec. Everything is checked before anything changes.
   * @throws MetalFaissError INVALID_ARGUMENT for inconsistent parts
   */
  protected restoreParts(parts: IndexIVFParts): void {
    if (typeof parts !== 'object' || parts === null) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an IndexIVFParts object, received ${describeValue(parts)}`);
    }
    const lists = parts.invlists;
    if (typeof lists !== 'object' || lists === null || typeof lists.snapshot !== 'function') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an InvertedLists for invlists, received ${describeValue(lists)}`);
    }
    if (lists.nlist !== this.nlist || lists.codeSize !== this.codeSize) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected inverted lists with nlist = ${this.nlist} and codeSize = ${this.codeSize}, received nlist = ${lists.nlist}, codeSize = ${lists.codeSize}`,
      );
    }
    const stored = lists.computeNtotal();
    const ntotal = checkCount('ntotal', parts.ntotal, stored);
    const nprobe = checkCount('nprobe', parts.nprobe, 1, 2 ** 31 - 1);
    if (typeof parts.isTrained !== 'boolean') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for isTrained, received ${describeValue(parts.isTrained)}`);
    }
    if (parts.isTrained && this.quantizer.ntotal !== this.nlist) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a quantizer holding nlist = ${this.nlist} centroids for a trained index, received one holding ${this.quantizer.ntotal}`);
    }
    if (!parts.isTrained && ntotal > 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected no vectors in an untrained index, received ntotal = ${ntotal}`);
    }
    const dm = parts.directMap ?? { type: 'none' };
    // the direct map is the last check: it leaves the map unchanged when it throws
    this.directMap.restore(parseDirectMapType(dm.type), dm.array ?? new BigInt64Array(0), dm.pairs ?? new BigInt64Array(0), lists, ntotal);
    this.#invlists = lists;
    this.#ntotal = ntotal;
    this.#nprobe = nprobe;
    this.#isTrained = parts.isTrained;
  }

  get invlists(): InvertedLists {
    return this.#invlists;
  }

  /**
   * Replaces the inverted lists (FAISS's replace_invlists); they must have
   * this index's nlist and codeSize. ntotal becomes their entry count and a
   * direct map is rebuilt for them.
   */
  replaceInvlists(lists: InvertedLists): void {
    if (typeof lists !== 'object' || lists === null || typeof lists.snapshot !== 'function') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an InvertedLists for replaceInvlists, received ${describeValue(lists)}`);
    }
    if (lists.nlist !== this.nlist || lists.codeSize !== this.codeSize) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected inverted lists with nlist = ${this.nlist} and codeSize = ${this.codeSize}, received nlist = ${lists.nlist}, codeSize = ${lists.codeSize}`,
      );
    }
    const ntotal = lists.computeNtotal();
    const type = this.directMap.type;
    const dm = new DirectMap();
    dm.setType(type, lists, ntotal); // throws before anything changes
    this.directMap.setType('none', lists, 0);
    this.#invlists = lists;
    this.#ntotal = ntotal;
    this.directMap.setType(type, lists, ntotal);
  }

  /** Default number of lists a search scans (FAISS's nprobe, default 1). */
  get nprobe(): number {
    return this.#nprobe;
  }
  set nprobe(value: number) {
    this.#nprobe = checkCount('nprobe', value, 1, 2 ** 31 - 1);
  }

  /** Default maxCodes of a search (0 = no limit). */
  get maxCodes(): number {
    return this.#maxCodes;
  }
  set maxCodes(value: number) {
    this.#maxCodes = checkCount('maxCodes', value, 0);
  }

  /** Entries in list `listNo`. */
  getListSize(listNo: number): number {
    return this.#invlists.listSize(listNo);
  }

  /** FAISS's imbalance factor of the list sizes. */
  imbalanceFactor(): number {
    return this.#invlists.imbalanceFactor();
  }

  #notTrained(method: string): MetalFaissError {
    return new MetalFaissError('NOT_TRAINED', `${this.typeName}.${method}: the index is not trained; ${NOT_TRAINED_HINT}`);
  }

  #log(text: string): void {
    if (this.verbose) process.stdout.write(text);
  }

  // ------------------------------------------------------------------ training

  /** The coarse quantizer's k-means, with FAISS's parameters (cp; verbose if cp or the index is) and the caller's progress. */
  #clustering(progress: TrainProgress): Clustering {
    const cp = clusteringParameters({ ...this.cp, verbose: this.cp.verbose || this.verbose });
    return new Clustering(this.d, this.nlist, { ...cp, onProgress: progress.kmeans });
  }

  /** Validated progress callback of train / trainSync, with the reporters training calls. */
  #progress(options: IndexIVFTrainOptions | undefined, method: string): TrainProgress {
    const cb = options?.onProgress;
    if (cb !== undefined && typeof cb !== 'function') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a function for ${method}'s options.onProgress, received ${describeValue(cb)}`);
    }
    const t0 = Date.now();
    // k-means steps (niter per run, nredo runs), then the codec
    const kmeansSteps = this.cp.niter * this.cp.nredo;
    const total = kmeansSteps + 1;
    const emit = (step: string, done: number, kmeans?: ClusteringProgress) => {
      if (cb) cb({ phase: 'train', step, done, total, elapsedMs: Date.now() - t0, ...(kmeans ? { kmeans } : {}) });
    };
    return {
      kmeans: cb ? (p) => emit('coarse quantizer', Math.min(p.redo * p.niter + p.iteration + 1, kmeansSteps), p) : undefined,
      codec: () => emit('codec', kmeansSteps),
      done: () => emit('done', total),
    };
  }

  /** The quantizer's state before training, to restore it if training fails. */
  #saveQuantizer(): (() => void) | null {
    const q = this.quantizer;
    if (!(q instanceof IndexFlat)) return null;
    const saved = q.vectors.slice();
    return () => {
      q.reset();
      if (saved.length > 0) q.addSync(saved);
    };
  }

  #checkQuantizerSize(): void {
    if (this.quantizer.ntotal !== this.nlist) {
      throw new MetalFaissError('INVALID_ARGUMENT', `nlist not consistent with quantizer size: the quantizer holds ${this.quantizer.ntotal} centroids, nlist is ${this.nlist}`);
    }
  }

  #checkTrainsAlone2(): void {
    if (!(this.metricType === MetricType.L2 || (this.metricType === MetricType.INNER_PRODUCT && this.cp.spherical))) {
      throw new MetalFaissError('UNSUPPORTED', 'quantizerTrainsAlone = 2 needs the L2 metric, or inner product with spherical clustering');
    }
  }

  /*
   * FAISS's train_q1. More than nlist * cp.maxPointsPerCentroid (256) training
   * vectors are subsampled by the k-means itself, as FAISS's Clustering does
   * (rand_perm with cp.seed), so the centroids are FAISS's for the same input.
   */
  #trainQ1Sync(m: Matrix, progress: TrainProgress): void {
    const q = this.quantizer;
    if (q.isTrained && q.ntotal === this.nlist) {
      this.#log('IVF quantizer does not need training.\n');
    } else if (this.quantizerTrainsAlone === 1) {
      this.#log('IVF quantizer trains alone...\n');
      q.trainSync(m.data);
      this.#checkQuantizerSize();
    } else if (this.quantizerTrainsAlone === 0) {
      this.#log(`Training level-1 quantizer on ${m.rows} vectors in ${this.d}D\n`);
      const clus = this.#clustering(progress);
      if (this.clusteringIndex) {
        clus.trainSync(m.data, this.clusteringIndex);
        q.reset();
        q.addSync(clus.centroids);
      } else {
        clus.trainSync(m.data, q);
      }
    } else {
      this.#checkTrainsAlone2();
      this.#log(`Training L2 quantizer on ${m.rows} vectors in ${this.d}D${this.clusteringIndex ? '(user provided index)' : ''}\n`);
      const clus = this.#clustering(progress);
      clus.trainSync(m.data, this.clusteringIndex ?? new IndexFlatL2(this.d));
      this.#log('Adding centroids to quantizer\n');
      if (!q.isTrained) {
        this.#log('But training it first on centroids table...\n');
        q.trainSync(clus.centroids);
      }
      q.addSync(clus.centroids);
    }
  }

  async #trainQ1(m: Matrix, signal: AbortSignal | undefined, progress: TrainProgress): Promise<void> {
    const q = this.quantizer;
    if (q.isTrained && q.ntotal === this.nlist) {
      this.#log('IVF quantizer does not need training.\n');
    } else if (this.quantizerTrainsAlone === 1) {
      this.#log('IVF quantizer trains alone...\n');
      await q.train(m.data, { signal });
      this.#checkQuantizerSize();
    } else if (this.quantizerTrainsAlone === 0) {
      this.#log(`Training level-1 quantizer on ${m.rows} vectors in ${this.d}D\n`);
      const clus = this.#clustering(progress);
      if (this.clusteringIndex) {
        await clus.train(m.data, this.clusteringIndex, { signal });
        q.reset();
        await q.add(clus.centroids);
      } else {
        await clus.train(m.data, q, { signal });
      }
    } else {
      this.#checkTrainsAlone2();
      this.#log(`Training L2 quantizer on ${m.rows} vectors in ${this.d}D${this.clusteringIndex ? '(user provided index)' : ''}\n`);
      const clus = this.#clustering(progress);
      await clus.train(m.data, this.clusteringIndex ?? new IndexFlatL2(this.d), { signal });
      this.#log('Adding centroids to quantizer\n');
      if (!q.isTrained) {
        this.#log('But training it first on centroids table...\n');
        await q.train(clus.centroids);
      }
      await q.add(clus.centroids);
    }
  }

  /**
   * Trains the coarse quantizer (k-means into nlist centroids, FAISS's
   * train_q1; more than 256 * nlist vectors are subsampled as FAISS does) and
   * then the codec (trainResidual).
   * `options.onProgress` is called after every k-means iteration (step
   * 'coarse quantizer', with the iteration's statistics in `kmeans`), before
   * the codec trains ('codec') and at the end ('done', done === total).
   * @throws MetalFaissError INVALID_ARGUMENT (fewer than nlist vectors, bad input), DIMENSION_MISMATCH
   */
  trainSync(x: VectorsInput, options?: Omit<IndexIVFTrainOptions, 'signal'>): void {
    const m = asMatrix(x, this.d, { name: 'x' });
    const progress = this.#progress(options, `${this.typeName}.trainSync`);
    this.#log('Training level-1 quantizer\n');
    const restore = this.#saveQuantizer();
    try {
      this.#trainQ1Sync(m, progress);
      this.#log('Training IVF residual\n');
      progress.codec();
      this.trainResidualSync(m.data, m.rows);
    } catch (error) {
      if (restore) restore();
      throw error;
    }
    this.#isTrained = true;
    progress.done();
  }

  /**
   * trainSync off the event loop (every k-means step is an async kernel
   * call). `options.signal` aborts it with ABORTED; the index, and a flat
   * quantizer, are then as they were. `options.onProgress` as in trainSync.
   */
  async train(x: VectorsInput, options?: IndexIVFTrainOptions): Promise<void> {
    const signal = signalOf(options, `${this.typeName}.train`);
    throwIfAborted(signal, `${this.typeName}.train`);
    const m = asMatrix(x, this.d, { name: 'x' });
    const progress = this.#progress(options, `${this.typeName}.train`);
    this.#log('Training level-1 quantizer\n');
    const restore = this.#saveQuantizer();
    try {
      await this.#trainQ1(m, signal, progress);
      this.#log('Training IVF residual\n');
      progress.codec();
      await this.trainResidual(m.data, m.rows, signal);
      throwIfAborted(signal, `${this.typeName}.train`);
    } catch (error) {
      if (restore) restore();
      throw error;
    }
    this.#isTrained = true;
    progress.done();
  }

  // ------------------------------------------------------------------ adding

  /** The nearest list of every row (FAISS's quantizer->assign); n entries. */
  #assignSync(x: Float32Array): BigInt64Array {
    return this.quantizer.searchSync(x, 1).labels;
  }

  async #assign(x: Float32Array): Promise<BigInt64Array> {
    return (await this.quantizer.search(x, 1)).labels;
  }

  /** The nearest `k` lists of every row of x, best first (n * k list numbers and distances). */
  assignSync(x: VectorsInput, k = 1): SearchResult {
    if (!this.#isTrained) throw this.#notTrained('assign');
    return this.quantizer.searchSync(asMatrix(x, this.d, { name: 'x' }).data, checkK(k));
  }

  async assign(x: VectorsInput, k = 1): Promise<SearchResult> {
    if (!this.#isTrained) throw this.#notTrained('assign');
    return this.quantizer.search(asMatrix(x, this.d, { name: 'x' }).data, checkK(k));
  }

  #prepareAdd(x: VectorsInput, ids: IdsInput | null, method: string): { m: Matrix; ids: BigInt64Array | null } {
    const m = asMatrix(x, this.d, { name: 'x' });
    const idArr = ids === null ? null : toIds(ids, m.rows);
    if (!this.#isTrained) throw this.#notTrained(method);
    this.directMap.checkCanAdd(idArr !== null);
    return { m, ids: idArr };
  }

  /** Stores encoded vectors: groups them by list, appends, updates ntotal and the direct map. */
  #commitAdd(n: number, listNos: BigInt64Array, codes: Uint8Array, ids: BigInt64Array | null): void {
    const cs = this.codeSize;
    if (codes.length !== n * cs) {
      throw new MetalFaissError('NATIVE', `${this.typeName}.encodeVectors returned ${codes.length} bytes for ${n} vectors of ${cs} bytes`);
    }
    const first = this.#ntotal;
    const allIds = ids ?? new BigInt64Array(n).map((_, i) => BigInt(first + i));
    const nlist = this.nlist;
    // counting sort by list
    const count = new Int32Array(nlist + 1);
    const lists = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const l = Number(listNos[i]);
      if (l >= nlist) throw new MetalFaissError('NATIVE', `the quantizer returned list ${l} >= nlist = ${nlist}`);
      lists[i] = l;
      if (l >= 0) count[l + 1]++;
    }
    for (let l = 0; l < nlist; l++) count[l + 1] += count[l];
    const order = new Int32Array(count[nlist]);
    const pos = count.slice(0, nlist);
    for (let i = 0; i < n; i++) if (lists[i] >= 0) order[pos[lists[i]]++] = i;
    const offsets = new Int32Array(n);
    const invlists = this.#invlists;
    for (let l = 0; l < nlist; l++) {
      const a = count[l];
      const b = count[l + 1];
      if (a === b) continue;
      const m = b - a;
      const lid = new BigInt64Array(m);
      const lcodes = new Uint8Array(m * cs);
      for (let t = 0; t < m; t++) {
        const i = order[a + t];
        lid[t] = allIds[i];
        lcodes.set(codes.subarray(i * cs, (i + 1) * cs), t * cs);
      }
      const o = invlists.addEntries(l, lid, lcodes);
      for (let t = 0; t < m; t++) offsets[order[a + t]] = o + t;
    }
    this.directMap.addBatch(allIds, lists, offsets);
    this.#ntotal += n;
  }

  /**
   * Adds n vectors (n * d values) with ids ntotal, ntotal + 1, ...
   * @throws MetalFaissError NOT_TRAINED, INVALID_ARGUMENT, DIMENSION_MISMATCH
   */
  addSync(x: VectorsInput): void {
    const { m } = this.#prepareAdd(x, null, 'add');
    if (m.rows === 0) return;
    const listNos = this.#assignSync(m.data);
    const codes = this.encodeVectors(m.data, m.rows, listNos);
    this.#commitAdd(m.rows, listNos, codes, null);
  }

  /** Adds vectors with caller-chosen 64-bit ids (one per vector). */
  addWithIdsSync(x: VectorsInput, ids: IdsInput): void {
    const p = this.#prepareAdd(x, ids, 'addWithIds');
    if (p.m.rows === 0) return;
    const listNos = this.#assignSync(p.m.data);
    const codes = this.encodeVectors(p.m.data, p.m.rows, listNos);
    this.#commitAdd(p.m.rows, listNos, codes, p.ids);
  }

  /**
   * addSync off the event loop (assignment and encoding are async kernel
   * calls). The vectors get their ids when they are stored, at the end; a
   * search running meanwhile does not see them. `options.signal` aborts
   * before anything is stored (ABORTED, index unchanged).
   */
  async add(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    const signal = signalOf(options, `${this.typeName}.add`);
    throwIfAborted(signal, `${this.typeName}.add`);
    const { m } = this.#prepareAdd(x, null, 'add');
    if (m.rows === 0) return;
    const data = m.data.slice(); // the caller may reuse its buffer while we wait
    const listNos = await this.#assign(data);
    throwIfAborted(signal, `${this.typeName}.add`);
    const codes = await this.encodeVectorsAsync(data, m.rows, listNos);
    throwIfAborted(signal, `${this.typeName}.add`);
    this.#commitAdd(m.rows, listNos, codes, null);
  }

  async addWithIds(x: VectorsInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    const signal = signalOf(options, `${this.typeName}.addWithIds`);
    throwIfAborted(signal, `${this.typeName}.addWithIds`);
    const p = this.#prepareAdd(x, ids, 'addWithIds');
    if (p.m.rows === 0) return;
    const data = p.m.data.slice();
    const idCopy = p.ids ? p.ids.slice() : null;
    const listNos = await this.#assign(data);
    throwIfAborted(signal, `${this.typeName}.addWithIds`);
    const codes = await this.encodeVectorsAsync(data, p.m.rows, listNos);
    throwIfAborted(signal, `${this.typeName}.addWithIds`);
    this.directMap.checkCanAdd(true); // the map type may have changed while we waited
    this.#commitAdd(p.m.rows, listNos, codes, idCopy);
  }

  // ------------------------------------------------------------------ searching

  #searchParams(params: SearchParameters | undefined): {
    nprobe: number;
    maxCodes: number;
    selector: IDSelector | undefined;
    quantizerParams: SearchParameters | undefined;
  } {
    if (params !== undefined && (typeof params !== 'object' || params === null)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a SearchParametersIVF object for params, received ${describeValue(params)}`);
    }
    const p = (params ?? {}) as SearchParametersIVF;
    const nprobe = p.nprobe === undefined ? this.#nprobe : checkCount('params.nprobe', p.nprobe, 1, 2 ** 31 - 1);
    const maxCodes = p.maxCodes === undefined ? this.#maxCodes : checkCount('params.maxCodes', p.maxCodes, 0);
    const selector = p.selector;
    if (selector !== undefined && (typeof selector !== 'object' || selector === null || typeof selector.isMember !== 'function')) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an IDSelector for params.selector, received ${describeValue(selector)}`);
    }
    return { nprobe: Math.min(nprobe, this.nlist), maxCodes, selector, quantizerParams: p.quantizerParams };
  }

  /** maxCodes (FAISS: whole lists in probe order until at least maxCodes codes were scanned). */
  static #applyMaxCodes(coarse: BigInt64Array, nq: number, nprobe: number, sizes: Int32Array, maxCodes: number): BigInt64Array {
    if (maxCodes <= 0) return coarse;
    const out = coarse.slice();
    for (let q = 0; q < nq; q++) {
      let nscan = 0;
      let stop = false;
      for (let p = 0; p < nprobe; p++) {
        const i = q * nprobe + p;
        if (stop) {
          out[i] = -1n;
          continue;
        }
        const key = out[i];
        if (key < 0n) continue;
        const size = sizes[Number(key)];
        if (size === 0) continue;
        nscan += size;
        if (nscan >= maxCodes) stop = true;
      }
    }
    return out;
  }

  /** The snapshot restricted to the selected entries of the probed lists. */
  static #filterSnapshot(snap: InvertedListsSnapshot, coarse: BigInt64Array, selector: IDSelector): InvertedListsSnapshot {
    const n = snap.nlist;
    const cs = snap.codeSize;
    const sizes = new Int32Array(n);
    const codes: Uint8Array[] = new Array(n).fill(new Uint8Array(0));
    const ids: BigInt64Array[] = new Array(n).fill(new BigInt64Array(0));
    const done = new Uint8Array(n);
    let ntotal = 0;
    for (let i = 0; i < coarse.length; i++) {
      const key = Number(coarse[i]);
      if (key < 0 || done[key]) continue;
      done[key] = 1;
      const size = snap.sizes[key];
      const src = snap.ids[key];
      const keep: number[] = [];
      for (let j = 0; j < size; j++) if (selector.isMember(src[j])) keep.push(j);
      const c = new Uint8Array(keep.length * cs);
      const id = new BigInt64Array(keep.length);
      keep.forEach((j, t) => {
        c.set(snap.codes[key].subarray(j * cs, (j + 1) * cs), t * cs);
        id[t] = src[j];
      });
      sizes[key] = keep.length;
      codes[key] = c;
      ids[key] = id;
      ntotal += keep.length;
    }
    return { nlist: n, codeSize: cs, sizes, codes, ids, ntotal };
  }

  #scanInputs(
    coarse: BigInt64Array,
    nq: number,
    nprobe: number,
    maxCodes: number,
    selector: IDSelector | undefined,
    snap: InvertedListsSnapshot,
  ): { coarse: BigInt64Array; lists: InvertedListsSnapshot } {
    const c = IndexIVF.#applyMaxCodes(coarse, nq, nprobe, snap.sizes, maxCodes);
    return { coarse: c, lists: selector ? IndexIVF.#filterSnapshot(snap, c, selector) : snap };
  }

  #searchJob(q: Matrix, k: number, coarse: SearchResult, nprobe: number, maxCodes: number, selector: IDSelector | undefined, snap: InvertedListsSnapshot): IVFSearchJob {
    const s = this.#scanInputs(coarse.labels, q.rows, nprobe, maxCodes, selector, snap);
    return {
      xq: q.data,
      nq: q.rows,
      k,
      metric: this.metricType,
      coarse: s.coarse,
      coarseDistances: coarse.distances,
      nprobe,
      lists: s.lists,
      storePairs: false,
      distances: new Float32Array(q.rows * k),
      labels: new BigInt64Array(q.rows * k),
    };
  }

  #prepareSearch(xq: VectorsInput, k: number, method: string): Matrix {
    checkK(k);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    checkResultSize(q.rows, k);
    if (!this.#isTrained) throw this.#notTrained(method);
    return q;
  }

  /**
   * The k nearest stored vectors of every query among the nprobe lists
   * nearest to it. Per-call `params`: { nprobe, maxCodes, selector,
   * quantizerParams }.
   * @throws MetalFaissError NOT_TRAINED, INVALID_ARGUMENT, DIMENSION_MISMATCH
   */
  searchSync(xq: VectorsInput, k: number, params?: SearchParametersIVF): SearchResult {
    const q = this.#prepareSearch(xq, k, 'search');
    const sp = this.#searchParams(params);
    const snap = this.#invlists.snapshot();
    const coarse = this.quantizer.searchSync(q.data, sp.nprobe, sp.quantizerParams);
    const job = this.#searchJob(q, k, coarse, sp.nprobe, sp.maxCodes, sp.selector, snap);
    this.scanListsSync(job);
    return { distances: job.distances, labels: job.labels };
  }

  /** searchSync off the event loop; it sees the index as it was when it started. */
  async search(xq: VectorsInput, k: number, params?: SearchParametersIVF): Promise<SearchResult> {
    const q = this.#prepareSearch(xq, k, 'search');
    const sp = this.#searchParams(params);
    const snap = this.#invlists.snapshot();
    const data = q.data.slice(); // the caller may reuse its buffer while we wait
    const qm = asMatrix(data, this.d, { name: 'xq', finite: false });
    const coarse = await this.quantizer.search(data, sp.nprobe, sp.quantizerParams);
    const job = this.#searchJob(qm, k, coarse, sp.nprobe, sp.maxCodes, sp.selector, snap);
    await this.scanLists(job);
    return { distances: job.distances, labels: job.labels };
  }

  /**
   * FAISS's search_preassigned: scans the given lists (nq * nprobe list
   * numbers, -1 = none, with their coarse distances) instead of asking the
   * quantizer. `storePairs` returns positions (listNo << 32 | offset) as labels.
   */
  searchPreassignedSync(
    xq: VectorsInput,
    k: number,
    assign: BigInt64Array,
    coarseDistances: Float32Array,
    params?: SearchParametersIVF & { storePairs?: boolean },
  ): SearchResult {
    const q = this.#prepareSearch(xq, k, 'searchPreassigned');
    const sp = this.#searchParams(params);
    const storePairs = params?.storePairs ?? false;
    if (typeof storePairs !== 'boolean') throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean for params.storePairs, received ${describeValue(storePairs)}`);
    if (storePairs && sp.selector) throw new MetalFaissError('UNSUPPORTED', 'selector and storePairs cannot be combined (as in FAISS)');
    const nprobe = this.#checkAssign(assign, coarseDistances, q.rows);
    const snap = this.#invlists.snapshot();
    const job = this.#searchJob(q, k, { labels: assign, distances: coarseDistances }, nprobe, sp.maxCodes, sp.selector, snap);
    job.storePairs = storePairs;
    this.scanListsSync(job);
    return { distances: job.distances, labels: job.labels };
  }

  /** searchPreassignedSync off the event loop (used by IndexShards to quantize once for IVF shards sharing a quantizer). */
  async searchPreassigned(
    xq: VectorsInput,
    k: number,
    assign: BigInt64Array,
    coarseDistances: Float32Array,
    params?: SearchParametersIVF,
  ): Promise<SearchResult> {
    const q = this.#prepareSearch(xq, k, 'searchPreassigned');
    const sp = this.#searchParams(params);
    const nprobe = this.#checkAssign(assign, coarseDistances, q.rows);
    const snap = this.#invlists.snapshot();
    const data = q.data.slice();
    const qm = asMatrix(data, this.d, { name: 'xq', finite: false });
    const job = this.#searchJob(qm, k, { labels: assign.slice(), distances: coarseDistances.slice() }, nprobe, sp.maxCodes, sp.selector, snap);
    await this.scanLists(job);
    return { distances: job.distances, labels: job.labels };
  }

  #checkAssign(assign: unknown, coarseDistances: unknown, nq: number): number {
    if (!(assign instanceof BigInt64Array) || (nq > 0 && assign.length % nq !== 0) || (nq === 0 && assign.length !== 0)) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected a BigInt64Array of nq * nprobe list numbers (nq = ${nq}) for assign, received ${describeValue(assign)}`);
    }
    const nprobe = nq === 0 ? 1 : assign.length / nq;
    if (nprobe < 1) throw new MetalFaissError('DIMENSION_MISMATCH', `expected at least one list per query in assign, received ${describeValue(assign)}`);
    if (!(coarseDistances instanceof Float32Array) || coarseDistances.length !== assign.length) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected a Float32Array of length ${assign.length} for coarseDistances, received ${describeValue(coarseDistances)}`);
    }
    const nl = BigInt(this.nlist);
    for (let i = 0; i < assign.length; i++) {
      if (assign[i] < -1n || assign[i] >= nl) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected list numbers in [-1, ${this.nlist}) in assign, received ${assign[i]} at assign[${i}] (FAISS: "Invalid key")`);
      }
    }
    return nprobe;
  }

  #rangeJob(q: Matrix, radius: number, coarse: SearchResult, nprobe: number, maxCodes: number, selector: IDSelector | undefined, snap: InvertedListsSnapshot): IVFRangeJob {
    // FAISS's range search ignores maxCodes
    void maxCodes;
    const s = this.#scanInputs(coarse.labels, q.rows, nprobe, 0, selector, snap);
    return {
      xq: q.data,
      nq: q.rows,
      radius,
      metric: this.metricType,
      coarse: s.coarse,
      coarseDistances: coarse.distances,
      nprobe,
      lists: s.lists,
      storePairs: false,
    };
  }

  /**
   * All stored vectors within `radius` (L2: distance < radius; IP:
   * similarity > radius) among the nprobe nearest lists of every query.
   * Within a query, results are in probe order, then list order (FAISS).
   */
  rangeSearchSync(xq: VectorsInput, radius: number, params?: SearchParametersIVF): RangeSearchResult {
    checkRadius(radius);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    if (!this.#isTrained) throw this.#notTrained('rangeSearch');
    const sp = this.#searchParams(params);
    const snap = this.#invlists.snapshot();
    const coarse = this.quantizer.searchSync(q.data, sp.nprobe, sp.quantizerParams);
    return this.rangeScanListsSync(this.#rangeJob(q, radius, coarse, sp.nprobe, sp.maxCodes, sp.selector, snap));
  }

  async rangeSearch(xq: VectorsInput, radius: number, params?: SearchParametersIVF): Promise<RangeSearchResult> {
    checkRadius(radius);
    const q = asMatrix(xq, this.d, { name: 'xq' });
    if (!this.#isTrained) throw this.#notTrained('rangeSearch');
    const sp = this.#searchParams(params);
    const snap = this.#invlists.snapshot();
    const data = q.data.slice();
    const qm = asMatrix(data, this.d, { name: 'xq', finite: false });
    const coarse = await this.quantizer.search(data, sp.nprobe, sp.quantizerParams);
    return this.rangeScanLists(this.#rangeJob(qm, radius, coarse, sp.nprobe, sp.maxCodes, sp.selector, snap));
  }

  // ------------------------------------------------------------------ direct map, reconstruction

  /**
   * FAISS's make_direct_map(b): the 'array' map (true, the default) or no map
   * (false); a type name ('none' | 'array' | 'hashtable') picks that map.
   */
  makeDirectMap(on: boolean | DirectMapType = true): void {
    if (typeof on === 'string') {
      this.setDirectMapType(on);
      return;
    }
    if (typeof on !== 'boolean') {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a boolean or 'none' | 'array' | 'hashtable' for makeDirectMap, received ${describeValue(on)}`);
    }
    this.setDirectMapType(on ? 'array' : 'none');
  }

  /** FAISS's set_direct_map_type: 'none' | 'array' | 'hashtable' (or 0 | 1 | 2). */
  setDirectMapType(type: DirectMapType | 0 | 1 | 2): void {
    this.directMap.setType(parseDirectMapType(type), this.#invlists, this.#ntotal);
  }

  /**
   * The stored vector with id `key` (decoded by the codec). Needs a direct map.
   * @throws MetalFaissError UNSUPPORTED (no direct map), INVALID_ARGUMENT (unknown id)
   */
  reconstruct(key: number | bigint): Float32Array {
    const lo = this.directMap.get(toId(key, 'key'));
    return this.reconstructFromOffset(loListNo(lo), loOffset(lo));
  }

  /**
   * Vectors with ids i0 .. i0 + n - 1 (FAISS's reconstruct_n: scans every
   * list, no direct map needed; ids not found stay zero).
   */
  reconstructN(i0: number, n: number): Float32Array {
    if (!Number.isSafeInteger(i0) || !Number.isSafeInteger(n) || n < 0 || (n > 0 && (i0 < 0 || i0 + n > this.#ntotal))) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected 0 <= i0 and i0 + n <= ntotal = ${this.#ntotal} for reconstructN, received i0 = ${describeValue(i0)}, n = ${describeValue(n)}`,
      );
    }
    const out = new Float32Array(n * this.d);
    if (n === 0) return out;
    const lo = BigInt(i0);
    const hi = BigInt(i0 + n);
    for (let l = 0; l < this.nlist; l++) {
      const ids = this.#invlists.ids(l);
      for (let o = 0; o < ids.length; o++) {
        const id = ids[o];
        if (id >= lo && id < hi) out.set(this.reconstructFromOffset(l, o), Number(id - lo) * this.d);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ removal, merge, reset

  /**
   * Removes the entries whose ids the selector (or id list) names: each is
   * replaced by the last entry of its list (FAISS's order). Returns the count.
   * @throws MetalFaissError UNSUPPORTED with the 'array' direct map (as FAISS)
   */
  removeIds(sel: IDSelector | IdsInput): number {
    const selector = toSelector(sel);
    if (this.directMap.type === 'array') {
      throw new MetalFaissError(
        'UNSUPPORTED',
        `${this.typeName}.removeIds is not supported with the 'array' direct map (FAISS: "remove not supported with this direct_map format"); use setDirectMapType('hashtable')`,
      );
    }
    const inv = this.#invlists;
    const cs = this.codeSize;
    let removed = 0;
    for (let l = 0; l < this.nlist; l++) {
      const size = inv.listSize(l);
      if (size === 0) continue;
      const view = inv.ids(l);
      let j = 0;
      while (j < size && !selector.isMember(view[j])) j++;
      if (j === size) continue; // nothing to remove here: no copy
      const ids = view.slice();
      const codes = inv.codes(l).slice();
      let end = size;
      while (j < end) {
        if (selector.isMember(ids[j])) {
          this.directMap.onRemoved(ids[j]);
          end--;
          if (j < end) {
            ids[j] = ids[end];
            codes.copyWithin(j * cs, end * cs, (end + 1) * cs);
            this.directMap.onMoved(ids[j], l, j);
          }
        } else {
          j++;
        }
      }
      if (end > 0) inv.updateEntries(l, 0, ids.subarray(0, end), codes.subarray(0, end * cs));
      inv.resize(l, end);
      removed += size - end;
    }
    this.#ntotal -= removed;
    return removed;
  }

  /**
   * Moves every entry of `other` into this index, adding `addId` to its ids,
   * and empties `other` (FAISS's merge_from). Both must be the same kind of
   * index with the same quantizer centroids and no direct map.
   */
  mergeFrom(other: IndexIVF, addId: number | bigint = 0): void {
    if (!(other instanceof IndexIVF) || other.constructor !== this.constructor) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected another ${this.typeName} for mergeFrom (can only merge indexes of the same type), received ${describeValue(other)}`);
    }
    if (other === this) throw new MetalFaissError('INVALID_ARGUMENT', 'expected another index for mergeFrom, received the same index');
    const shift = toId(addId, 'addId');
    const mismatch = (what: string, a: unknown, b: unknown) =>
      new MetalFaissError('INVALID_ARGUMENT', `expected the same ${what} for mergeFrom, received ${String(a)} here and ${String(b)} in the other index`);
    if (other.d !== this.d) throw mismatch('d', this.d, other.d);
    if (other.nlist !== this.nlist) throw mismatch('nlist', this.nlist, other.nlist);
    if (other.codeSize !== this.codeSize) throw mismatch('codeSize', this.codeSize, other.codeSize);
    if (other.metricType !== this.metricType) throw mismatch('metric', this.metricName, other.metricName);
    if (other.quantizer.ntotal !== this.quantizer.ntotal) throw mismatch('quantizer size', this.quantizer.ntotal, other.quantizer.ntotal);
    if (!this.directMap.isNone || !other.directMap.isNone) {
      throw new MetalFaissError('UNSUPPORTED', 'mergeFrom with a direct map is not supported (FAISS: "merge direct_map not implemented"); call setDirectMapType(\'none\') on both first');
    }
    const nq = this.quantizer.ntotal;
    if (nq > 0) {
      const a = this.quantizer.reconstructN(0, nq);
      const b = other.quantizer.reconstructN(0, nq);
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
          throw new MetalFaissError('INVALID_ARGUMENT', 'expected the same coarse quantizer centroids for mergeFrom (FAISS: "coarse quantizers should be the same")');
        }
      }
    }
    this.checkCompatibleForMerge(other);
    this.#invlists.mergeFrom(other.#invlists, shift);
    this.#ntotal += other.#ntotal;
    other.#ntotal = 0;
  }

  /** Removes every vector; training (quantizer, codec) is kept. */
  reset(): void {
    this.directMap.clear();
    this.#invlists.reset();
    this.#ntotal = 0;
  }

  /** Lists (capacity), quantizer and direct map, in bytes. */
  memoryBytes(): number {
    return this.#invlists.memoryBytes() + this.quantizer.memoryBytes() + this.directMap.memoryBytes();
  }
}
