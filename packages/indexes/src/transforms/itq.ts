/**
 * ITQ (iterative quantization, FAISS's ITQMatrix / ITQTransform): a rotation
 * learnt so that the signs of the rotated vectors lose as little as possible,
 * for binary codes (LSH-style). FAISS's iteration: rotated = X Rᵀ,
 * B = sign(rotated), M = Bᵀ X = U S Vᵀ, then R <- U Vᵀ (Procrustes), from
 * FAISS's initial rotation (RandomRotationMatrix of `seed`, transposed).
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { gemmAB, gemmABt, gemmAtB, normalizeL2, svd, type VectorsInput } from '@metalfaiss/linalg';
import { PCAMatrix } from './pca';
import { maybeSubsample } from './random-normal';
import { randomRotation } from './random-rotation';
import { LinearTransform, VectorTransform } from './vector-transform';

export class ITQMatrix extends LinearTransform {
  maxIter = 50;
  seed = 123;
  /** optional d x d starting rotation (row-major); default: the random rotation of `seed` */
  initRotation: Float64Array | null = null;

  constructor(d: number) {
    super(d, d, false);
  }

  trainSync(x: VectorsInput): void {
    const { data, n } = this.input(x, 'x', false);
    const d = this.dIn;
    if (!Number.isInteger(this.maxIter) || this.maxIter < 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer >= 0 for maxIter, received ${describeValue(this.maxIter)}`);
    }
    // R (row-major) is FAISS's column-major `rotation` read as a matrix R_cm, stored transposed.
    let R: Float64Array;
    if (this.initRotation && this.initRotation.length === d * d) {
      // FAISS copies init_rotation into its column-major buffer
      R = new Float64Array(d * d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) R[i * d + j] = this.initRotation[j * d + i];
    } else {
      const a = randomRotation(d, d, this.seed);
      R = new Float64Array(d * d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) R[i * d + j] = a[j * d + i];
    }
    // The products run on the float32 GEMM kernel (FAISS uses dgemm); M is accumulated in float64.
    const B = new Float32Array(n * d);
    let M: Float64Array;
    for (let it = 0; it < this.maxIter; it++) {
      // rotated = X Rᵀ, binarised
      const rotated = gemmABt(data, n, d, Float32Array.from(R), d, B);
      for (let i = 0; i < rotated.length; i++) rotated[i] = rotated[i] < 0 ? -1 : 1;
      // M = Bᵀ X
      M = gemmAtB(B, n, d, data, d);
      const { U, V } = svd(M, d, d);
      // R <- U Vᵀ: the orthogonal Procrustes solution, which minimises ||B - X Rᵀ||.
      // (FAISS 1.7.3 computes U·V from LAPACK's SVD, which depends on LAPACK's
      // arbitrary singular-vector signs, so its iterates cannot be reproduced
      // exactly by any other SVD; the objective here is ITQ's.)
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += U[i * d + k] * V[j * d + k];
          R[i * d + j] = s;
        }
      }
    }
    // FAISS: A[i + d * j] = rotation[j + d * i], i.e. A = R_cm as a row-major matrix
    const A = new Float32Array(d * d);
    for (let i = 0; i < d * d; i++) A[i] = R[i];
    this.A = A;
    this.b = new Float32Array(0);
    this.setIsOrthonormal();
    this.trained = true;
  }
}

/**
 * ITQTransform: centre, L2-normalise, (PCA to dOut), then the ITQ rotation;
 * PCA and ITQ are merged into one linear map `pcaThenItq`.
 */
export class ITQTransform extends VectorTransform {
  mean: Float32Array = new Float32Array(0);
  readonly doPca: boolean;
  readonly itq: ITQMatrix;
  readonly pcaThenItq: LinearTransform;
  /** training subsample: max(dIn * maxTrainPerDim, 32768) points */
  maxTrainPerDim = 10;
  #trained = false;

  constructor(dIn: number, dOut: number, doPca = false) {
    super(dIn, dOut);
    if (!doPca && dIn !== dOut) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected dIn === dOut for an ITQTransform without PCA, received ${dIn} and ${dOut}`);
    }
    this.doPca = doPca;
    this.itq = new ITQMatrix(dOut);
    this.pcaThenItq = new LinearTransform(dIn, dOut, false);
  }

  get isTrained(): boolean {
    return this.#trained;
  }

  /** Marks a deserialised transform trained (its parts came from a file). */
  setTrained(): void {
    if (this.mean.length !== this.dIn || !this.pcaThenItq.isTrained) {
      throw new MetalFaissError('IO_FORMAT', `expected a mean of ${this.dIn} values and a trained linear map for ITQTransform`);
    }
    this.#trained = true;
  }

  #normalize(data: Float32Array, n: number, mean: Float32Array): Float32Array {
    const d = this.dIn;
    const y = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) y[i * d + j] = data[i * d + j] - mean[j];
    normalizeL2(y, d);
    return y;
  }

  trainSync(x: VectorsInput): void {
    if (this.#trained) throw new MetalFaissError('INVALID_ARGUMENT', 'expected an untrained ITQTransform for train (FAISS trains it once)');
    const { data: d0, n: n0 } = this.input(x, 'x', false);
    const nmax = Math.max(this.dIn * this.maxTrainPerDim, 32768);
    const { data, n } = maybeSubsample(d0, n0, this.dIn, nmax);
    const d = this.dIn;
    const acc = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) acc[j] += data[i * d + j];
    const mean = new Float32Array(d);
    for (let j = 0; j < d; j++) mean[j] = acc[j] / n;
    const xNorm = this.#normalize(data, n, mean);
    let xPca = xNorm;
    let pca: PCAMatrix | null = null;
    if (this.doPca) {
      pca = new PCAMatrix(this.dIn, this.dOut);
      pca.haveBias = false;
      pca.trainSync(xNorm);
      xPca = pca.applySync(xNorm);
    }
    this.itq.trainSync(xPca);
    const merged = pca ? gemmAB(this.itq.A, this.dOut, this.dOut, pca.A, this.dIn) : this.itq.A.slice();
    this.pcaThenItq.setMatrix(merged);
    this.mean = mean;
    this.#trained = true;
  }

  applySync(x: VectorsInput): Float32Array {
    if (!this.#trained) throw this.notTrained('apply');
    const { data, n } = this.input(x);
    return this.pcaThenItq.applySync(this.#normalize(data, n, this.mean));
  }

  memoryBytes(): number {
    return this.mean.length * 4 + this.itq.memoryBytes() + this.pcaThenItq.memoryBytes();
  }

  captureState(): () => void {
    const restores = [super.captureState(), this.itq.captureState(), this.pcaThenItq.captureState()];
    const trained = this.#trained;
    return () => {
      for (const r of restores) r();
      this.#trained = trained;
    };
  }
}
