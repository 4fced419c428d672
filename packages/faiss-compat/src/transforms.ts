/**
 * FAISS's VectorTransform classes under their Python names, over
 * @metalfaiss/indexes transforms (`.impl`). `vt.apply(x)` / `vt.apply_py(x)`
 * return a new Float32Array of n * d_out values; `vt.A`, `pca.eigenvalues`
 * ... are Float32Arrays (what `faiss.vector_to_array(vt.A)` gives in Python).
 */
import * as ix from '@metalfaiss/indexes';
import type { VectorsInput } from '@metalfaiss/linalg';
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { registerWrapper, wrapObject } from './wrap';

export class VectorTransform<T extends ix.VectorTransform = ix.VectorTransform> {
  readonly impl: T;
  constructor(impl: T) {
    this.impl = impl;
  }
  get d_in(): number {
    return this.impl.dIn;
  }
  get d_out(): number {
    return this.impl.dOut;
  }
  get is_trained(): boolean {
    return this.impl.isTrained;
  }
  train(x: VectorsInput): void {
    this.impl.trainSync(x);
  }
  train_async(x: VectorsInput): Promise<void> {
    return this.impl.train(x);
  }
  /** y = T(x), n * d_out values */
  apply(x: VectorsInput): Float32Array {
    return this.impl.applySync(x);
  }
  apply_py(x: VectorsInput): Float32Array {
    return this.impl.applySync(x);
  }
  apply_async(x: VectorsInput): Promise<Float32Array> {
    return this.impl.apply(x);
  }
  reverse_transform(xt: Float32Array): Float32Array {
    return this.impl.reverseTransform(xt);
  }
}

export class LinearTransform<T extends ix.LinearTransform = ix.LinearTransform> extends VectorTransform<T> {
  /** `faiss.LinearTransform(d_in, d_out, have_bias=False)` */
  constructor(d_in: number | T, d_out?: number, have_bias = false) {
    super(typeof d_in === 'number' ? (new ix.LinearTransform(d_in, d_out ?? d_in, have_bias) as T) : d_in);
  }
  get A(): Float32Array {
    return this.impl.A;
  }
  /** Setting A (and b) marks the transform trained, as assigning A then is_trained = True does in FAISS. */
  set A(a: Float32Array | ArrayLike<number>) {
    this.impl.setMatrix(a, this.impl.b.length ? this.impl.b : undefined);
  }
  get b(): Float32Array {
    return this.impl.b;
  }
  set b(v: Float32Array | ArrayLike<number>) {
    if (this.impl.A.length === 0) throw new MetalFaissError('INVALID_ARGUMENT', 'expected A to be set before b');
    this.impl.setMatrix(this.impl.A, v);
  }
  get have_bias(): boolean {
    return this.impl.haveBias;
  }
  get is_orthonormal(): boolean {
    return this.impl.isOrthonormal;
  }
  set_is_orthonormal(): void {
    this.impl.setIsOrthonormal();
  }
  transform_transpose(y: Float32Array): Float32Array {
    return this.impl.transformTranspose(y);
  }
}

export class RandomRotationMatrix extends LinearTransform<ix.RandomRotationMatrix> {
  /** `faiss.RandomRotationMatrix(d_in, d_out)` */
  constructor(d_in: number, d_out: number) {
    super(new ix.RandomRotationMatrix(d_in, d_out));
  }
  init(seed: number): void {
    this.impl.init(seed);
  }
}

export class PCAMatrix extends LinearTransform<ix.PCAMatrix> {
  /** `faiss.PCAMatrix(d_in, d_out=0 -> d_in, eigen_power=0, random_rotation=False)` */
  constructor(d_in: number, d_out = 0, eigen_power = 0, random_rotation = false) {
    super(new ix.PCAMatrix(d_in, d_out > 0 ? d_out : d_in, eigen_power, random_rotation));
  }
  get eigen_power(): number {
    return this.impl.eigenPower;
  }
  set eigen_power(v: number) {
    this.impl.eigenPower = v;
  }
  get epsilon(): number {
    return this.impl.epsilon;
  }
  set epsilon(v: number) {
    this.impl.epsilon = v;
  }
  get random_rotation(): boolean {
    return this.impl.randomRotation;
  }
  set random_rotation(v: boolean) {
    this.impl.randomRotation = v;
  }
  get max_points_per_d(): number {
    return this.impl.maxPointsPerD;
  }
  set max_points_per_d(v: number) {
    if (!Number.isInteger(v) || v < 1) throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= 1 for max_points_per_d, received ${describeValue(v)}`);
    this.impl.maxPointsPerD = v;
  }
  get balanced_bins(): number {
    return this.impl.balancedBins;
  }
  set balanced_bins(v: number) {
    if (!Number.isInteger(v) || v < 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= 0 for balanced_bins, received ${describeValue(v)}`);
    this.impl.balancedBins = v;
  }
  get mean(): Float32Array {
    return this.impl.mean;
  }
  get eigenvalues(): Float32Array {
    return this.impl.eigenvalues;
  }
  get PCAMat(): Float32Array {
    return this.impl.PCAMat;
  }
  prepare_Ab(): void {
    this.impl.prepareAb();
  }
}

