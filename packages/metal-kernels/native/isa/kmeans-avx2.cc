// k-means assignment loop for AVX2 + FMA (x86-64-v3); compiled with -march=x86-64-v3.
#include <immintrin.h>

#include <cstdint>

#include "kmeans-isa.h"

namespace mk {
namespace {

struct V {
  using R = __m256;
  static constexpr int W = 8;
  static inline R zero() { return _mm256_setzero_ps(); }
  static inline R set1(float x) { return _mm256_set1_ps(x); }
  static inline R load(const float* p) { return _mm256_loadu_ps(p); }
  static inline R load_tail(const float* p, int n) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes));
  }
  static inline void store(float* p, R x) { _mm256_storeu_ps(p, x); }
  static inline R add(R a, R b) { return _mm256_add_ps(a, b); }
  static inline R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static inline R select_lt(R a, R b, R x, R y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  static inline float hsum(R x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline float hmin(R x) {
    __m128 s = _mm_min_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_min_ps(s, _mm_movehl_ps(s, s));
    s = _mm_min_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline uint32_t eq_mask(R a, float v) {
    return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(a, _mm256_set1_ps(v), _CMP_EQ_OQ)));
  }
  // r[c] becomes column c of the 8 x 8 block whose rows were r[0..7]
  static inline void transpose(R (&r)[W]) {
    R t[W], u[W];
    for (int i = 0; i < 4; i++) {
      t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
      u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
      u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
      u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
      u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
      r[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
      r[4 + j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
    }
  }
};

constexpr int kMR = 6;  // 6 points x 16 centroids: 12 accumulators
constexpr int kNV = 2;

#include "kmeans-body.inc"

}  // namespace

const KmeansIsaKernels* kmeans_isa_avx2() {
  static const KmeansIsaKernels k = {"avx2", kNR, kMR, &scratch_floats, &pack, &norms, &assign_block,
                                         &rows_scratch_floats, &group_rows, &pair_scores, &accumulate};
  return &k;
}

}  // namespace mk
