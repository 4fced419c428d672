/**
 * The non-linear or data-independent transforms: NormalizationTransform
 * (L2 renormalisation), CenteringTransform (subtract the training mean) and
 * RemapDimensionsTransform (copy / reorder / zero-fill dimensions).
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { asMatrix, normalizeL2, type VectorsInput } from '@metalfaiss/linalg';
import { VectorTransform } from './vector-transform';

/** Rescales every vector to unit L2 norm (FAISS supports only norm = 2). */
export class NormalizationTransform extends VectorTransform {
  readonly norm: number;

  constructor(d: number, norm = 2.0) {
    super(d, d);
    if (typeof norm !== 'number' || Number.isNaN(norm)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a number for norm, received ${describeValue(norm)}`);
    }
    this.norm = norm;
  }

  get isTrained(): boolean {
    return true;
  }

  applySync(x: VectorsInput): Float32Array {
    if (this.norm !== 2.0) throw this.unsupported('apply', `only norm = 2 (L2) is implemented, as in FAISS; this transform has norm = ${this.norm}`);
    const { data } = this.input(x);
    const y = data.slice();
    normalizeL2(y, this.dIn);
    return y;
  }

  /** FAISS's reverse of a normalisation is the identity (the norm is lost). */
  reverseTransform(y: Float32Array): Float32Array {
    return asMatrix(y, this.dOut, { name: 'y' }).data.slice();
  }

  memoryBytes(): number {
    return 4;
  }
}

/** y = x - mean, with the mean of the training vectors. */
export class CenteringTransform extends VectorTransform {
  /** dIn values; empty until trained */
  mean: Float32Array = new Float32Array(0);

  constructor(d: number) {
    super(d, d);
  }

  get isTrained(): boolean {
    return this.mean.length === this.dIn;
  }

  trainSync(x: VectorsInput): void {
    const { data, n } = this.input(x, 'x', false);
    const d = this.dIn;
    // FAISS accumulates in float32; float64 here (more accurate, equal to rounding)
    const acc = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) acc[j] += data[i * d + j];
    const mean = new Float32Array(d);
    for (let j = 0; j < d; j++) mean[j] = acc[j] / n;
    this.mean = mean;
  }

  /** Sets the mean directly (deserialisation). */
  setMean(mean: Float32Array): void {
    if (!(mean instanceof Float32Array) || mean.length !== this.dIn) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected a Float32Array of ${this.dIn} values for mean, received ${describeValue(mean)}`);
    }
    this.mean = mean;
  }

  applySync(x: VectorsInput): Float32Array {
    if (!this.isTrained) throw this.notTrained('apply');
    const { data, n } = this.input(x);
    const d = this.dIn;
    const y = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) y[i * d + j] = data[i * d + j] - this.mean[j];
    return y;
  }

  reverseTransform(y: Float32Array): Float32Array {
    if (!this.isTrained) throw this.notTrained('reverseTransform');
    const m = asMatrix(y, this.dOut, { name: 'y' });
    const d = this.dIn;
    const x = new Float32Array(m.rows * d);
    for (let i = 0; i < m.rows; i++) for (let j = 0; j < d; j++) x[i * d + j] = m.data[i * d + j] + this.mean[j];
    return x;
  }

  memoryBytes(): number {
    return this.mean.length * 4;
  }
}

/** y[j] = map[j] >= 0 ? x[map[j]] : 0 (FAISS's RemapDimensionsTransform). */
export class RemapDimensionsTransform extends VectorTransform {
  readonly map: Int32Array;

  /**
   * @param map dOut entries in [-1, dIn), or `true`/`false` for FAISS's
   *   uniform / leading-dimensions constructors
   */
  constructor(dIn: number, dOut: number, map: ArrayLike<number> | boolean = false) {
    super(dIn, dOut);
    const m = new Int32Array(dOut).fill(-1);
    if (typeof map === 'boolean') {
      if (map) {
        if (dIn < dOut) for (let i = 0; i < dIn; i++) m[Math.floor((i * dOut) / dIn)] = i;
        else for (let i = 0; i < dOut; i++) m[i] = Math.floor((i * dIn) / dOut);
      } else {
        for (let i = 0; i < dIn && i < dOut; i++) m[i] = i;
      }
    } else {
      if (map.length !== dOut) {
        throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${dOut} entries (dOut) for map, received ${describeValue(map)}`);
      }
      for (let i = 0; i < dOut; i++) {
        const v = map[i];
        if (!Number.isInteger(v) || v < -1 || v >= dIn) {
          throw new MetalFaissError('INVALID_ARGUMENT', `expected integers in [-1, ${dIn}) for map, received ${describeValue(v)} at index ${i}`);
        }
        m[i] = v;
      }
    }
    this.map = m;
  }

  get isTrained(): boolean {
    return true;
  }

  applySync(x: VectorsInput): Float32Array {
    const { data, n } = this.input(x);
    const y = new Float32Array(n * this.dOut);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < this.dOut; j++) {
        const s = this.map[j];
        y[i * this.dOut + j] = s < 0 ? 0 : data[i * this.dIn + s];
      }
    }
    return y;
  }

  reverseTransform(y: Float32Array): Float32Array {
    const m = asMatrix(y, this.dOut, { name: 'y' });
    const x = new Float32Array(m.rows * this.dIn);
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < this.dOut; j++) {
        const s = this.map[j];
        if (s >= 0) x[i * this.dIn + s] = m.data[i * this.dOut + j];
      }
    }
    return x;
  }

  memoryBytes(): number {
    return this.map.length * 4;
  }
}
