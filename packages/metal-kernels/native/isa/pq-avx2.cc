// Product-quantizer kernels for AVX2 + FMA (x86-64-v3).
#include <immintrin.h>

#include <cstdint>

#include "pq-isa.h"

namespace mk {
namespace pq {
namespace {

struct V {
  using R = __m256;
  static constexpr int W = 8;
  static inline R zero() { return _mm256_setzero_ps(); }
  static inline R set1(float x) { return _mm256_set1_ps(x); }
  static inline R load(const float* p) { return _mm256_loadu_ps(p); }
  static inline void store(float* p, R x) { _mm256_storeu_ps(p, x); }
  static inline R add(R a, R b) { return _mm256_add_ps(a, b); }
  static inline R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static inline R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static inline R select_lt(R a, R b, R x, R y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  static inline R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
};

constexpr int kP = 3;  // points per assignment block
constexpr int kG = 2;  // vectors of centroids per assignment block

#include "pq-body.inc"

}  // namespace

const PqIsa* pq_isa_avx2() {
  static const PqIsa k = {"avx2", &tables, &madd, &scan, &sums, &assign};
  return &k;
}

}  // namespace pq
}  // namespace mk
