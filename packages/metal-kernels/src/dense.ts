/**
 * Native dense linear-algebra kernels (float64) for the vector transforms:
 * the symmetric eigen-decomposition behind PCAMatrix. `denseKernels()`
 * returns null when the native addon is not in use (METALFAISS_BACKEND=reference
 * or the addon did not load); callers then use their TypeScript fallback
 * (@metalfaiss/linalg's `symmetricEigen` does this).
 */
import { loadAddon } from './loader';

export interface DenseKernels {
  /**
   * In place: `a` (n x n row-major, symmetric, both triangles filled) becomes
   * the eigenvectors (row i for values[i]); `values` (length n) the
   * eigenvalues, unsorted. Throws on non-convergence.
   */
  symmetricEigen(a: Float64Array, n: number, values: Float64Array): void;
  /** Like symmetricEigen, computed off the JS thread (`a` and `values` must not be touched until it settles). */
  symmetricEigenAsync(a: Float64Array, n: number, values: Float64Array): Promise<void>;
  /**
   * In place, for p <= q: `x` (p x q rows) becomes Y = J X with orthogonal
   * rows and `j` (p x p) becomes J (eigen-preconditioned one-sided Jacobi).
   */
  svdRows?(x: Float64Array, p: number, q: number, j: Float64Array): void;
  /**
   * One k-means step in all M sub-spaces of a product quantizer: x (n x
   * M*dsub), centroids (M x ksub x dsub) -> assign (n x M, Int32Array; ties to
   * the lower index) and, unless sums is null, sums (M x ksub x dsub) and
   * counts (M x ksub) of the assigned points. Returns the sum of the squared
   * distances to the nearest centroids. Multi-threaded.
   */
  pqKmeansStep?(
    x: Float32Array, n: number, M: number, ksub: number, dsub: number, centroids: Float32Array,
    assign: Int32Array, sums: Float64Array | null, counts: Float64Array | null,
  ): number;
  /** pqKmeansStep off the JS thread (the arrays must not be touched until it settles). */
  pqKmeansStepAsync?(
    x: Float32Array, n: number, M: number, ksub: number, dsub: number, centroids: Float32Array,
    assign: Int32Array, sums: Float64Array | null, counts: Float64Array | null,
  ): Promise<number>;
}

let cached: DenseKernels | null | undefined;

export function denseKernels(): DenseKernels | null {
  if (cached !== undefined) return cached;
  if (process.env.METALFAISS_BACKEND === 'reference') {
    cached = null;
    return cached;
  }
  const addon = loadAddon().addon as unknown as Partial<DenseKernels> | null;
  cached =
    addon && typeof addon.symmetricEigen === 'function' && typeof addon.symmetricEigenAsync === 'function'
      ? (addon as DenseKernels)
      : null;
  return cached;
}
