// Scalar-quantizer kernels for AVX2 + FMA + F16C (x86-64-v3).
#include <immintrin.h>

#include <cstdint>

#include "sq-isa.h"

namespace mk {
namespace sq {
namespace {

inline __m256i six_bit_words(const uint8_t* p) {
  int32_t hi4;
  __builtin_memcpy(&hi4, p + 8, 4);
  const __m128i b = _mm_insert_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)), hi4, 2);
  const __m128i lo = _mm_setr_epi8(0, 1, 0, 1, 1, 2, 2, 3, 3, 4, 3, 4, 4, 5, 5, 6);
  const __m128i hi = _mm_setr_epi8(6, 7, 6, 7, 7, 8, 8, 9, 9, 10, 9, 10, 10, 11, 11, 12);
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_shuffle_epi8(b, lo)), _mm_shuffle_epi8(b, hi), 1);
}

inline __m128i nibbles(const uint8_t* p) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  const __m128i m = _mm_set1_epi8(0x0f);
  return _mm_unpacklo_epi8(_mm_and_si128(b, m), _mm_and_si128(_mm_srli_epi16(b, 4), m));
}

inline void bytes16(__m128i b, __m256 (&out)[2]) {
  out[0] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
  out[1] = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(b, 8)));
}

struct V {
  using R = __m256;
  static constexpr int W = 8;
  static inline R zero() { return _mm256_setzero_ps(); }
  static inline R set1(float x) { return _mm256_set1_ps(x); }
  static inline R load(const float* p) { return _mm256_loadu_ps(p); }
  static inline R add(R a, R b) { return _mm256_add_ps(a, b); }
  static inline R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static inline R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static inline R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static inline float hsum(R x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static inline void decode8(const uint8_t* p, R (&out)[2]) {
    bytes16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), out);
  }
  static inline void decode4(const uint8_t* p, R (&out)[2]) { bytes16(nibbles(p), out); }
  static inline void decode6(const uint8_t* p, R (&out)[2]) {
    const __m256i w = six_bit_words(p);
    const __m256i sh = _mm256_setr_epi32(0, 6, 4, 2, 0, 6, 4, 2);
    const __m256i m = _mm256_set1_epi32(63);
    const __m256i w0 = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(w));
    const __m256i w1 = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(w, 1));
    out[0] = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srlv_epi32(w0, sh), m));
    out[1] = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srlv_epi32(w1, sh), m));
  }
  static inline void decodefp16(const uint8_t* p, R (&out)[2]) {
    out[0] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    out[1] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)));
  }
};

constexpr int kR = 2;  // 2 codes x 2 queries x 2 ymm halves: 4 accumulators, 4 code registers
constexpr int kQ = 2;
constexpr int kR1 = 4;

#include "sq-body.inc"

}  // namespace

const SqIsa* sq_isa_avx2() {
  static const SqIsa k = {"avx2", &scan, &levels, &l2sq};
  return &k;
}

}  // namespace sq
}  // namespace mk
