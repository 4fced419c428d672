/**
 * Vector transforms (FAISS's VectorTransform family): maps from dIn-d to
 * dOut-d vectors applied before indexing (IndexPreTransform) or on their own.
 *
 * - batches are row-major Float32Array of n * dIn values (or arrays of rows);
 *   results are new Float32Array of n * dOut values;
 * - `trainSync`/`train` fit the transform (a no-op for those that need no
 *   training); `applySync`/`apply` transform (apply computes the products
 *   off the event loop); `reverseTransform` inverts where FAISS can
 *   (orthonormal linear maps, centring, normalisation as identity) and
 *   throws UNSUPPORTED elsewhere;
 * - a failed call (bad input, untrained transform) throws MetalFaissError and
 *   leaves the transform unchanged.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { asMatrix, gemmAB, gemmABt, gemmABtAsync, type VectorsInput } from '@metalfaiss/linalg';
import { checkDimension } from '../validate';

export abstract class VectorTransform {
  /** input dimension */
  readonly dIn: number;
  /** output dimension */
  readonly dOut: number;

  protected constructor(dIn: number, dOut: number) {
    this.dIn = checkDimension(dIn, 'dIn');
    this.dOut = checkDimension(dOut, 'dOut');
  }

  abstract get isTrained(): boolean;

  get typeName(): string {
    return this.constructor.name;
  }

  protected unsupported(method: string, why = ''): MetalFaissError {
    return new MetalFaissError('UNSUPPORTED', `${this.typeName}.${method} is not supported${why ? `: ${why}` : ''}`);
  }

  protected notTrained(method: string): MetalFaissError {
    return new MetalFaissError('NOT_TRAINED', `expected a trained ${this.typeName} for ${method}, received an untrained one (call train first)`);
  }

  /** Validates n * dIn input; returns the packed matrix data and n. */
  protected input(x: VectorsInput, name = 'x', allowEmpty = true): { data: Float32Array; n: number } {
    const m = asMatrix(x, this.dIn, { name, allowEmpty });
    return { data: m.data, n: m.rows };
  }

  /** Fits the transform on n * dIn training vectors (default: nothing to fit). */
  trainSync(x: VectorsInput): void {
    this.input(x);
  }
  async train(x: VectorsInput): Promise<void> {
    this.trainSync(x);
  }

  /** y = T(x): a new Float32Array of n * dOut values. */
  abstract applySync(x: VectorsInput): Float32Array;
  async apply(x: VectorsInput): Promise<Float32Array> {
    return this.applySync(x);
  }

  /** x ≈ T⁻¹(y) for n * dOut values (n * dIn out); UNSUPPORTED where FAISS has no inverse. */
  reverseTransform(_y: Float32Array): Float32Array {
    throw this.unsupported('reverseTransform');
  }

  /** Bytes of the transform's parameters. */
  abstract memoryBytes(): number;

  /**
   * A function that restores the transform's current parameters (used to
   * undo a training step when a composite operation fails or is aborted).
   */
  captureState(): () => void {
    const snapshot = { ...this } as Record<string, unknown>;
    return () => {
      Object.assign(this, snapshot);
    };
  }
}

/**
 * y = A x + b (FAISS's LinearTransform): A is dOut x dIn row-major, b has
 * dOut entries when `haveBias`. Applied as one GEMM per batch.
 */
export class LinearTransform extends VectorTransform {
  /** whether y = A x + b (true) or y = A x (false) */
  haveBias: boolean;
  /** dOut x dIn, row-major; empty until trained/initialised */
  A: Float32Array = new Float32Array(0);
  /** dOut values, or empty without bias */
  b: Float32Array = new Float32Array(0);
  /** whether A's rows are orthonormal (then reverseTransform is Aᵀ (y - b)) */
  isOrthonormal = false;
  #trained = false;

  constructor(dIn: number, dOut: number, haveBias = false) {
    super(dIn, dOut);
    this.haveBias = haveBias;
  }

  get isTrained(): boolean {
    return this.#trained;
  }
  protected set trained(v: boolean) {
    this.#trained = v;
  }

