// Product-quantizer kernels for AVX-512 (x86-64-v4).
#include <immintrin.h>

#include <cstdint>

#include "pq-isa.h"

namespace mk {
namespace pq {
namespace {

struct V {
  using R = __m512;
  static constexpr int W = 16;
  static inline R zero() { return _mm512_setzero_ps(); }
  static inline R set1(float x) { return _mm512_set1_ps(x); }
  static inline R load(const float* p) { return _mm512_loadu_ps(p); }
  static inline void store(float* p, R x) { _mm512_storeu_ps(p, x); }
  static inline R add(R a, R b) { return _mm512_add_ps(a, b); }
  static inline R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static inline R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static inline R select_lt(R a, R b, R x, R y) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x); }
  static inline R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
};

constexpr int kP = 4;  // points per assignment block
constexpr int kG = 4;  // vectors of centroids per assignment block

#include "pq-body.inc"

}  // namespace

const PqIsa* pq_isa_avx512() {
  static const PqIsa k = {"avx512", &tables, &madd, &scan, &sums, &assign};
  return &k;
}

}  // namespace pq
}  // namespace mk
