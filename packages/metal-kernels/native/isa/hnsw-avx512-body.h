// HNSW distance kernels, AVX-512 (x86-64-v4), included by hnsw-avx512.cc
// (vpmaddwd integer dots) and hnsw-avx512vnni.cc (vpdpbusd, compiled with
// -mavx512vnni). The includer defines MK_HNSW_ACCESSOR and MK_HNSW_NAME.
// Not a normal header: no include guard on purpose.
#include <immintrin.h>

#include <cstdint>

#include "hnsw-isa.h"

namespace mk {
namespace {

struct V {
  using R = __m512;
  static constexpr int W = 16;
  static inline R zero() { return _mm512_setzero_ps(); }
  static inline R load(const float* p) { return _mm512_loadu_ps(p); }
  static inline R load_tail(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
  }
  static inline R load_u8(const uint8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static inline R load_i8(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  }
  static inline R load_u8_tail(const uint8_t* p, int n) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(static_cast<__mmask16>((1u << n) - 1u), p)));
  }
  static inline R load_i8_tail(const int8_t* p, int n) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(static_cast<__mmask16>((1u << n) - 1u), p)));
  }
  static inline R add(R a, R b) { return _mm512_add_ps(a, b); }
  static inline R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static inline R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static inline float hsum(R x) {
    // fixed tree: 512 -> 256 -> 128 -> 64 -> 32
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(x), _mm512_extractf32x8_ps(x, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

constexpr int kAcc = 4;

#include "hnsw-body.h"

inline int64_t hsum_epi32(__m512i v) { return static_cast<int64_t>(_mm512_reduce_add_epi64(_mm512_add_epi64(
    _mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)), _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1))))); }

// A tail step reads only the first n bytes (masked loads give zeros). In
// every use one operand's xor is 0, so a masked-out lane multiplies 0 by
// something: the tail adds nothing beyond the n bytes.
#if defined(__AVX512VNNI__)
// 64 bytes per step: vpdpbusd multiplies uint8 by int8 and adds groups of 4 into int32 lanes.
constexpr int kIdotStep = 64;
inline __m512i idot_step(const uint8_t* a, const uint8_t* b, __m512i xa, __m512i xb, __m512i acc) {
  const __m512i av = _mm512_xor_si512(_mm512_loadu_si512(a), xa);
  const __m512i bv = _mm512_xor_si512(_mm512_loadu_si512(b), xb);
  return _mm512_dpbusd_epi32(acc, av, bv);
}
inline __m512i idot_tail(const uint8_t* a, const uint8_t* b, int n, __m512i xa, __m512i xb, __m512i acc) {
  const __mmask64 m = n >= 64 ? ~__mmask64(0) : ((__mmask64(1) << n) - 1);
  const __m512i av = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, a), xa);
  const __m512i bv = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, b), xb);
  return _mm512_dpbusd_epi32(acc, av, bv);
}
#else
// 32 bytes per step: widened to 16-bit lanes and multiplied by vpmaddwd.
constexpr int kIdotStep = 32;
inline __m512i idot_mul(__m256i av, __m256i bv, __m512i xa, __m512i xb, __m512i acc) {
  av = _mm256_xor_si256(av, _mm512_castsi512_si256(xa));
  bv = _mm256_xor_si256(bv, _mm512_castsi512_si256(xb));
  return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_cvtepu8_epi16(av), _mm512_cvtepi8_epi16(bv)));
}
inline __m512i idot_step(const uint8_t* a, const uint8_t* b, __m512i xa, __m512i xb, __m512i acc) {
  return idot_mul(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a)), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b)), xa, xb, acc);
}
inline __m512i idot_tail(const uint8_t* a, const uint8_t* b, int n, __m512i xa, __m512i xb, __m512i acc) {
  const __mmask32 m = n >= 32 ? ~__mmask32(0) : ((__mmask32(1) << n) - 1);
  return idot_mul(_mm256_maskz_loadu_epi8(m, a), _mm256_maskz_loadu_epi8(m, b), xa, xb, acc);
}
#endif

int64_t idot(const uint8_t* a, const uint8_t* b, int64_t d, uint8_t xa, uint8_t xb) {
  const __m512i va = _mm512_set1_epi8(static_cast<char>(xa)), vb = _mm512_set1_epi8(static_cast<char>(xb));
  __m512i acc = _mm512_setzero_si512();
  int64_t i = 0;
  for (; i + kIdotStep <= d; i += kIdotStep) acc = idot_step(a + i, b + i, va, vb, acc);
  if (i < d) acc = idot_tail(a + i, b + i, static_cast<int>(d - i), va, vb, acc);
  return hsum_epi32(acc);
}

void idot4(const uint8_t* a, const uint8_t* const* b, int64_t d, uint8_t xa, uint8_t xb, int64_t* out) {
  const __m512i va = _mm512_set1_epi8(static_cast<char>(xa)), vb = _mm512_set1_epi8(static_cast<char>(xb));
  __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0;
  int64_t i = 0;
  for (; i + kIdotStep <= d; i += kIdotStep) {
    c0 = idot_step(a + i, b[0] + i, va, vb, c0);
    c1 = idot_step(a + i, b[1] + i, va, vb, c1);
    c2 = idot_step(a + i, b[2] + i, va, vb, c2);
    c3 = idot_step(a + i, b[3] + i, va, vb, c3);
  }
  if (i < d) {
    const int n = static_cast<int>(d - i);
    c0 = idot_tail(a + i, b[0] + i, n, va, vb, c0);
    c1 = idot_tail(a + i, b[1] + i, n, va, vb, c1);
    c2 = idot_tail(a + i, b[2] + i, n, va, vb, c2);
    c3 = idot_tail(a + i, b[3] + i, n, va, vb, c3);
  }
  out[0] = hsum_epi32(c0);
  out[1] = hsum_epi32(c1);
  out[2] = hsum_epi32(c2);
  out[3] = hsum_epi32(c3);
}

}  // namespace

const HnswIsa* MK_HNSW_ACCESSOR() {
  static const HnswIsa k = MK_HNSW_TABLE(MK_HNSW_NAME);
  return &k;
}

}  // namespace mk
