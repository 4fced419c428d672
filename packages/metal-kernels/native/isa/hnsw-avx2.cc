// HNSW distance kernels, AVX2 + FMA (x86-64-v3). Compiled with -march=x86-64-v3.
#include <immintrin.h>

#include <cstdint>

#include "hnsw-isa.h"

namespace mk {
namespace {

struct V {
  using R = __m256;
  static constexpr int W = 8;
  static inline R zero() { return _mm256_setzero_ps(); }
  static inline R load(const float* p) { return _mm256_loadu_ps(p); }
  static inline R load_tail(const float* p, int n) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes));
  }
  static inline R load_u8(const uint8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  static inline R load_i8(const int8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  static inline R load_u8_tail(const uint8_t* p, int n) {
    uint64_t v = 0;
    __builtin_memcpy(&v, p, static_cast<unsigned>(n));
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(v))));
  }
  static inline R load_i8_tail(const int8_t* p, int n) {
    uint64_t v = 0;
    __builtin_memcpy(&v, p, static_cast<unsigned>(n));
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128(static_cast<long long>(v))));
  }
  static inline R add(R a, R b) { return _mm256_add_ps(a, b); }
  static inline R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static inline R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static inline float hsum(R x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

constexpr int kAcc = 2;  // 4 streams x 2 accumulators = 8 of 16 ymm registers

#include "hnsw-body.h"

}  // namespace

const HnswIsa* hnsw_isa_avx2() {
  static const HnswIsa k = MK_HNSW_TABLE("avx2");
  return &k;
}

}  // namespace mk
