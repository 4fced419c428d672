/**
 * RandomRotationMatrix (FAISS): a random orthonormal dOut x dIn matrix from
 * float_randn + Householder QR, reproducing FAISS's construction (same seed,
 * same matrix up to float rounding). `trainSync` initialises with FAISS's
 * fixed seed 12345.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { matrixQR, type VectorsInput } from '@metalfaiss/linalg';
import { floatRandn } from './random-normal';
import { LinearTransform } from './vector-transform';

/** FAISS's RandomRotationMatrix::init body: the dOut x dIn matrix for a seed. */
export function randomRotation(dIn: number, dOut: number, seed: number | bigint): Float32Array {
  if (dOut <= dIn) {
    const q = floatRandn(dOut * dIn, seed);
    matrixQR(dIn, dOut, q);
    return q;
  }
  // tight frame: a dOut x dOut rotation with its columns cut to dIn
  const q = floatRandn(dOut * dOut, seed);
  matrixQR(dOut, dOut, q);
  const a = new Float32Array(dOut * dIn);
  for (let i = 0; i < dOut; i++) for (let j = 0; j < dIn; j++) a[i * dIn + j] = q[i * dOut + j];
  return a;
}

export class RandomRotationMatrix extends LinearTransform {
  constructor(dIn: number, dOut: number) {
    super(dIn, dOut, false);
  }

  /** Draws the rotation for `seed` (FAISS's init). */
  init(seed: number | bigint): void {
    if (typeof seed !== 'bigint' && !Number.isSafeInteger(seed)) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an integer seed for RandomRotationMatrix.init, received ${describeValue(seed)}`);
    }
    this.A = randomRotation(this.dIn, this.dOut, seed);
    this.b = new Float32Array(0);
    this.isOrthonormal = true;
    this.trained = true;
  }

  /** FAISS trains a random rotation by drawing it with seed 12345; the data is not used. */
  trainSync(x: VectorsInput): void {
    this.input(x);
    this.init(12345);
  }
}