  /**
   * Sets A (and b) directly (FAISS: assigning `A`/`b` and `is_trained`).
   * Checks shapes; marks the transform trained and recomputes isOrthonormal.
   */
  setMatrix(A: Float32Array | ArrayLike<number>, b?: Float32Array | ArrayLike<number>): void {
    const a = A instanceof Float32Array ? A : Float32Array.from(A);
    if (a.length !== this.dOut * this.dIn) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${this.dOut * this.dIn} values (dOut * dIn) for A, received ${describeValue(A)}`);
    }
    let bias: Float32Array = new Float32Array(0);
    if (this.haveBias) {
      if (!b || b.length !== this.dOut) {
        throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${this.dOut} values (dOut) for the bias b, received ${describeValue(b)}`);
      }
      bias = b instanceof Float32Array ? b : Float32Array.from(b);
    } else if (b && b.length !== 0) {
      // FAISS keeps (and writes) a bias vector even when it does not apply it (a PCA without bias)
      if (b.length !== this.dOut) {
        throw new MetalFaissError('DIMENSION_MISMATCH', `expected 0 or ${this.dOut} values for the (unused) bias b, received ${describeValue(b)}`);
      }
      bias = b instanceof Float32Array ? b : Float32Array.from(b);
    }
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) throw new MetalFaissError('INVALID_ARGUMENT', `expected finite values in A, received ${a[i]} at index ${i}`);
    }
    this.A = a;
    this.b = bias;
    this.#trained = true;
    this.setIsOrthonormal();
  }

  /** FAISS's set_is_orthonormal: AAᵀ = I within 4e-5 (only for dOut <= dIn). */
  setIsOrthonormal(): void {
    if (this.dOut > this.dIn) {
      this.isOrthonormal = false;
      return;
    }
    const g = gemmABt(this.A, this.dOut, this.dIn, this.A, this.dOut);
    let ok = true;
    for (let i = 0; i < this.dOut && ok; i++) {
      for (let j = 0; j < this.dOut; j++) {
        if (Math.abs(g[i * this.dOut + j] - (i === j ? 1 : 0)) > 4e-5) {
          ok = false;
          break;
        }
      }
    }
    this.isOrthonormal = ok;
  }

  #checkReady(method: string): void {
    if (!this.#trained || this.A.length !== this.dOut * this.dIn) throw this.notTrained(method);
  }

  #addBias(y: Float32Array, n: number): Float32Array {
    if (this.haveBias) {
      const b = this.b;
      const d = this.dOut;
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) y[i * d + j] += b[j];
    }
    return y;
  }

  applySync(x: VectorsInput): Float32Array {
    this.#checkReady('apply');
    const { data, n } = this.input(x);
    return this.#addBias(gemmABt(data, n, this.dIn, this.A, this.dOut), n);
  }

  async apply(x: VectorsInput): Promise<Float32Array> {
    this.#checkReady('apply');
    const { data, n } = this.input(x);
    const A = this.A;
    return this.#addBias(await gemmABtAsync(data, n, this.dIn, A, this.dOut), n);
  }

  /** x = Aᵀ (y - b) (FAISS's transform_transpose), for any A. */
  transformTranspose(y: Float32Array): Float32Array {
    this.#checkReady('transformTranspose');
    const m = asMatrix(y, this.dOut, { name: 'y' });
    const n = m.rows;
    let src = m.data;
    if (this.haveBias) {
      src = src.slice();
      for (let i = 0; i < n; i++) for (let j = 0; j < this.dOut; j++) src[i * this.dOut + j] -= this.b[j];
    }
    return gemmAB(src, n, this.dOut, this.A, this.dIn);
  }

  reverseTransform(y: Float32Array): Float32Array {
    if (!this.isOrthonormal) {
      this.#checkReady('reverseTransform');
      throw this.unsupported('reverseTransform', 'reverse transform not implemented for non-orthonormal matrices (as in FAISS)');
    }
    return this.transformTranspose(y);
  }

  memoryBytes(): number {
    return (this.A.length + this.b.length) * 4;
  }

  captureState(): () => void {
    const restore = super.captureState();
    const trained = this.#trained;
    return () => {
      restore();
      this.#trained = trained;
    };
  }
}
