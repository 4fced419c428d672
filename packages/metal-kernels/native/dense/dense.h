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

}  // namespace mk
