// Per-ISA vector distance kernels used by the HNSW graph walks (hnsw.cc).
// Same ODR rule as isa.h: the hnsw-*.cc translation units define nothing
// with external linkage except their one accessor, and use no STL.
//
// Every kernel sums in one fixed order per ISA level, so dis(a, b) equals
// dis(b, a) bit for bit and the 4-wide forms return exactly what the 1-wide
// forms return for the same pair (the graph code relies on both: a distance
// cached on an edge must equal the one it would recompute).
#pragma once
#include <cstdint>

namespace mk {

struct HnswIsa {
  const char* name;
  // squared L2 distance / inner product of two d-vectors
  float (*l2sqr)(const float* x, const float* y, int64_t d);
  float (*ip)(const float* x, const float* y, int64_t d);
  // x against y[0..3] (any of them may repeat): out[i] = l2sqr(x, y[i]) / ip(x, y[i])
  void (*l2sqr4)(const float* x, const float* const* y, int64_t d, float* out);
  void (*ip4)(const float* x, const float* const* y, int64_t d, float* out);
};

const HnswIsa* hnsw_isa_generic();
#if defined(__x86_64__) || defined(_M_X64)
const HnswIsa* hnsw_isa_avx2();
const HnswIsa* hnsw_isa_avx512();
#endif

}  // namespace mk
