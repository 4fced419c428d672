// HNSW distance kernels, portable: GCC/Clang vector extensions (SSE2 on
// baseline x86-64, NEON on aarch64). No fused multiply-add: a * b + c is two
// roundings here, as the baseline ISA has no FMA.
#include <cstdint>

#include "hnsw-isa.h"

namespace mk {
namespace {

typedef float vf8 __attribute__((vector_size(32), aligned(4)));

struct V {
  using R = vf8;
  static constexpr int W = 8;
  static inline R zero() { return R{0, 0, 0, 0, 0, 0, 0, 0}; }
  static inline R load(const float* p) {
    R r;
    __builtin_memcpy(&r, p, sizeof(r));
    return r;
  }
  static inline R load_tail(const float* p, int n) {
    R r = zero();
    for (int i = 0; i < n; i++) r[i] = p[i];
    return r;
  }
  static inline R load_u8(const uint8_t* p) {
    R r;
    for (int i = 0; i < W; i++) r[i] = static_cast<float>(p[i]);
    return r;
  }
  static inline R load_i8(const int8_t* p) {
    R r;
    for (int i = 0; i < W; i++) r[i] = static_cast<float>(p[i]);
    return r;
  }
  static inline R load_u8_tail(const uint8_t* p, int n) {
    R r = zero();
    for (int i = 0; i < n; i++) r[i] = static_cast<float>(p[i]);
    return r;
  }
  static inline R load_i8_tail(const int8_t* p, int n) {
    R r = zero();
    for (int i = 0; i < n; i++) r[i] = static_cast<float>(p[i]);
    return r;
  }
  static inline R add(R a, R b) { return a + b; }
  static inline R sub(R a, R b) { return a - b; }
  static inline R fmadd(R a, R b, R c) { return a * b + c; }
  static inline float hsum(R x) {
    // same tree as the AVX2 level: halves, then pairs
    float s0 = x[0] + x[4], s1 = x[1] + x[5], s2 = x[2] + x[6], s3 = x[3] + x[7];
    float t0 = s0 + s2, t1 = s1 + s3;
    return t0 + t1;
  }
};

constexpr int kAcc = 2;

#include "hnsw-body.h"
#include "hnsw-generic-idot.h"

}  // namespace

const HnswIsa* hnsw_isa_generic() {
#if defined(__aarch64__) || defined(__ARM_NEON)
  static const HnswIsa k = MK_HNSW_TABLE("neon");
#else
  static const HnswIsa k = MK_HNSW_TABLE("scalar");
#endif
  return &k;
}

}  // namespace mk
