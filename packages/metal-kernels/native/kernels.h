// The portable drivers: split work into tasks for the thread pool, keep
// per-call (per-slot) scratch memory, and merge per-thread results. They
// validate nothing beyond internal invariants: bindings.cc checks the
// arguments and buffer sizes first. All functions may throw std::exception.
#pragma once
#include <cstdint>
#include <vector>

namespace mk {

struct KnnParams {
  const float* xq;
  const float* xb;
  int64_t nq, nb, d, k;
  int metric;
  float* distances;        // nq * k
  int64_t* labels;         // nq * k
  const float* xb_norms;   // nb, or null
  int64_t label_offset;
};

struct PairwiseParams {
  const float* xq;
  const float* xb;
  int64_t nq, nb, d;
  int metric;
  float* out;  // nq * nb
};

struct RangeParams {
  const float* xq;
  const float* xb;
  int64_t nq, nb, d;
  float radius;
  int metric;
  int64_t label_offset;
};

struct RangeResult {
  std::vector<int64_t> lims;  // nq + 1
  std::vector<float> distances;
  std::vector<int64_t> labels;
};

struct TopkParams {
  const float* values;  // n * m
  int64_t n, m, k;
  bool largest;
  float* out_values;     // n * k
  int64_t* out_indices;  // n * k
};

void norms_l2sqr(const float* x, int64_t n, int64_t d, float* out);
void pairwise(const PairwiseParams& p);
void knn(const KnnParams& p);
RangeResult range_search(const RangeParams& p);
void topk(const TopkParams& p);

// Queries at or below this count take the streaming path (database rows read
// once, several queries per pass) instead of the packed GEMM path.
int64_t stream_max_queries();

}  // namespace mk
