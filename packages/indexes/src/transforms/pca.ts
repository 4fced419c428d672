/**
 * PCAMatrix (FAISS): y = A (x - mean), A = the leading dOut principal axes,
 * optionally whitened (`eigenPower` = -0.5), randomly rotated
 * (`randomRotation`) or balanced across bins (`balancedBins`).
 *
 * Training follows FAISS: at most `maxPointsPerD * dIn` points (a random
 * subsample, as fvecs_maybe_subsample); with n >= dIn the scatter matrix
 * Σ (x - μ)(x - μ)ᵀ (not divided by n, so eigenvalues are FAISS's) is
 * decomposed; with n < dIn the n x n Gram matrix is, and the axes are
 * recovered from it. Eigenvalues are in descending order; eigenvector signs
 * are canonical (largest component positive) where LAPACK's are arbitrary,
 * which changes no distance.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { columnMeans, gemmAB, gemmABt, normalizeL2, scatterMatrix, symmetricEigen, symmetricEigenAsync, type SymmetricEigenResult, type VectorsInput } from '@metalfaiss/linalg';
import { maybeSubsample } from './random-normal';
import { randomRotation } from './random-rotation';
import { LinearTransform } from './vector-transform';

export interface PCAMatrixOptions {
  /** power applied to the eigenvalues when scaling the axes (0: none, -0.5: whitening) */
  eigenPower?: number;
  /** rotate the output with a random rotation (seed 5, as FAISS) */
  randomRotation?: boolean;
}

export class PCAMatrix extends LinearTransform {
  eigenPower: number;
  /** added to the eigenvalues before the power (FAISS's epsilon) */
  epsilon = 0;
  randomRotation: boolean;
  /** training subsample cap: at most maxPointsPerD * dIn points (FAISS: 1000) */
  maxPointsPerD = 1000;
  /** if > 0, distribute the axes over this many bins of equal total variance */
  balancedBins = 0;
  /** dIn values */
  mean: Float32Array = new Float32Array(0);
  /** dIn values, descending (only the first n are set when trained on n < dIn points) */
  eigenvalues: Float32Array = new Float32Array(0);
  /** the principal axes, one per row (dIn x dIn, or n x dIn when trained on n < dIn points) */
  PCAMat: Float32Array = new Float32Array(0);

