// Hamming kernels for any CPU: a SWAR population count (the baseline x86-64
// ISA has no POPCNT instruction, and __builtin_popcountll would become a
// library call there).
#include <cstdint>

#include "hamming-isa.h"

namespace mk {
namespace {

inline int64_t swar_popcount(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<int64_t>((x * 0x0101010101010101ULL) >> 56);
}

#define POPCOUNT64(x) swar_popcount(x)
#include "hamming-scalar.h"
#undef POPCOUNT64

}  // namespace

const HammingIsa* hamming_isa_generic() {
  static const HammingIsa k = {"scalar", &scalar_distance, &scalar_distances, &scalar_scan};
  return &k;
}

}  // namespace mk
