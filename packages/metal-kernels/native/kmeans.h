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

}  // namespace mk
