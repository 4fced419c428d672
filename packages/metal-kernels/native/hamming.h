// Hamming-distance drivers over packed binary codes (FAISS's binary vectors:
// d bits, code_size = d / 8 bytes, bit j in bit j % 8 of byte j / 8).
// Split the work into thread-pool tasks and keep per-query top-k heaps; the
// popcount loops are per ISA (isa/hamming-*.cc). They validate nothing beyond
// internal invariants: the bindings check arguments and buffer sizes first.
#pragma once
#include <cstdint>
#include <vector>

#include "isa/hamming-isa.h"

namespace mk {

// The kernels every call uses: the popcount level matching the SIMD level
// selected in cpu-dispatch (avx512 -> VPOPCNTDQ when the CPU has it).
const HammingIsa* hamming_isa();

struct HammingKnnParams {
  const uint8_t* xq;
  const uint8_t* xb;
  int64_t nq, nb, code_size, k;
  int32_t* distances;  // nq * k, best first; padding INT32_MAX
  int64_t* labels;     // nq * k; padding -1
  int64_t label_offset;
};

struct HammingRangeParams {
  const uint8_t* xq;
  const uint8_t* xb;
  int64_t nq, nb, code_size;
  int32_t radius;  // keeps distance < radius (FAISS's hamming_range_search)
  int64_t label_offset;
};

struct HammingRangeResult {
  std::vector<int64_t> lims;  // nq + 1
  std::vector<int32_t> distances;
  std::vector<int64_t> labels;
};

// k nearest codes of each query: the k smallest (distance, index) pairs,
// as FAISS's hammings_knn_hc gives them.
void hamming_knn(const HammingKnnParams& p);
// Every code within radius of each query, per query in increasing index order.
HammingRangeResult hamming_range(const HammingRangeParams& p);
// out[i * nb + j] = distance(xq_i, xb_j).
void hamming_pairwise(const uint8_t* xq, const uint8_t* xb, int64_t nq, int64_t nb, int64_t code_size,
                      int32_t* out);

}  // namespace mk
