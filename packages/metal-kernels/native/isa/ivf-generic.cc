// IVF scan loops in portable GCC/Clang vector extensions (SSE2 on baseline
// x86-64, NEON on aarch64).
#include <cstdint>

#include "ivf-isa.h"

namespace mk {
namespace {

typedef float vf8 __attribute__((vector_size(32), aligned(4)));

struct V {
  using R = vf8;
  static constexpr int W = 8;
  static inline R zero() { return R{0, 0, 0, 0, 0, 0, 0, 0}; }
  static inline R set1(float x) { return R{x, x, x, x, x, x, x, x}; }
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
  static inline void store(float* p, R x) { __builtin_memcpy(p, &x, sizeof(x)); }
  static inline R add(R a, R b) { return a + b; }
  static inline R sub(R a, R b) { return a - b; }
  static inline R fmadd(R a, R b, R c) { return a * b + c; }
  static inline R max0(R x) {
    for (int i = 0; i < W; i++)
      if (x[i] < 0.0f) x[i] = 0.0f;  // NaN compares false and stays NaN
    return x;
  }
  static inline uint32_t lt(R a, R b) {
    uint32_t m = 0;
    for (int i = 0; i < W; i++) m |= static_cast<uint32_t>(a[i] < b[i]) << i;
    return m;
  }
  static inline float hsum(R x) {
    float s = 0.0f;
    for (int i = 0; i < W; i++) s += x[i];
    return s;
  }
};

constexpr int kRR = 2;  // rows per tile
#define IVF_KQR 2
constexpr int kQR = IVF_KQR;  // queries per tile

#include "ivf-body.inc"

}  // namespace

const IvfIsaKernels* ivf_isa_generic() {
#if defined(__aarch64__) || defined(__ARM_NEON)
  static const IvfIsaKernels k = {"neon", kRR, kQR, &norms, &scan_dot};
#else
  static const IvfIsaKernels k = {"scalar", kRR, kQR, &norms, &scan_dot};
#endif
  return &k;
}

}  // namespace mk
