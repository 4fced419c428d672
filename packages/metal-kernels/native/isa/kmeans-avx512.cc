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
  // r[c] becomes column c of the 16 x 16 block whose rows were r[0..15]
  static inline void transpose(R (&r)[W]) {
    R t[W], u[W];
    for (int i = 0; i < 8; i++) {
      t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
      u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
      u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
      u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
      u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
      t[j] = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88);
      t[4 + j] = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xDD);
      t[8 + j] = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88);
      t[12 + j] = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xDD);
    }
    for (int j = 0; j < 4; j++) {
      r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
      r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xDD);
      r[4 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0x88);
      r[12 + j] = _mm512_shuffle_f32x4(t[4 + j], t[12 + j], 0xDD);
    }
  }
};

constexpr int kMR = 12;  // 12 points x 32 centroids: 24 accumulators
constexpr int kNV = 2;

#include "kmeans-body.inc"

}  // namespace

const KmeansIsaKernels* kmeans_isa_avx512() {
  static const KmeansIsaKernels k = {"avx512", kNR, kMR, &scratch_floats, &pack, &norms, &assign_block,
                                         &rows_scratch_floats, &group_rows, &pair_scores, &accumulate};
  return &k;
}

}  // namespace mk
