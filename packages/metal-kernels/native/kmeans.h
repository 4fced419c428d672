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

namespace mk {

// ---------------------------------------------------------------------------
// Grouped and bounded (pruned) assignment: kmeans-bounded.cc.
//
// Centroid groups: `groups` holds t rows of g slots; each slot is a centroid
// number in [0, k) or -1 (empty); a centroid appears in at most one slot.
// Every score below is the one kmeans_assign computes for the same pair, bit
// for bit (the same per-ISA FMA chain), so argmins agree exactly.

struct KmeansGroupsParams {
  const float* x;        // n * d points
  int64_t n, d;
  const float* c;        // k * d centroids
  int64_t k;
  const int32_t* groups; // t * g slots
  int64_t t, g;
  const float* xnorms;   // n squared point norms, or null to compute them
  const uint8_t* mask;   // n * t (0 = skip the pair), or null (every pair)
  float* best;           // n * t (output): squared L2 distance to the group's nearest centroid (+inf: none)
  int64_t* labels;       // n * t (output): that centroid's number (ties: the lower), -1 when none
  float* second;         // n * t (output): distance to the group's second nearest (+inf: none)
};

// Per point and group, the nearest and second nearest centroid (L2). With one
// group holding every centroid this is the top-2 assignment. Pairs the mask
// skips leave their outputs untouched.
void kmeans_assign_groups(const KmeansGroupsParams& p);

struct KmeansBoundedParams {
  const float* x;        // n * d points
  int64_t n, d;
  const float* xnorms;   // n squared point norms, or null to compute them
  const float* c;        // k * d centroids (current)
  int64_t k;
  const int32_t* groups; // t * g slots; every centroid exactly once
  int64_t t, g;
  // t: for each group, an upper bound on how far (L2, not squared) any of its
  // centroids moved since the last call; null = first call (no bounds yet)
  const double* drift;
  int64_t* labels;       // n: in: the last call's assignment (unless first); out: the nearest centroid
  float* lower;          // n * t: in/out: per group, a lower bound on the distance (L2) to its centroids other than the assigned one
  float* distances;      // n (output): squared L2 distance to the assigned centroid
};

struct KmeansBoundedStats {
  int64_t pruned;        // points whose every group was pruned
  int64_t evaluated;     // (point, group) pairs computed
};

// One k-means assignment with Yinyang-style group bounds: a point is compared
// only with the groups whose lower bound (minus the group's drift) does not
// prove them farther than its own centroid. The bounds carry a margin for the
// float32 rounding of the scores (|error| <= gamma_{d+4} (|x| + |c|)^2), so the
// result equals kmeans_assign's (labels and distances, ties to the lower
// number) exactly; non-finite scores disable pruning for that point.
KmeansBoundedStats kmeans_assign_bounded(const KmeansBoundedParams& p);

}  // namespace mk
