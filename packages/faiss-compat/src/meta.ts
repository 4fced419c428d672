/**
 * FAISS's composite indexes under their Python names: IndexPreTransform,
 * IndexRefine / IndexRefineFlat, IndexShards, IndexReplicas. Sub-indexes and
 * transforms are reachable as compat objects (`index.index`, `index.chain`,
 * `refine.base_index`, `shards.at(i)`).
 */
import * as ix from '@metalfaiss/indexes';
import type { VectorsInput } from '@metalfaiss/linalg';
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { Index } from './base';
import { VectorTransform, wrapTransform } from './transforms';
import { registerWrapper, wrapIndex } from './wrap';

const wrappers = new WeakMap<object, Index>();

/** The compat object of an index object, stable across calls. */
export function compatOf(impl: ix.Index): Index {
  let w = wrappers.get(impl);
  if (!w) {
    w = wrapIndex(impl);
    wrappers.set(impl, w);
  }
  return w;
}

function implOfIndex(x: unknown, what: string): ix.Index {
  const impl = (x as { impl?: unknown } | null)?.impl;
  if (!(impl instanceof ix.Index)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a faiss-compat index for ${what}, received ${describeValue(x)}`);
  wrappers.set(impl, x as Index);
  return impl;
}

function implOfTransform(x: unknown, what: string): ix.VectorTransform {
  const impl = (x as { impl?: unknown } | null)?.impl;
  if (!(impl instanceof ix.VectorTransform)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a faiss-compat VectorTransform for ${what}, received ${describeValue(x)}`);
  return impl;
}

export class IndexPreTransform<T extends ix.IndexPreTransform = ix.IndexPreTransform> extends Index<T> {
  /** `faiss.IndexPreTransform(index)` or `faiss.IndexPreTransform(ltrans, index)` */
  constructor(a: VectorTransform | Index | T, b?: Index) {
    if (a instanceof ix.IndexPreTransform) super(a);
    else if (b === undefined) super(new ix.IndexPreTransform([], implOfIndex(a, 'IndexPreTransform(index)')) as T);
    else super(new ix.IndexPreTransform([implOfTransform(a, 'IndexPreTransform(ltrans, index)')], implOfIndex(b, 'IndexPreTransform(ltrans, index)')) as T);
  }
  get index(): Index {
    return compatOf(this.impl.index);
  }
  /** the transforms, in order (FAISS's `chain`; `chain.at(i)` works as in Python) */
  get chain(): VectorTransform[] {
    return this.impl.chain.map(wrapTransform);
  }
  prepend_transform(ltrans: VectorTransform): void {
    this.impl.prependTransform(implOfTransform(ltrans, 'prepend_transform'));
  }
  /** the vectors after the chain (FAISS's apply_chain), n * index.d values */
  apply_chain(x: VectorsInput): Float32Array {
    return this.impl.applyChainSync(x);
  }
  reverse_chain(xt: Float32Array): Float32Array {
    return this.impl.reverseChain(xt);
  }
}

/**
 * The seed's `IndexIVFOPQ(d, nlist, M, nbits = 8, metric = METRIC_L2, d_out = d)`:
 * OPQ{M}_{d_out} then IVF{nlist},PQ{M}x{nbits} in one object. It is an
 * IndexPreTransform: FAISS reads what write_index writes for it.
 */
export class IndexIVFOPQ extends IndexPreTransform<ix.IndexIVFOPQ> {
  constructor(d: number, nlist: number, M: number, nbits = 8, metric: number = ix.MetricType.L2, d_out = d) {
    super(new ix.IndexIVFOPQ(d, nlist, M, nbits, { metric: metric as ix.MetricType, dOut: d_out }));
  }
  /** the OPQMatrix */
  get opq(): VectorTransform {
    return wrapTransform(this.impl.opq);
  }
  /** the IndexIVFPQ over the rotated vectors */
  get ivfpq(): Index {
    return compatOf(this.impl.ivfpq);
  }
  get nprobe(): number {
    return this.impl.nprobe;
  }
  set nprobe(v: number) {
    this.impl.nprobe = v;
  }
}

