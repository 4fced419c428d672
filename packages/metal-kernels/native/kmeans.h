// The k-means centroid update (FAISS's compute_centroids). Validation happens
// in the bindings; these functions only assert internal invariants.
#pragma once
#include <cstdint>

namespace mk {

struct KmeansUpdateParams {
  const float* x;          // n * d
  int64_t n, d, k;
  const int64_t* assign;   // n, values in [0, k)
  const float* weights;    // n, or null (all 1)
  float* centroids;        // k * d (output)
  float* counts;           // k (output): weight sum per centroid
};

// centroid c = (sum over i with assign[i] == c of w_i * x_i) / (sum of w_i),
// zeros when no vector is assigned. Sums are float64, in increasing i, so the
// result equals the TypeScript reference bit for bit. Split over threads by
// centroid ranges; throws std::out_of_range on an assignment outside [0, k).
void kmeans_update(const KmeansUpdateParams& p);

struct KmeansAssignParams {
  const float* x;        // n * d points
  int64_t n, d;
  const float* c;        // k * d centroids
  int64_t k;
  int metric;            // 1 = L2, 0 = inner product
  const float* xnorms;   // L2: n squared point norms, or null to compute them
  const int64_t* ids;    // k ids reported for the centroids, or null (0..k-1)
  float* distances;      // n (output): squared L2 distance / inner product to the chosen centroid
  int64_t* labels;       // n (output): the chosen centroid's id
};

// The nearest centroid of every point (L2: smallest distance, inner product:
// largest), ties to the lower centroid index, as knn with k = 1 but without
// repacking the points: the centroids are packed once into panels, the
// points are read in place and the argmin is fused into the GEMM epilogue.
// L2 distance = max(0, |x|^2 + (|c|^2 - 2 <x, c>)).
void kmeans_assign(const KmeansAssignParams& p);

}  // namespace mk
