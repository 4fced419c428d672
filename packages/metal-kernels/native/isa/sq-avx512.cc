// Scalar-quantizer kernels for AVX-512 (x86-64-v4). Compiled with
// -march=x86-64-v4; only reached when the CPU supports it.
#include <immintrin.h>

#include <cstdint>

#include "sq-isa.h"

namespace mk {
namespace sq {
namespace {

// 16 words: word i = the two code bytes holding the 6-bit value i of a chunk.
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

struct V {
  using R = __m512;
  static constexpr int W = 16;
  static inline R zero() { return _mm512_setzero_ps(); }
  static inline R set1(float x) { return _mm512_set1_ps(x); }
  static inline R load(const float* p) { return _mm512_loadu_ps(p); }
  static inline R add(R a, R b) { return _mm512_add_ps(a, b); }
  static inline R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static inline R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static inline R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static inline float hsum(R x) { return _mm512_reduce_add_ps(x); }
  static inline void decode8(const uint8_t* p, R (&out)[1]) {
    out[0] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static inline void decode4(const uint8_t* p, R (&out)[1]) {
    out[0] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(nibbles(p)));
  }
  static inline void decode6(const uint8_t* p, R (&out)[1]) {
    const __m512i w = _mm512_cvtepu16_epi32(six_bit_words(p));
    const __m512i sh = _mm512_setr_epi32(0, 6, 4, 2, 0, 6, 4, 2, 0, 6, 4, 2, 0, 6, 4, 2);
    out[0] = _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srlv_epi32(w, sh), _mm512_set1_epi32(63)));
  }
  static inline void decodefp16(const uint8_t* p, R (&out)[1]) {
    out[0] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
};

constexpr int kR = 4;   // 4 codes x 4 queries: 16 zmm accumulators
constexpr int kQ = 4;
constexpr int kR1 = 8;  // single query: 8 codes per block

#include "sq-body.inc"

}  // namespace

const SqIsa* sq_isa_avx512() {
  static const SqIsa k = {"avx512", &scan, &levels, &l2sq};
  return &k;
}

}  // namespace sq
}  // namespace mk