export class IndexRefine<T extends ix.IndexRefine = ix.IndexRefine> extends Index<T> {
  /** `faiss.IndexRefine(base_index, refine_index)` */
  constructor(base_index: Index | T, refine_index?: Index) {
    super(base_index instanceof ix.IndexRefine ? base_index : (new ix.IndexRefine(implOfIndex(base_index, 'base_index'), implOfIndex(refine_index, 'refine_index')) as T));
  }
  get base_index(): Index {
    return compatOf(this.impl.baseIndex);
  }
  get refine_index(): Index {
    return compatOf(this.impl.refineIndex);
  }
  get k_factor(): number {
    return this.impl.kFactor;
  }
  set k_factor(v: number) {
    if (typeof v !== 'number' || !(v >= 1)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a number >= 1 for k_factor, received ${describeValue(v)}`);
    this.impl.kFactor = v;
  }
}

export class IndexRefineFlat extends IndexRefine<ix.IndexRefineFlat> {
  /** `faiss.IndexRefineFlat(base_index)` or `faiss.IndexRefineFlat(base_index, xb)` (xb: the vectors already in base_index) */
  constructor(base_index: Index, xb?: VectorsInput) {
    const base = implOfIndex(base_index, 'IndexRefineFlat(base_index)');
    if (xb === undefined) {
      super(new ix.IndexRefineFlat(base));
    } else {
      const flat = new ix.IndexFlat(base.d, { metric: base.metricType });
      flat.addSync(xb);
      super(ix.IndexRefineFlat.fromParts(base, flat, 1) as ix.IndexRefineFlat);
    }
  }
}

export class IndexShards extends Index<ix.IndexShards> {
  /**
   * `faiss.IndexShards(d, threaded=False, successive_ids=True)`. `threaded` is
   * ignored: the async forms always run the shards' work off the event loop on
   * the native thread pool (IVF-Flat shards over one quantizer: quantized once,
   * then one kernel job over all the shards' lists; other shards concurrently).
   */
  constructor(d: number, _threaded = false, successive_ids = true) {
    super(new ix.IndexShards(d, { successiveIds: successive_ids }));
  }
  add_shard(index: Index): void {
    this.impl.addShard(implOfIndex(index, 'add_shard'));
  }
  remove_shard(index: Index): void {
    this.impl.removeShard(implOfIndex(index, 'remove_shard'));
  }
  count(): number {
    return this.impl.count;
  }
  at(i: number): Index {
    return compatOf(this.impl.at(i));
  }
  get successive_ids(): boolean {
    return this.impl.successiveIds;
  }
}

export class IndexReplicas extends Index<ix.IndexReplicas> {
  /**
   * `faiss.IndexReplicas(d, threaded=True)`. `threaded` is ignored: the async
   * forms search the replicas concurrently off the event loop (IVF-Flat
   * replicas over one quantizer: quantized once, then one kernel job over the
   * whole batch with list l read from replica l % count).
   */
  constructor(d: number, _threaded = true) {
    super(new ix.IndexReplicas(d));
  }
  add_replica(index: Index): void {
    this.impl.addReplica(implOfIndex(index, 'add_replica'));
  }
  remove_replica(index: Index): void {
    this.impl.removeReplica(implOfIndex(index, 'remove_replica'));
  }
  count(): number {
    return this.impl.count;
  }
  at(i: number): Index {
    return compatOf(this.impl.at(i));
  }
}

registerWrapper(ix.IndexPreTransform, IndexPreTransform);
registerWrapper(ix.IndexIVFOPQ, IndexIVFOPQ);
registerWrapper(ix.IndexRefine, IndexRefine);
registerWrapper(ix.IndexRefineFlat, IndexRefineFlat);
registerWrapper(ix.IndexShards, IndexShards);
registerWrapper(ix.IndexReplicas, IndexReplicas);
