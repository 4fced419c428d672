// Per-ISA vector distance kernels used by the HNSW graph walks (hnsw.cc).
// Same ODR rule as isa.h: the hnsw-*.cc translation units define nothing
// with external linkage except their one accessor, and use no STL.
//
// Stored vectors may be float32, or a compact copy holding the same values
// as uint8 or int8 (used when every stored value is such an integer): the
// elements are converted to float in registers, so every kernel returns,
// for the same values, exactly what the float32 kernel returns.
//
// Every kernel sums in one fixed order per ISA level, so dis(a, b) equals
// dis(b, a) bit for bit and the 4-wide forms return exactly what the 1-wide
// forms return for the same pair (the graph code relies on both: a distance
// cached on an edge must equal the one it would recompute).
#pragma once
#include <cstdint>

namespace mk {

enum : int { kElemF32 = 0, kElemU8 = 1, kElemI8 = 2 };

struct HnswIsa {
  const char* name;
  // [metric: 0 inner product, 1 squared L2][stored element type]
  // query floats x against one stored vector y
  float (*dis[2][3])(const float* x, const void* y, int64_t d);
  // x against y[0..3]: out[i] = dis(x, y[i])
  void (*dis4[2][3])(const float* x, const void* const* y, int64_t d, float* out);
  // two stored vectors of the same element type
  float (*sym[2][3])(const void* a, const void* b, int64_t d);
  // Exact integer dot products over bytes, for integer-valued data:
  // sum_i (a[i] ^ xa) * int8(b[i] ^ xb), a read as uint8 after the xor, b as
  // int8 after the xor (d <= 2^19, so no 32-bit lane overflows).
  int64_t (*idot)(const uint8_t* a, const uint8_t* b, int64_t d, uint8_t xa, uint8_t xb);
  // a against b[0..3]
  void (*idot4)(const uint8_t* a, const uint8_t* const* b, int64_t d, uint8_t xa, uint8_t xb, int64_t* out);
};

const HnswIsa* hnsw_isa_generic();
#if defined(__x86_64__) || defined(_M_X64)
const HnswIsa* hnsw_isa_avx2();
const HnswIsa* hnsw_isa_avx512();
// AVX-512 with VNNI (vpdpbusd for idot); same float kernels as hnsw_isa_avx512
const HnswIsa* hnsw_isa_avx512vnni();
#endif

}  // namespace mk
