// Dense linear algebra in float64 for the vector transforms (PCA, OPQ, ITQ):
// the symmetric eigen-decomposition FAISS gets from LAPACK's dsyev. Stateless;
// arguments are validated by the binding (dense-bindings.cc).
#pragma once
#include <cstdint>

namespace mk {

// Eigen-decomposition of the symmetric n x n matrix `a` (row-major, both
// triangles filled). On return row i of `a` is the unit eigenvector of
// values[i]; values are in ascending order of the QL output (unsorted: the
// caller sorts). Throws std::runtime_error when QL does not converge.
void symmetric_eigen(double* a, int64_t n, double* values);

// One-sided (Hestenes) Jacobi on the p rows of x (p x q, row-major, p <= q),
// preconditioned by the eigenvectors of x xᵀ. On return x holds Y = J X0
// with mutually orthogonal rows (|y_i| are the singular values, y_i / |y_i|
// the long-side singular vectors) and j (p x p) holds J (rows: the short-side
// singular vectors). Throws std::runtime_error if the sweeps do not converge.
void svd_rows(double* x, int64_t p, int64_t q, double* j);

// One k-means step in all M sub-spaces of a product quantizer at once (the
// assignment and the sums of an update; FAISS trains the sub-spaces one by
// one, the arithmetic is the same). x: n x (M * dsub) floats; centroids:
// M x ksub x dsub. Outputs: assign (n x M, nearest centroid per sub-space,
// ties to the lower index), and when sums is not null: sums (M x ksub x dsub)
// and counts (M x ksub) of the assigned points, obj = the sum over points
// and sub-spaces of the squared distance to the nearest centroid.
// Multi-threaded on the kernels' pool.
void pq_kmeans_step(const float* x, int64_t n, int64_t M, int64_t ksub, int64_t dsub, const float* centroids,
                    int32_t* assign, double* sums, double* counts, double* obj);

}  // namespace mk
