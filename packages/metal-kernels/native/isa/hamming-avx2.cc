// Hamming kernels for x86-64-v3 (compiled with -march=x86-64-v3, which has
// the POPCNT instruction): one 64-bit popcount per word.
#include <cstdint>

#include "hamming-isa.h"

namespace mk {
namespace {

#define POPCOUNT64(x) static_cast<int64_t>(__builtin_popcountll(x))
#include "hamming-scalar.h"
#undef POPCOUNT64

}  // namespace

const HammingIsa* hamming_isa_avx2() {
  static const HammingIsa k = {"avx2", &scalar_distance, &scalar_distances, &scalar_scan};
  return &k;
}

}  // namespace mk
