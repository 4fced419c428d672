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

// 16 bytes per step: widened to 16-bit lanes (a zero-extended after its
// xor, b sign-extended), multiplied and pair-summed by vpmaddwd (exact).
inline __m256i idot_step(const uint8_t* a, const uint8_t* b, __m128i xa, __m128i xb, __m256i acc) {
  const __m128i av = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a)), xa);
  const __m128i bv = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), xb);
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepu8_epi16(av), _mm256_cvtepi8_epi16(bv)));
}

inline int64_t hsum_epi32(__m256i v) {
  alignas(32) int32_t t[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), v);
  int64_t s = 0;
  for (int i = 0; i < 8; i++) s += t[i];
  return s;
}

int64_t idot(const uint8_t* a, const uint8_t* b, int64_t d, uint8_t xa, uint8_t xb) {
  const __m128i va = _mm_set1_epi8(static_cast<char>(xa)), vb = _mm_set1_epi8(static_cast<char>(xb));
  __m256i acc = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 16 <= d; i += 16) acc = idot_step(a + i, b + i, va, vb, acc);
  return hsum_epi32(acc) + idot_scalar(a + i, b + i, d - i, xa, xb);
}

void idot4(const uint8_t* a, const uint8_t* const* b, int64_t d, uint8_t xa, uint8_t xb, int64_t* out) {
  const __m128i va = _mm_set1_epi8(static_cast<char>(xa)), vb = _mm_set1_epi8(static_cast<char>(xb));
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
  int64_t i = 0;
  for (; i + 16 <= d; i += 16) {
    c0 = idot_step(a + i, b[0] + i, va, vb, c0);
    c1 = idot_step(a + i, b[1] + i, va, vb, c1);
    c2 = idot_step(a + i, b[2] + i, va, vb, c2);
    c3 = idot_step(a + i, b[3] + i, va, vb, c3);
  }
  out[0] = hsum_epi32(c0) + idot_scalar(a + i, b[0] + i, d - i, xa, xb);
  out[1] = hsum_epi32(c1) + idot_scalar(a + i, b[1] + i, d - i, xa, xb);
  out[2] = hsum_epi32(c2) + idot_scalar(a + i, b[2] + i, d - i, xa, xb);
  out[3] = hsum_epi32(c3) + idot_scalar(a + i, b[3] + i, d - i, xa, xb);
}

}  // namespace

const HnswIsa* hnsw_isa_avx2() {
  static const HnswIsa k = MK_HNSW_TABLE("avx2");
  return &k;
}

}  // namespace mk
