// k-means assignment loop for AVX-512 (x86-64-v4); compiled with -march=x86-64-v4.
#include <immintrin.h>

#include <cstdint>

#include "kmeans-isa.h"

namespace mk {
namespace {

struct V {
  using R = __m512;
  static constexpr int W = 16;
  static inline R zero() { return _mm512_setzero_ps(); }
  static inline R set1(float x) { return _mm512_set1_ps(x); }
  static inline R load(const float* p) { return _mm512_loadu_ps(p); }
  static inline R load_tail(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
  }
  static inline void store(float* p, R x) { _mm512_storeu_ps(p, x); }
  static inline R add(R a, R b) { return _mm512_add_ps(a, b); }
  static inline R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static inline R select_lt(R a, R b, R x, R y) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x); }
  static inline float hsum(R x) { return _mm512_reduce_add_ps(x); }
  static inline float hmin(R x) { return _mm512_reduce_min_ps(x); }
  static inline uint32_t eq_mask(R a, float v) { return _mm512_cmp_ps_mask(a, _mm512_set1_ps(v), _CMP_EQ_OQ); }
};

constexpr int kMR = 12;  // 12 points x 32 centroids: 24 accumulators
constexpr int kNV = 2;

#include "kmeans-body.inc"

}  // namespace

const KmeansIsaKernels* kmeans_isa_avx512() {
  static const KmeansIsaKernels k = {"avx512", kNR, kMR, &scratch_floats, &pack, &norms, &assign_block,
                                         &rows_scratch_floats, &group_rows, &pair_scores};
  return &k;
}

}  // namespace mk
