// Portable product-quantizer kernels: GCC/Clang vector extensions.
#include <cstdint>

#include "pq-isa.h"

namespace mk {
namespace pq {
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
  static inline void store(float* p, R x) { __builtin_memcpy(p, &x, sizeof(x)); }
  static inline R add(R a, R b) { return a + b; }
  static inline R sub(R a, R b) { return a - b; }
  static inline R mul(R a, R b) { return a * b; }
  static inline R select_lt(R a, R b, R x, R y) {
    R r;
    for (int i = 0; i < W; i++) r[i] = a[i] < b[i] ? x[i] : y[i];
    return r;
  }
  static inline R fmadd(R a, R b, R c) { return a * b + c; }
};

constexpr int kP = 2;  // points per assignment block
constexpr int kG = 2;  // vectors of centroids per assignment block

#include "pq-body.inc"

}  // namespace

const PqIsa* pq_isa_generic() {
#if defined(__aarch64__) || defined(__ARM_NEON)
  static const PqIsa k = {"neon", &tables, &madd, &scan, &sums, &assign};
#else
  static const PqIsa k = {"scalar", &tables, &madd, &scan, &sums, &assign};
#endif
  return &k;
}

}  // namespace pq
}  // namespace mk