  constructor(dIn: number, dOut = dIn, eigenPower = 0, randomRot = false) {
    super(dIn, dOut, true);
    if (dOut > dIn) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected dOut <= dIn for PCAMatrix, received dIn = ${dIn}, dOut = ${dOut}`);
    }
    if (typeof eigenPower !== 'number' || !Number.isFinite(eigenPower)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a finite number for eigenPower, received ${describeValue(eigenPower)}`);
    }
    this.eigenPower = eigenPower;
    this.randomRotation = randomRot === true;
  }

  #prepareTraining(x: VectorsInput): { xs: Float32Array; n: number; mean: Float32Array } {
    const { data, n: n0 } = this.input(x, 'x', false);
    if (this.balancedBins !== 0 && this.randomRotation) {
      throw new MetalFaissError('INVALID_ARGUMENT', 'expected balancedBins = 0 with randomRotation (both balancing bins and applying a random rotation does not make sense)');
    }
    if (this.balancedBins !== 0 && this.dOut % this.balancedBins !== 0) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected balancedBins to divide dOut = ${this.dOut}, received ${this.balancedBins}`);
    }
    const { data: xs, n } = maybeSubsample(data, n0, this.dIn, this.maxPointsPerD * this.dIn);
    const mean = new Float32Array(this.dIn);
    if (this.haveBias) mean.set(columnMeans(xs, n, this.dIn));
    if (n < this.dOut) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected at least dOut = ${this.dOut} training vectors for PCAMatrix, received ${n}`);
    }
    return { xs, n, mean };
  }

  trainSync(x: VectorsInput): void {
    const { xs, n, mean } = this.#prepareTraining(x);
    if (n >= this.dIn) {
      const cov = scatterMatrix(xs, n, this.dIn, mean);
      this.#finish(mean, symmetricEigen(cov, this.dIn), null);
    } else {
      const { gram, xc } = this.#gram(xs, n, mean);
      this.#finish(mean, symmetricEigen(gram, n), xc);
    }
  }

  /** Like trainSync; the eigen-decomposition runs off the event loop. */
  async train(x: VectorsInput): Promise<void> {
    const { xs, n, mean } = this.#prepareTraining(x);
    if (n >= this.dIn) {
      const cov = scatterMatrix(xs, n, this.dIn, mean);
      this.#finish(mean, await symmetricEigenAsync(cov, this.dIn), null);
    } else {
      const { gram, xc } = this.#gram(xs, n, mean);
      this.#finish(mean, await symmetricEigenAsync(gram, n), xc);
    }
  }

  #gram(xs: Float32Array, n: number, mean: Float32Array): { gram: Float64Array; xc: Float32Array } {
    const d = this.dIn;
    const xc = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xc[i * d + j] = xs[i * d + j] - mean[j];
    const g32 = gemmABt(xc, n, d, xc, n);
    return { gram: Float64Array.from(g32), xc };
  }

  #finish(mean: Float32Array, eig: SymmetricEigenResult, xc: Float32Array | null): void {
    const d = this.dIn;
    const eigenvalues = new Float32Array(d);
    let pcaMat: Float32Array;
    if (!xc) {
      eigenvalues.set(eig.values);
      pcaMat = Float32Array.from(eig.vectors);
    } else {
      const n = eig.values.length;
      eigenvalues.set(eig.values);
      // axis j = Σ_i v_j[i] xc_i, then normalised
      pcaMat = gemmAB(Float32Array.from(eig.vectors), n, n, xc, d);
      normalizeL2(pcaMat, d);
    }
    const prev = { mean: this.mean, eigenvalues: this.eigenvalues, PCAMat: this.PCAMat };
    this.mean = mean;
    this.eigenvalues = eigenvalues;
    this.PCAMat = pcaMat;
    try {
      this.prepareAb();
    } catch (e) {
      Object.assign(this, prev);
      throw e;
    }
  }

  /** Builds A and b from mean, eigenvalues and PCAMat (FAISS's prepare_Ab). */
  prepareAb(): void {
    const dIn = this.dIn;
    const dOut = this.dOut;
    if (dOut * dIn > this.PCAMat.length) {
      throw new MetalFaissError('INVALID_ARGUMENT', `PCA matrix cannot output ${dOut} dimensions from ${dIn} (it holds ${this.PCAMat.length / dIn} axes)`);
    }
    let A: Float32Array;
    if (!this.randomRotation) {
      A = this.PCAMat.slice(0, dOut * dIn);
      if (this.eigenPower !== 0) {
        for (let i = 0; i < dOut; i++) {
          const factor = Math.fround(Math.pow(Math.fround(this.eigenvalues[i] + this.epsilon), this.eigenPower));
          for (let j = 0; j < dIn; j++) A[i * dIn + j] *= factor;
        }
      }
      if (this.balancedBins !== 0) {
        const bins = this.balancedBins;
        const dsub = dOut / bins;
        const src = A;
        A = new Float32Array(dOut * dIn);
        const accu = new Float32Array(bins);
        const counter = new Int32Array(bins);
        for (let i = 0; i < dOut; i++) {
          let best = -1;
          let minW = 1e30;
          for (let j = 0; j < bins; j++) {
            if (counter[j] < dsub && accu[j] < minW) {
              minW = accu[j];
              best = j;
            }
          }
          const dst = best * dsub + counter[best];
          accu[best] += this.eigenvalues[i];
          counter[best]++;
          A.set(src.subarray(i * dIn, (i + 1) * dIn), dst * dIn);
        }
      }
    } else {
      if (this.balancedBins !== 0) {
        throw new MetalFaissError('INVALID_ARGUMENT', 'expected balancedBins = 0 with randomRotation');
      }
      // A = R · diag(f) · PCAMat[:dOut], R the dOut x dOut rotation of seed 5
      const R = randomRotation(dOut, dOut, 5);
      if (this.eigenPower !== 0) {
        for (let i = 0; i < dOut; i++) {
          const factor = Math.fround(Math.pow(this.eigenvalues[i], this.eigenPower));
          for (let j = 0; j < dOut; j++) R[j * dOut + i] *= factor;
        }
      }
      A = gemmAB(R, dOut, dOut, this.PCAMat.subarray(0, dOut * dIn), dIn);
    }
    const b = new Float32Array(dOut);
    for (let i = 0; i < dOut; i++) {
      let acc = 0;
      for (let j = 0; j < dIn; j++) acc -= this.mean[j] * A[j + i * dIn];
      b[i] = acc;
    }
    this.A = A;
    this.b = b;
    this.isOrthonormal = this.eigenPower === 0;
    this.trained = true;
  }

  /**
   * Restores a trained PCA from its parts (deserialisation): A and b exactly
   * as stored (FAISS writes both), plus the statistics.
   */
  setTrainedState(parts: { mean: Float32Array; eigenvalues: Float32Array; PCAMat: Float32Array; A: Float32Array; b: Float32Array }): void {
    if (parts.mean.length !== this.dIn && parts.mean.length !== 0) {
      throw new MetalFaissError('DIMENSION_MISMATCH', `expected ${this.dIn} values for the PCA mean, received ${parts.mean.length}`);
    }
    this.setMatrix(parts.A, parts.b);
    this.mean = parts.mean;
    this.eigenvalues = parts.eigenvalues;
    this.PCAMat = parts.PCAMat;
  }

  memoryBytes(): number {
    return super.memoryBytes() + (this.mean.length + this.eigenvalues.length + this.PCAMat.length) * 4;
  }
}
