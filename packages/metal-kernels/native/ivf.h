// IVF-Flat list scanning: every query scans the inverted lists of its coarse
// assignment (codes = raw float32 vectors). Validation happens in the
// bindings; these functions only assert internal invariants.
#pragma once
#include <cstdint>

#include "kernels.h"  // RangeResult

namespace mk {

struct IvfScanParams {
  const float* xq;  // nq * d
  int64_t nq, d;
  int metric;
  const int64_t* coarse;  // nq * nprobe list numbers, -1 = skip
  int64_t nprobe;
  int64_t nlist;
  const float* const* codes;    // per list: sizes[l] * d floats (null when unused)
  const int64_t* const* ids;    // per list: sizes[l] ids (null when unused)
  const int32_t* sizes;         // nlist
  bool store_pairs;             // labels = list << 32 | offset
  // top-k search
  int64_t k;
  float* distances;  // nq * k
  int64_t* labels;   // nq * k
  // range search: L2 keeps distance < radius, inner product keeps ip > radius
  float radius;
};

// Top-k per query, best first; ties by the lower (list, offset) position;
// padding label -1 with +inf (L2) / -inf (IP).
void ivf_search_flat(const IvfScanParams& p);

// Range search; within a query, results in probe order then list order.
RangeResult ivf_range_search_flat(const IvfScanParams& p);

}  // namespace mk
