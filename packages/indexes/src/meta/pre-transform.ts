/**
 * IndexPreTransform (FAISS): a chain of vector transforms applied to every
 * vector (train, add, search) before an inner index. `d` is the chain's input
 * dimension; the inner index works in the last transform's output dimension.
 * Reconstruction runs the chain backwards (reverseTransform of each step).
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { asMatrix, type VectorsInput } from '@metalfaiss/linalg';
import { type AsyncOptions, signalOf, throwIfAborted } from '../abort';
import { Index, type RangeSearchResult, type SearchParameters, type SearchResult } from '../index-base';
import type { IDSelector } from '../selector';
import type { IdsInput } from '../validate';
import { VectorTransform } from '../transforms/vector-transform';

export class IndexPreTransform<Sub extends Index = Index> extends Index {
  /** the transforms, applied in order */
  readonly chain: VectorTransform[] = [];
  /** the inner index (FAISS's `index`) */
  readonly index: Sub;

  /**
   * @param chain transforms applied in order (the first one's dIn becomes d),
   *   or a single transform; empty for none
   * @param index the inner index, of dimension = the last transform's dOut
   */
  constructor(chain: VectorTransform | readonly VectorTransform[], index: Sub) {
    if (!(index instanceof Index)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an Index for IndexPreTransform's index, received ${describeValue(index)}`);
    }
    const list = Array.isArray(chain) ? [...(chain as readonly VectorTransform[])] : [chain as VectorTransform];
    for (let i = 0; i < list.length; i++) {
      if (!(list[i] instanceof VectorTransform)) {
        throw new MetalFaissError('INVALID_ARGUMENT', `expected a VectorTransform for chain[${i}], received ${describeValue(list[i])}`);
      }
      const next = i + 1 < list.length ? list[i + 1].dIn : index.d;
      if (list[i].dOut !== next) {
        throw new MetalFaissError(
          'DIMENSION_MISMATCH',
          `expected chain[${i}].dOut = ${next} (the next ${i + 1 < list.length ? 'transform\'s dIn' : "index's d"}), received ${list[i].dOut}`,
        );
      }
    }
    super(list.length > 0 ? list[0].dIn : index.d, index.metricType);
    this.index = index;
    this.chain.push(...list);
  }

  /** Adds a transform in front of the chain (FAISS's prepend_transform); d becomes its dIn. */
  prependTransform(t: VectorTransform): void {
    if (!(t instanceof VectorTransform)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a VectorTransform for prependTransform, received ${describeValue(t)}`);
    }
    if (t.dOut !== this.d) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected a transform with dOut = ${this.d} (this index's d) for prependTransform, received dOut = ${t.dOut}`);
    }
    this.chain.unshift(t);
    (this as { d: number }).d = t.dIn;
  }

  get ntotal(): number {
    return this.index.ntotal;
  }
  get isTrained(): boolean {
    return this.index.isTrained && this.chain.every((t) => t.isTrained);
  }

  /** The vectors in the inner index's space (n * index.d). */
  applyChainSync(x: VectorsInput): Float32Array {
    let cur = asMatrix(x, this.d, { name: 'x' }).data;
    for (const t of this.chain) cur = t.applySync(cur);
    return cur;
  }
  async applyChain(x: VectorsInput): Promise<Float32Array> {
    let cur = asMatrix(x, this.d, { name: 'x' }).data;
    for (const t of this.chain) cur = await t.apply(cur);
    return cur;
  }

  /** Inverse of applyChain (n * index.d -> n * d). */
  reverseChain(xt: Float32Array): Float32Array {
    let cur = xt;
    for (let i = this.chain.length - 1; i >= 0; i--) cur = this.chain[i].reverseTransform(cur);
    return cur;
  }

  /** The position of the last untrained component (chain.length = the index), or -1. */
  #lastUntrained(): number {
    if (!this.index.isTrained) return this.chain.length;
    for (let i = this.chain.length - 1; i >= 0; i--) if (!this.chain[i].isTrained) return i;
    return -1;
  }

  trainSync(x: VectorsInput): void {
    let cur = asMatrix(x, this.d, { name: 'x', allowEmpty: false }).data;
    const last = this.#lastUntrained();
    const undo: Array<() => void> = [];
    try {
      for (let i = 0; i <= last; i++) {
        if (i < this.chain.length) {
          if (!this.chain[i].isTrained) {
            undo.push(this.chain[i].captureState());
            this.chain[i].trainSync(cur);
          }
        } else {
          this.index.trainSync(cur);
        }
        if (i === last) break;
        cur = this.chain[i].applySync(cur);
      }
    } catch (e) {
      for (const u of undo.reverse()) u(); // a failed train leaves the chain as it was
      throw e;
    }
  }

  /**
   * Trains the untrained transforms in order, each on the output of the
   * previous ones, then the inner index. `options.signal` aborts it; on abort
   * or failure the transforms trained by this call are restored.
   */
  async train(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    const method = 'IndexPreTransform.train';
    const signal = signalOf(options, method);
    let cur = asMatrix(x, this.d, { name: 'x', allowEmpty: false }).data;
    const last = this.#lastUntrained();
    const undo: Array<() => void> = [];
    try {
      for (let i = 0; i <= last; i++) {
        throwIfAborted(signal, method);
        if (i < this.chain.length) {
          if (!this.chain[i].isTrained) {
            undo.push(this.chain[i].captureState());
            await this.chain[i].train(cur);
          }
        } else {
          await this.index.train(cur, options);
        }
        if (i === last) break;
        cur = await this.chain[i].apply(cur);
      }
    } catch (e) {
      for (const u of undo.reverse()) u();
      throw e;
    }
  }

  #checkTrained(method: string): void {
    if (!this.isTrained) {
      throw new MetalFaissError('NOT_TRAINED', `expected a trained IndexPreTransform for ${method}, received an untrained one (call train first)`);
    }
  }

  addSync(x: VectorsInput): void {
    this.#checkTrained('add');
    this.index.addSync(this.applyChainSync(x));
  }
  async add(x: VectorsInput, options?: AsyncOptions): Promise<void> {
    this.#checkTrained('add');
    throwIfAborted(signalOf(options, 'IndexPreTransform.add'), 'IndexPreTransform.add');
    await this.index.add(await this.applyChain(x), options);
  }

  addWithIdsSync(x: VectorsInput, ids: IdsInput): void {
    this.#checkTrained('addWithIds');
    this.index.addWithIdsSync(this.applyChainSync(x), ids);
  }
  async addWithIds(x: VectorsInput, ids: IdsInput, options?: AsyncOptions): Promise<void> {
    this.#checkTrained('addWithIds');
    throwIfAborted(signalOf(options, 'IndexPreTransform.addWithIds'), 'IndexPreTransform.addWithIds');
    await this.index.addWithIds(await this.applyChain(x), ids, options);
  }

  searchSync(xq: VectorsInput, k: number, params?: SearchParameters): SearchResult {
    this.#checkTrained('search');
    return this.index.searchSync(this.applyChainSync(xq), k, params);
  }
  async search(xq: VectorsInput, k: number, params?: SearchParameters): Promise<SearchResult> {
    this.#checkTrained('search');
    return this.index.search(await this.applyChain(xq), k, params);
  }

  rangeSearchSync(xq: VectorsInput, radius: number, params?: SearchParameters): RangeSearchResult {
    this.#checkTrained('rangeSearch');
    return this.index.rangeSearchSync(this.applyChainSync(xq), radius, params);
  }
  async rangeSearch(xq: VectorsInput, radius: number, params?: SearchParameters): Promise<RangeSearchResult> {
    this.#checkTrained('rangeSearch');
    return this.index.rangeSearch(await this.applyChain(xq), radius, params);
  }

  removeIds(sel: IDSelector | IdsInput): number {
    return this.index.removeIds(sel);
  }

  reconstruct(key: number | bigint): Float32Array {
    return this.reverseChain(this.index.reconstruct(key));
  }

  reconstructN(i0: number, n: number): Float32Array {
    return this.reverseChain(this.index.reconstructN(i0, n));
  }

  reset(): void {
    this.index.reset();
  }

  memoryBytes(): number {
    return this.index.memoryBytes() + this.chain.reduce((s, t) => s + t.memoryBytes(), 0);
  }
}