export class ITQMatrix extends LinearTransform<ix.ITQMatrix> {
  /** `faiss.ITQMatrix(d)` */
  constructor(d: number) {
    super(new ix.ITQMatrix(d));
  }
  get max_iter(): number {
    return this.impl.maxIter;
  }
  set max_iter(v: number) {
    this.impl.maxIter = v;
  }
  get seed(): number {
    return this.impl.seed;
  }
  set seed(v: number) {
    this.impl.seed = v;
  }
}

export class ITQTransform extends VectorTransform<ix.ITQTransform> {
  /** `faiss.ITQTransform(d_in, d_out, do_pca)` */
  constructor(d_in: number, d_out: number, do_pca = false) {
    super(new ix.ITQTransform(d_in, d_out, do_pca));
  }
  get mean(): Float32Array {
    return this.impl.mean;
  }
  get do_pca(): boolean {
    return this.impl.doPca;
  }
  get itq(): ITQMatrix {
    return wrapTransform(this.impl.itq) as ITQMatrix;
  }
  get pca_then_itq(): LinearTransform {
    return wrapTransform(this.impl.pcaThenItq) as LinearTransform;
  }
  get max_train_per_dim(): number {
    return this.impl.maxTrainPerDim;
  }
  set max_train_per_dim(v: number) {
    this.impl.maxTrainPerDim = v;
  }
}

export class OPQMatrix extends LinearTransform<ix.OPQMatrix> {
  /** `faiss.OPQMatrix(d, M, d2=-1 -> d)` */
  constructor(d: number, M = 1, d2 = -1) {
    super(new ix.OPQMatrix(d, M, d2 === -1 ? d : d2));
  }
  get M(): number {
    return this.impl.M;
  }
  get niter(): number {
    return this.impl.niter;
  }
  set niter(v: number) {
    this.impl.niter = v;
  }
  get niter_pq(): number {
    return this.impl.niterPq;
  }
  set niter_pq(v: number) {
    this.impl.niterPq = v;
  }
  get niter_pq_0(): number {
    return this.impl.niterPq0;
  }
  set niter_pq_0(v: number) {
    this.impl.niterPq0 = v;
  }
  get max_train_points(): number {
    return this.impl.maxTrainPoints;
  }
  set max_train_points(v: number) {
    this.impl.maxTrainPoints = v;
  }
  get verbose(): boolean {
    return this.impl.verbose;
  }
  set verbose(v: boolean) {
    this.impl.verbose = v;
  }
}

export class NormalizationTransform extends VectorTransform<ix.NormalizationTransform> {
  /** `faiss.NormalizationTransform(d, norm=2.0)` */
  constructor(d: number, norm = 2.0) {
    super(new ix.NormalizationTransform(d, norm));
  }
  get norm(): number {
    return this.impl.norm;
  }
}

export class CenteringTransform extends VectorTransform<ix.CenteringTransform> {
  /** `faiss.CenteringTransform(d)` */
  constructor(d: number) {
    super(new ix.CenteringTransform(d));
  }
  get mean(): Float32Array {
    return this.impl.mean;
  }
}

export class RemapDimensionsTransform extends VectorTransform<ix.RemapDimensionsTransform> {
  /** `faiss.RemapDimensionsTransform(d_in, d_out, uniform=True)` or `(d_in, d_out, map)` */
  constructor(d_in: number, d_out: number, uniform: boolean | ArrayLike<number> = true) {
    super(new ix.RemapDimensionsTransform(d_in, d_out, uniform));
  }
  get map(): Int32Array {
    return this.impl.map;
  }
}

const cache = new WeakMap<object, VectorTransform>();

/** The compat object of a transform (one per transform object, so identity is stable). */
export function wrapTransform(impl: ix.VectorTransform): VectorTransform {
  let w = cache.get(impl);
  if (!w) {
    w = wrapObject(impl) as unknown as VectorTransform;
    cache.set(impl, w);
  }
  return w;
}

/** `faiss.downcast_VectorTransform(vt)`: the most specific compat class (already the case here). */
export function downcast_VectorTransform(vt: VectorTransform): VectorTransform {
  return wrapTransform(vt.impl);
}

/** `faiss.vector_to_array(v)`: a copy of a FAISS vector field (a typed array here). */
export function vector_to_array<T extends ArrayBufferView>(v: T): T {
  if (!ArrayBuffer.isView(v)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a typed array for vector_to_array, received ${describeValue(v)}`);
  return (v as unknown as { slice(): T }).slice();
}

registerWrapper(ix.LinearTransform, LinearTransform);
registerWrapper(ix.RandomRotationMatrix, RandomRotationMatrix);
registerWrapper(ix.PCAMatrix, PCAMatrix);
registerWrapper(ix.ITQMatrix, ITQMatrix);
registerWrapper(ix.OPQMatrix, OPQMatrix);
registerWrapper(ix.ITQTransform, ITQTransform);
registerWrapper(ix.NormalizationTransform, NormalizationTransform);
registerWrapper(ix.CenteringTransform, CenteringTransform);
registerWrapper(ix.RemapDimensionsTransform, RemapDimensionsTransform);
