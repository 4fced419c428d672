/**
 * IndexRefine / IndexRefineFlat (FAISS): search a fast base index for
 * k * kFactor candidates, then re-rank them with exact distances computed
 * from a refine index (IndexRefineFlat: the raw vectors in an IndexFlat), and
 * keep the best k. Both indexes receive every added vector.
 */
import { METRIC_L2, MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { IndexFlat } from '../flat';
import { type AsyncOptions, signalOf, throwIfAborted } from '../abort';
import { Index, type SearchParameters, type SearchResult } from '../index-base';
import { checkK, checkResultSize, type IdsInput } from '../validate';

/** Per-call parameters of IndexRefine (FAISS's SearchParametersRefine). */
export interface SearchParametersRefine extends SearchParameters {
  /** overrides the index's kFactor for this call */
  kFactor?: number;
  /** parameters for the base index's search (default: the other fields of this object) */
  baseParams?: SearchParameters;
}

let adopting = false;

export class IndexRefine<Base extends Index = Index, Refine extends Index = Index> extends Index {
  readonly baseIndex: Base;
  readonly refineIndex: Refine;
  /** candidates fetched from the base index per result: k * kFactor (FAISS default 1) */
  kFactor = 1;

  constructor(baseIndex: Base, refineIndex: Refine) {
    for (const [name, v] of [['baseIndex', baseIndex], ['refineIndex', refineIndex]] as const) {
      if (!(v instanceof Index)) throw new MetalFaissError('INVALID_ARGUMENT', `expected an Index for ${name}, received ${describeValue(v)}`);
    }
    if (baseIndex.d !== refineIndex.d) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected base and refine indexes of equal d, received ${baseIndex.d} and ${refineIndex.d}`);
    }
    if (baseIndex.ntotal !== refineIndex.ntotal) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected base and refine indexes with equal ntotal, received ${baseIndex.ntotal} and ${refineIndex.ntotal}`);
    }
    if (!adopting && baseIndex.ntotal !== 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an empty base index for IndexRefine (FAISS: base_index should be empty in the beginning), received ntotal = ${baseIndex.ntotal}`);
    }
    super(baseIndex.d, baseIndex.metricType);
    this.baseIndex = baseIndex;
    this.refineIndex = refineIndex;
  }

  /** Wraps indexes that already hold the same vectors (deserialisation). */
  static fromParts<B extends Index, R extends Index>(this: new (b: B, r: R) => IndexRefine<B, R>, base: B, refine: R, kFactor: number): IndexRefine<B, R> {
    adopting = true;
    let r: IndexRefine<B, R>;
    try {
      r = new this(base, refine);
    } finally {
      adopting = false;
    }
    r.kFactor = kFactor;
    return r;
  }

  get ntotal(): number {
    return this.refineIndex.ntotal;
  }
  get isTrained(): boolean {
    return this.baseIndex.isTrained && this.refineIndex.isTrained;
  }

  trainSync(x: VectorsInput): void {
    const m = asMatrix(x, this.d, { name: 'x', allowEmpty: false });
    this.baseIndex.trainSync(m.data);
    if (!this.refineIndex.isTrained) this.refineIndex.trainSync(m.data);
  }
  async train(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    const m = asMatrix(x, this.d, { name: 'x', allowEmpty: false });
    await this.baseIndex.train(m.data, options);
    if (!this.refineIndex.isTrained) await this.refineIndex.train(m.data, options);
  }

  #checkTrained(method: string): void {
    if (!this.isTrained) throw new MetalFaissError('NOT_TRAINED', `expected a trained ${this.typeName} for ${method}, received an untrained one (call train first)`);
  }

  addSync(x: VectorsInput): void {
    this.#checkTrained('add');
    const m = asMatrix(x, this.d, { name: 'x' });
    this.baseIndex.addSync(m.data);
    this.refineIndex.addSync(m.data);
  }
  /**
   * `options.signal` can abort the base index's add; once that has committed
   * the refine index's add runs to completion, so the two never diverge.
   */
  async add(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    this.#checkTrained('add');
    throwIfAborted(signalOf(options, `${this.typeName}.add`), `${this.typeName}.add`);
    const m = asMatrix(x, this.d, { name: 'x' });
    await this.baseIndex.add(m.data, options);
    await this.refineIndex.add(m.data);
  }

  addWithIdsSync(_x: VectorsInput, _ids: IdsInput): void {
    throw this.unsupported('addWithIds', 'labels are positions shared by the base and refine indexes; wrap the IndexRefine in an IndexIDMap');
  }

  #kBase(k: number, params: SearchParametersRefine | undefined): number {
    checkK(k);
    const f = params?.kFactor ?? this.kFactor;
    if (typeof f !== 'number' || !(f >= 1) || !Number.isFinite(f)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a number >= 1 for kFactor, received ${describeValue(f)}`);
    }
    return Math.max(k, Math.floor(k * f));
  }

  #baseParams(params: SearchParametersRefine | undefined): SearchParameters | undefined {
    if (!params) return undefined;
    if (params.baseParams) return params.baseParams;
    const { kFactor: _k, baseParams: _b, ...rest } = params;
    return rest;
  }

  searchSync(xq: VectorsInput, k: number, params?: SearchParametersRefine): SearchResult {
    this.#checkTrained('search');
    const q = asMatrix(xq, this.d, { name: 'xq' });
    const kBase = this.#kBase(k, params);
    checkResultSize(q.rows, kBase);
    const base = this.baseIndex.searchSync(q.data, kBase, this.#baseParams(params));
    return this.#rerank(q.data, q.rows, k, kBase, base.labels, this.refineVectors(), this.ntotal);
  }

  async search(xq: VectorsInput, k: number, params?: SearchParametersRefine): Promise<SearchResult> {
    this.#checkTrained('search');
    const q = asMatrix(xq, this.d, { name: 'xq' });
    const kBase = this.#kBase(k, params);
    checkResultSize(q.rows, kBase);
    // the refine vectors as they are now: the base search below sees the index as it was when it
    // started, so the rerank must too (an add, removal or reset may run meanwhile)
    const vec = this.refineVectors();
    const ntotal = this.ntotal;
    const base = await this.baseIndex.search(q.data, kBase, this.#baseParams(params));
    return this.#rerank(q.data, q.rows, k, kBase, base.labels, vec, ntotal);
  }

  /** The refine index's vector for label i (reconstruct by default; IndexFlat reads its storage). */
  protected refineVectors(): ((i: number) => Float32Array) {
    const flat = this.refineIndex instanceof IndexFlat ? this.refineIndex.vectors : null;
    const d = this.d;
    if (flat) return (i) => flat.subarray(i * d, (i + 1) * d);
    return (i) => this.refineIndex.reconstruct(i);
  }

  #rerank(xq: Float32Array, nq: number, k: number, kBase: number, baseLabels: BigInt64Array, vec: (i: number) => Float32Array, ntotal: number): SearchResult {
    const d = this.d;
    const l2 = this.metricType === METRIC_L2;
    const distances = new Float32Array(nq * k);
    const labels = new BigInt64Array(nq * k);
    const candD = new Float64Array(kBase);
    const candL: number[] = [];
    const order: number[] = [];
    for (let i = 0; i < nq; i++) {
      const q = xq.subarray(i * d, (i + 1) * d);
      candL.length = 0;
      order.length = 0;
      for (let j = 0; j < kBase; j++) {
        const lab = baseLabels[i * kBase + j];
        if (lab < 0n) continue;
        const li = Number(lab);
        if (li >= ntotal) throw new MetalFaissError('NATIVE', `IndexRefine: the base index returned label ${lab} outside [0, ${ntotal})`);
        const v = vec(li);
        let s = 0;
        if (l2) {
          for (let t = 0; t < d; t++) {
            const diff = q[t] - v[t];
            s += diff * diff;
          }
        } else {
          for (let t = 0; t < d; t++) s += q[t] * v[t];
        }
        candD[candL.length] = Math.fround(s);
        order.push(candL.length);
        candL.push(li);
      }
      order.sort((a, b) => (l2 ? candD[a] - candD[b] : candD[b] - candD[a]) || candL[a] - candL[b]);
      for (let j = 0; j < k; j++) {
        const o = i * k + j;
        if (j < order.length) {
          distances[o] = candD[order[j]];
          labels[o] = BigInt(candL[order[j]]);
        } else {
          distances[o] = l2 ? Infinity : -Infinity;
          labels[o] = -1n;
        }
      }
    }
    return { distances, labels };
  }

  reconstruct(key: number | bigint): Float32Array {
    return this.refineIndex.reconstruct(key);
  }

  reset(): void {
    this.baseIndex.reset();
    this.refineIndex.reset();
  }

  memoryBytes(): number {
    return this.baseIndex.memoryBytes() + this.refineIndex.memoryBytes();
  }
}

/** IndexRefine whose refine index is an IndexFlat of the raw vectors (FAISS's IndexRefineFlat). */
export class IndexRefineFlat<Base extends Index = Index> extends IndexRefine<Base, IndexFlat> {
  /**
   * @param baseIndex an empty base index
   * @param refineIndex the flat index (default: a new IndexFlat of the base's d and metric)
   */
  constructor(baseIndex: Base, refineIndex?: IndexFlat) {
    if (!(baseIndex instanceof Index)) throw new MetalFaissError('INVALID_ARGUMENT', `expected an Index for baseIndex, received ${describeValue(baseIndex)}`);
    super(baseIndex, refineIndex ?? new IndexFlat(baseIndex.d, { metric: baseIndex.metricType }));
  }
}
